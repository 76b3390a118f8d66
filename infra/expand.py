"""Expand the packaged SAM template the way CloudFormation's transform does.

    python -m infra.expand [--in build/package/sam.json] [--out build/package/expanded.json]

`make lint-infra` runs it after `make package` and lints the result with
cfn-lint: what SAM generates (the deployment, the stages, the permissions,
the event source mappings) is only visible in the expanded template. It runs
`aws-sam-translator`, the library behind the `AWS::Serverless-2016-10-31`
transform, offline: no AWS credentials are needed, nor used. Managed policy
names resolve through the map SAM bundles; a name it does not know would need
IAM, so the expansion stops and names it instead of guessing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IN = ROOT / "build" / "package" / "sam.json"
DEFAULT_OUT = ROOT / "build" / "package" / "expanded.json"
# The region of docs/deploy.md; only ARNs' partition and the AWS::Region pseudo parameter depend on it.
DEFAULT_REGION = "ap-southeast-1"


# What `aws cloudformation package` uploads and replaces by an S3 address (the properties SAM reads as S3 URIs).
LOCAL_ARTIFACTS = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::Api": "DefinitionUri",
}
# The bucket `make deploy` is given is not known here; the expansion does not depend on it.
ARTIFACT_BUCKET = "artifact-bucket"


class ExpansionError(Exception):
    pass


class OfflineSession:
    """All the translator asks of its boto3 session is the region (for AWS::Region and the ARNs'
    partition); a real session would read the shell's AWS profile, and a client could reach AWS."""

    def __init__(self, region_name: str) -> None:
        self.region_name = region_name


def as_uploaded(sam: dict[str, Any]) -> dict[str, Any]:
    """A copy of `sam` with local artifacts replaced by S3 addresses, as `aws cloudformation package`
    does before the transform ever sees the template."""
    template: dict[str, Any] = json.loads(json.dumps(sam))
    for name, resource in template.get("Resources", {}).items():
        prop = LOCAL_ARTIFACTS.get(resource.get("Type", ""))
        value = resource.get("Properties", {}).get(prop) if prop else None
        if isinstance(value, str) and not value.startswith("s3://"):
            resource["Properties"][prop] = f"s3://{ARTIFACT_BUCKET}/{name}/{Path(value).name}"
    return template


def _no_iam_lookup() -> dict[str, str]:
    """SAM calls this only for a managed policy name missing from its bundled map."""
    raise ExpansionError(
        "the template names an AWS managed policy that aws-sam-translator does not bundle: "
        "expanding it offline would guess its ARN; give the policy's ARN instead of its name"
    )


def expand(sam: dict[str, Any], region: str = DEFAULT_REGION) -> dict[str, Any]:
    """The CloudFormation template the SAM transform makes of `sam` (not changed)."""
    from samtranslator.model.exceptions import InvalidDocumentException  # type: ignore[import-untyped]
    from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
    from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]
    from samtranslator.utils.py27hash_fix import to_py27_compatible_template, undo_mark_unicode_str_in_template  # type: ignore[import-untyped]

    template = as_uploaded(sam)  # a copy: the translator changes its input
    parameter_values: dict[str, Any] = {}
    to_py27_compatible_template(template, parameter_values)
    translator = Translator(None, Parser(), boto_session=OfflineSession(region))
    try:
        expanded = translator.translate(
            template, parameter_values=parameter_values, get_managed_policy_map=_no_iam_lookup
        )
    except InvalidDocumentException as exc:
        causes = "; ".join(str(cause) for cause in exc.causes) or str(exc)
        raise ExpansionError(f"the SAM transform refuses the template: {causes}") from exc
    result: dict[str, Any] = undo_mark_unicode_str_in_template(expanded)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.expand", description=__doc__.split("\n")[0])
    parser.add_argument("--in", dest="src", type=Path, default=DEFAULT_IN)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--region", default=DEFAULT_REGION)
    args = parser.parse_args(argv)
    if not args.src.exists():
        print(f"{args.src} does not exist: run `make package` first", file=sys.stderr)
        return 2
    sam = json.loads(args.src.read_text(encoding="utf-8"))
    try:
        expanded = expand(sam, args.region)
    except ExpansionError as exc:
        print(f"expansion failed: {exc}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(expanded, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    kinds = len({r["Type"] for r in expanded["Resources"].values()})
    print(f"{args.out}: {len(expanded['Resources'])} resources of {kinds} types after the SAM transform")
    return 0


if __name__ == "__main__":
    sys.exit(main())
