"""The deployed infrastructure matches the code: tables (names, keys, GSIs, TTL) and
queues as the models and QUEUES define them, partial batch answers on every SQS
event source, tracing, error bodies, alarms, and IAM policies that cover exactly
the tables and indexes the code touches.

The expectations are computed here from the models' attributes, not through the
generator's own code path (infra/package.py reads PynamoDB's create-table schema),
and the checks are shown to fail on a tampered template. One real `chalice package`
of the dev stage runs per module (a few seconds once Chalice has cached the
dependencies in .chalice/deployments)."""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import re
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("STAGE", "test")
os.environ.setdefault("TABLE_PREFIX", "cskh-test-")

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402
from pynamodb.indexes import GlobalSecondaryIndex, LocalSecondaryIndex  # noqa: E402

from chalicelib.adapters.queues import QUEUES  # noqa: E402
from chalicelib.config import get_settings, load_settings  # noqa: E402
from chalicelib.store.models import ALL_MODELS  # noqa: E402
from infra import package as infra  # noqa: E402

STAGES = ("dev", "prod")
ACCOUNT_ARN = "arn:aws:{service}:ap-southeast-1:123456789012:{rest}"
# What the code calls on the tables (PynamoDB: get, save, update, delete, query, batch_get,
# TransactWrite's Put/Update/Delete/ConditionCheck, and DescribeTable for metadata).
TABLE_ACTIONS = (
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "BatchGetItem",
    "ConditionCheckItem",
    "DescribeTable",
)


# -- expectations, from the models ------------------------------------------------


def short_name(model) -> str:
    prefix = get_settings().table_prefix
    assert model.Meta.table_name.startswith(prefix)
    return model.Meta.table_name[len(prefix) :]


def _keys(attributes) -> list[dict]:
    keys = [{"AttributeName": a.attr_name, "KeyType": "HASH"} for a in attributes if a.is_hash_key]
    keys += [{"AttributeName": a.attr_name, "KeyType": "RANGE"} for a in attributes if a.is_range_key]
    return keys


def _indexes(model, kind) -> list:
    return [v for v in vars(model).values() if isinstance(v, kind)]


def expected_table(model, stage: str) -> dict:
    attributes = list(model.get_attributes().values())
    key_types = {a.attr_name: a.attr_type for a in attributes if a.is_hash_key or a.is_range_key}
    gsis = {}
    for index in _indexes(model, GlobalSecondaryIndex):
        index_attrs = list(index.Meta.attributes.values())
        key_types.update({a.attr_name: a.attr_type for a in index_attrs if a.is_hash_key or a.is_range_key})
        projection = {"ProjectionType": index.Meta.projection.projection_type}
        if index.Meta.projection.non_key_attributes:
            projection["NonKeyAttributes"] = sorted(index.Meta.projection.non_key_attributes)
        gsis[index.Meta.index_name] = {"KeySchema": _keys(index_attrs), "Projection": projection}
    return {
        "TableName": f"cskh-{stage}-{short_name(model)}",
        "KeySchema": _keys(attributes),
        "AttributeDefinitions": key_types,
        "GlobalSecondaryIndexes": gsis,
        "TimeToLive": model.Meta.ttl_attribute,
    }


def _tables_by_name(resources: dict) -> dict[str, dict]:
    return {r["Properties"]["TableName"]: r for r in resources.values() if r.get("Type") == "AWS::DynamoDB::Table"}


def table_problems(template: dict, stage: str) -> list[str]:
    """Every way the template's tables differ from the models (empty: they agree)."""
    problems = []
    tables = _tables_by_name(template["Resources"])
    expected_names = set()
    for model in ALL_MODELS:
        want = expected_table(model, stage)
        name = want["TableName"]
        expected_names.add(name)
        resource = tables.get(name)
        if resource is None:
            problems.append(f"{name}: no table")
            continue
        props = resource["Properties"]
        if props.get("KeySchema") != want["KeySchema"]:
            problems.append(f"{name}: key schema {props.get('KeySchema')} != {want['KeySchema']}")
        defined = {a["AttributeName"]: a["AttributeType"] for a in props.get("AttributeDefinitions", [])}
        if defined != want["AttributeDefinitions"] or len(props.get("AttributeDefinitions", [])) != len(defined):
            problems.append(f"{name}: attribute definitions {defined} != {want['AttributeDefinitions']}")
        got_gsis = {
            g["IndexName"]: {
                "KeySchema": g["KeySchema"],
                "Projection": {
                    **g["Projection"],
                    **(
                        {"NonKeyAttributes": sorted(g["Projection"]["NonKeyAttributes"])}
                        if "NonKeyAttributes" in g["Projection"]
                        else {}
                    ),
                },
            }
            for g in props.get("GlobalSecondaryIndexes", [])
        }
        if got_gsis != want["GlobalSecondaryIndexes"]:
            problems.append(f"{name}: GSIs {got_gsis} != {want['GlobalSecondaryIndexes']}")
        if props.get("LocalSecondaryIndexes") or _indexes(model, LocalSecondaryIndex):
            problems.append(f"{name}: local secondary indexes are not expected here; extend this test")
        ttl = props.get("TimeToLiveSpecification")
        if want["TimeToLive"] is None and ttl is not None:
            problems.append(f"{name}: TTL on a model without ttl_attribute")
        if want["TimeToLive"] is not None and ttl != {"AttributeName": want["TimeToLive"], "Enabled": True}:
            problems.append(f"{name}: TTL {ttl} != {want['TimeToLive']}")
        if props.get("BillingMode") != "PAY_PER_REQUEST":
            problems.append(f"{name}: not on-demand")
        if props.get("PointInTimeRecoverySpecification") != {"PointInTimeRecoveryEnabled": True}:
            problems.append(f"{name}: no point-in-time recovery")
        if props.get("SSESpecification", {}).get("SSEEnabled") is not True:
            problems.append(f"{name}: no KMS encryption")
        # Kept when the stack is deleted or the table replaced, but deleted when the create that made it fails
        # (Retain would leave it behind and the retry would stop at "already exists").
        if resource.get("DeletionPolicy") != "RetainExceptOnCreate" or resource.get("UpdateReplacePolicy") != "Retain":
            problems.append(f"{name}: not retained on delete/replace (except after a failed create)")
        if stage == "prod" and props.get("DeletionProtectionEnabled") is not True:
            problems.append(f"{name}: no deletion protection in prod")
    for extra in set(tables) - expected_names:
        problems.append(f"{extra}: a table no model defines")
    return problems


def _resource_by(resources: dict, type_: str, **props) -> tuple[str, dict]:
    found = [
        (k, r)
        for k, r in resources.items()
        if r.get("Type") == type_ and all(r["Properties"].get(p) == v for p, v in props.items())
    ]
    assert len(found) == 1, f"{type_} {props}: found {len(found)}"
    return found[0]


def _is_alarm_to_topic(resource: dict) -> bool:
    return {"Ref": "AlarmTopic"} in resource["Properties"].get("AlarmActions", [])


def queue_problems(template: dict, stage: str) -> list[str]:
    problems = []
    resources = template["Resources"]
    queues = {r["Properties"]["QueueName"]: (k, r) for k, r in resources.items() if r.get("Type") == "AWS::SQS::Queue"}
    for short, (visibility, max_receives) in QUEUES.items():
        name, dlq_name = f"cskh-{stage}-{short}", f"cskh-{stage}-{short}-dlq"
        if name not in queues or dlq_name not in queues:
            problems.append(f"{short}: queue or dead-letter queue missing")
            continue
        (_, queue), (dlq_id, dlq) = queues[name], queues[dlq_name]
        q, d = queue["Properties"], dlq["Properties"]
        # QUEUES' value is the local one and a floor: deployed, the consumer's timeout raises it (below).
        if not isinstance(q.get("VisibilityTimeout"), int) or q["VisibilityTimeout"] < visibility:
            problems.append(f"{name}: visibility {q.get('VisibilityTimeout')} < {visibility}")
        if q.get("RedrivePolicy") != {
            "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
            "maxReceiveCount": max_receives,
        }:
            problems.append(f"{name}: redrive {q.get('RedrivePolicy')}")
        if d.get("MessageRetentionPeriod") != 14 * 24 * 3600:
            problems.append(f"{dlq_name}: retention is not 14 days")
        if not (q.get("SqsManagedSseEnabled") and d.get("SqsManagedSseEnabled")):
            problems.append(f"{short}: not encrypted")
        alarms = [
            r
            for r in resources.values()
            if r.get("Type") == "AWS::CloudWatch::Alarm"
            and r["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
            and {"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}
            in r["Properties"].get("Dimensions", [])
        ]
        if (
            len(alarms) != 1
            or not _is_alarm_to_topic(alarms[0])
            or alarms[0]["Properties"]["Threshold"] != 0
            or alarms[0]["Properties"]["ComparisonOperator"] != "GreaterThanThreshold"
        ):
            problems.append(f"{dlq_name}: no depth > 0 alarm to the alarm topic")
    for extra in set(queues) - {f"cskh-{stage}-{s}{x}" for s in QUEUES for x in ("", "-dlq")}:
        problems.append(f"{extra}: a queue QUEUES does not define")
    return problems


# -- IAM --------------------------------------------------------------------------


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def allows(policy: dict, action: str, resource: str) -> bool:
    for st in policy["Statement"]:
        assert st["Effect"] == "Allow", "the policies hold no Deny; extend allows() if they do"
        if any(fnmatch.fnmatch(action.lower(), a.lower()) for a in _as_list(st["Action"])) and any(
            fnmatch.fnmatchcase(resource, r) for r in _as_list(st["Resource"])
        ):
            return True
    return False


def arn(service: str, rest: str) -> str:
    return ACCOUNT_ARN.format(service=service, rest=rest)


def policy_problems(policy: dict, stage: str) -> list[str]:
    """The API handler's policy against what the code calls."""
    problems = []
    other = "prod" if stage == "dev" else "dev"
    for model in ALL_MODELS:
        table = f"table/cskh-{stage}-{short_name(model)}"
        for action in TABLE_ACTIONS:
            if not allows(policy, f"dynamodb:{action}", arn("dynamodb", table)):
                problems.append(f"{table}: {action} not allowed")
        if allows(policy, "dynamodb:Scan", arn("dynamodb", table)):
            problems.append(f"{table}: Scan allowed (no request path scans)")
        if allows(policy, "dynamodb:GetItem", arn("dynamodb", f"table/cskh-{other}-{short_name(model)}")):
            problems.append(f"{table}: the {other} stage's table is allowed too")
        for index in _indexes(model, GlobalSecondaryIndex):
            if not allows(policy, "dynamodb:Query", arn("dynamodb", f"{table}/index/{index.Meta.index_name}")):
                problems.append(f"{table}/index/{index.Meta.index_name}: Query not allowed")
    for st in policy["Statement"]:
        for action in _as_list(st["Action"]):
            if action.endswith(":*") or action == "*":
                problems.append(f"wildcard action {action}")
            if st["Resource"] == "*" and not (action.startswith("xray:") or action == "sns:Publish"):
                problems.append(f"{action} on every resource")
    return problems


# -- fixtures ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def packaged(tmp_path_factory) -> dict:
    """`python -m infra.package --stage dev`: the merge template and a real `chalice package`."""
    out = tmp_path_factory.mktemp("package")
    proc = subprocess.run(
        [sys.executable, "-m", "infra.package", "--stage", "dev", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (out / "deployment.zip").stat().st_size > 0
    return json.loads((out / "sam.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=STAGES)
def merge_template(request) -> tuple[str, dict]:
    return request.param, infra.build_template(request.param)


# -- tables and queues -------------------------------------------------------------


def test_tables_match_the_models(merge_template):
    stage, template = merge_template
    assert table_problems(template, stage) == []


def test_packaged_tables_match_the_models(packaged):
    assert table_problems(packaged, "dev") == []


def _props(template: dict, table: str) -> dict:
    return template["Resources"][table]["Properties"]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: _props(t, "CustomersTable").pop("GlobalSecondaryIndexes"),
        lambda t: _props(t, "CustomersTable")["GlobalSecondaryIndexes"][0]["Projection"].update(NonKeyAttributes=["x"]),
        lambda t: _props(t, "InvoicesTable")["GlobalSecondaryIndexes"][1]["KeySchema"].pop(),
        lambda t: _props(t, "InvoicesTable")["GlobalSecondaryIndexes"][0]["Projection"].update(
            ProjectionType="KEYS_ONLY"
        ),
        lambda t: _props(t, "CustomersTable").update(TableName="cskh-dev-customer"),
        lambda t: _props(t, "AccountsTable")["KeySchema"][0].update(AttributeName="login"),
        lambda t: _props(t, "InvoicesTable")["AttributeDefinitions"].pop(),
        lambda t: _props(t, "CountersTable").update(TimeToLiveSpecification={"AttributeName": "ttl", "Enabled": True}),
        lambda t: _props(t, "CustomersTable").pop("PointInTimeRecoverySpecification"),
        lambda t: t["Resources"]["CustomersTable"].pop("DeletionPolicy"),
        lambda t: t["Resources"]["CustomersTable"].update(DeletionPolicy="Retain"),
        lambda t: t["Resources"].pop("CustomerLinksTable"),
    ],
    ids=[
        "gsi-missing",
        "projection-attrs",
        "gsi-range",
        "projection-type",
        "name",
        "key",
        "attribute",
        "ttl",
        "pitr",
        "retain",
        "retain-on-create",
        "table-missing",
    ],
)
def test_table_check_fails_on_a_difference(tamper):
    template = copy.deepcopy(infra.build_template("dev"))
    tamper(template)
    assert table_problems(template, "dev")


def test_table_check_fails_on_a_wrong_ttl():
    template = copy.deepcopy(infra.build_template("dev"))
    template["Resources"]["SessionsTable"]["Properties"].pop("TimeToLiveSpecification")
    assert table_problems(template, "dev") == ["cskh-dev-sessions: TTL None != expires_at"]


def test_the_models_are_on_demand_as_deployed():
    # Local tables come from Model.create_table: the same billing mode as the template.
    assert {m.Meta.billing_mode for m in ALL_MODELS} == {"PAY_PER_REQUEST"}


def test_queues_have_dead_letter_queues_and_alarms(merge_template):
    stage, template = merge_template
    assert queue_problems(template, stage) == []


def test_queue_check_fails_on_a_difference():
    template = copy.deepcopy(infra.build_template("dev"))
    template["Resources"]["NotificationsQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"] = 99
    template["Resources"].pop("NotificationsDeadLetterQueueAlarm")
    assert len(queue_problems(template, "dev")) == 2


# -- the packaged template ---------------------------------------------------------


def _functions(sam: dict) -> dict[str, dict]:
    return {k: r for k, r in sam["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def test_every_sqs_event_source_reports_batch_item_failures(packaged):
    from app import app  # the app as this process sees it: which handlers listen to which queue

    sqs_handlers = {s.name for s in app.event_sources if type(s).__name__ == "SQSEventConfig"}
    assert sqs_handlers, "the notification worker is an SQS handler"
    queue_names = {
        r["Properties"]["QueueName"]: k for k, r in packaged["Resources"].items() if r["Type"] == "AWS::SQS::Queue"
    }
    seen = set()
    for logical_id, fn in _functions(packaged).items():
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] != "SQS":
                continue
            seen.add(logical_id)
            props = event["Properties"]
            assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
            queue = props["Queue"]["Fn::Sub"].rsplit(":", 1)[1]
            assert queue in queue_names, f"{logical_id} listens to {queue}, which the template does not create"
            assert queue_names[queue] in packaged["Resources"][f"{logical_id}Role"]["DependsOn"]
            visibility = packaged["Resources"][queue_names[queue]]["Properties"]["VisibilityTimeout"]
            window = props.get("MaximumBatchingWindowInSeconds", 0)
            assert visibility >= 6 * fn["Properties"]["Timeout"] + window, f"{queue}: AWS advises 6x the timeout"
    assert seen == {infra.cfn_name(name) for name in sqs_handlers}


def test_tracing_is_on(packaged):
    assert packaged["Resources"]["RestAPI"]["Properties"]["TracingEnabled"] is True
    for logical_id, fn in _functions(packaged).items():
        assert fn["Properties"]["Tracing"] == "Active", logical_id


def test_functions_have_the_stage_names_and_log_retention(packaged):
    names = {fn["Properties"]["FunctionName"] for fn in _functions(packaged).values()}
    assert names == {
        "cskh-dev",
        "cskh-dev-bearer",
        "cskh-dev-notifications_worker",
        "cskh-dev-reconcile_payments",
        "cskh-dev-payments_report",
        "cskh-dev-readings_worker",
        "cskh-dev-einvoices_worker",
        "cskh-dev-einvoices_sweep",
        "cskh-dev-imports_worker",
        "cskh-dev-plan_reminders",
        "cskh-dev-reminders_worker",
        "cskh-dev-chat_worker",
        "cskh-dev-refresh_zalo_token",
        "cskh-dev-ledger_invariant",
        "cskh-dev-partner_daily_files",
        "cskh-dev-run_debits",
        "cskh-dev-tickets_sweep",
    }
    groups = {
        r["Properties"]["LogGroupName"] for r in packaged["Resources"].values() if r["Type"] == "AWS::Logs::LogGroup"
    }
    assert groups == {f"/aws/lambda/{n}" for n in names}


def test_gateway_responses_use_the_error_format(packaged):
    """In the API definition (x-amazon-apigateway-gateway-responses), so every deployment of the API
    carries them: AWS::ApiGateway::GatewayResponse resources beside a definition body are not waited for
    by SAM's deployment and are dropped by a body in overwrite mode (cfn-lint W3660 after the transform)."""
    assert not [k for k, r in packaged["Resources"].items() if r["Type"] == "AWS::ApiGateway::GatewayResponse"]
    responses = packaged["Resources"]["RestAPI"]["Properties"]["DefinitionBody"][
        "x-amazon-apigateway-gateway-responses"
    ]
    assert set(responses) == {
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "MISSING_AUTHENTICATION_TOKEN",
        "THROTTLED",
        "DEFAULT_4XX",
        "DEFAULT_5XX",
    }
    statuses = {t: p.get("statusCode") for t, p in responses.items()}
    assert statuses == {
        "UNAUTHORIZED": "401",
        "ACCESS_DENIED": "403",
        "MISSING_AUTHENTICATION_TOKEN": "404",
        "THROTTLED": "429",
        "DEFAULT_4XX": None,
        "DEFAULT_5XX": None,
    }
    for props in responses.values():
        assert set(props) <= {"statusCode", "responseTemplates"}
        body = json.loads(props["responseTemplates"]["application/json"])
        assert set(body) == {"code", "message"} and re.fullmatch(r"[A-Z][A-Z_]+", body["code"]) and body["message"]


def test_alarms_on_5xx_lambda_errors_and_throttles(packaged):
    res = packaged["Resources"]
    api_name = res["RestAPI"]["Properties"]["Name"]
    _, api_5xx = _resource_by(
        res, "AWS::CloudWatch::Alarm", MetricName="5XXError", Dimensions=[{"Name": "ApiName", "Value": api_name}]
    )
    _, errors = _resource_by(
        res,
        "AWS::CloudWatch::Alarm",
        MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": {"Ref": "APIHandler"}}],
    )
    _, throttles = _resource_by(
        res,
        "AWS::CloudWatch::Alarm",
        MetricName="Throttles",
        Dimensions=[{"Name": "FunctionName", "Value": {"Ref": "APIHandler"}}],
    )
    for alarm in (api_5xx, errors, throttles):
        assert _is_alarm_to_topic(alarm)
    assert res["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    assert packaged["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["info"]["title"] == api_name


# -- AWS's limits, the SAM transform, deletion and concurrency ------------------------

INLINE_TEMPLATE_LIMIT = 51_200  # bytes CloudFormation takes inline (--template-body)
S3_TEMPLATE_LIMIT = 1_000_000  # bytes of a template CloudFormation reads from S3
RESOURCE_LIMIT = 500  # resources in one stack
ENVIRONMENT_LIMIT = 4 * 1024  # bytes of one function's environment variables together
ROLE_POLICY_LIMIT = 10_240  # characters of a role's inline policies together (whitespace not counted)
# The SQS workers: each reserves a little concurrency so that a burst of messages cannot take the API's.
WORKERS = {
    "notifications_worker",
    "readings_worker",
    "imports_worker",
    "reminders_worker",
    "chat_worker",
    "einvoices_worker",
}


def _minified_size(template: dict) -> int:
    return len(json.dumps(template, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _chalice_setting(stage: str, function: str, key: str):
    """Chalice's lookup, read from config.json here: the stage's function, the stage, the app's function, the app."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    stage_config = config["stages"][stage]
    for scope in (
        stage_config.get("lambda_functions", {}).get(function, {}),
        stage_config,
        config.get("lambda_functions", {}).get(function, {}),
        config,
    ):
        if key in scope:
            return scope[key]
    return None


@pytest.fixture(scope="module")
def expanded(packaged) -> dict:
    """The template CloudFormation's SAM transform makes of the packaged one (aws-sam-translator, offline)."""
    from infra.expand import expand

    return expand(packaged)


def _deploy_commands(text: str) -> list[str]:
    """Each `aws cloudformation deploy` / `sam deploy` command of a document: in a code block (with its
    continuation lines), or in inline code (to its closing backtick, across a line break)."""
    joined = text.replace("\\\n", " ")
    commands = []
    for match in re.finditer(r"(aws cloudformation deploy|sam deploy)\b", joined):
        inline = joined[: match.start()].endswith("`")
        end = joined.find("`" if inline else "\n", match.end())
        command = " ".join(joined[match.start() : end if end >= 0 else None].split())
        if "--template-file" in command:
            commands.append(command)
    return commands


def test_the_template_goes_through_s3(packaged):
    """CloudFormation takes at most 51,200 bytes inline; the packaged template is far over (minified,
    as its YAML is bigger still): every documented deployment names the bucket it goes through."""
    size = _minified_size(packaged)
    assert INLINE_TEMPLATE_LIMIT < size < S3_TEMPLATE_LIMIT, size
    data_templates = {stage: _minified_size(infra.build_data_template(stage)) for stage in STAGES}
    seen = 0
    for doc in ("docs/deploy.md", "README.md"):
        for command in _deploy_commands((ROOT / doc).read_text(encoding="utf-8")):
            seen += 1
            data = re.search(r"--template-file \S*data\.(\w+)\.json", command)
            if data:  # the `chalice deploy` data stack: small enough to go inline
                assert data_templates[data.group(1)] < INLINE_TEMPLATE_LIMIT, command
            else:
                assert "--s3-bucket" in command, f"{doc}: {command}"
    assert seen >= 2


def test_the_stack_stays_under_the_service_limits(packaged, expanded):
    assert len(expanded["Resources"]) < RESOURCE_LIMIT
    functions = _functions(packaged)
    assert functions
    for logical_id, fn in functions.items():
        variables = fn["Properties"].get("Environment", {}).get("Variables", {})
        size = sum(len(k.encode()) + len(str(v).encode()) for k, v in variables.items())
        assert size < ENVIRONMENT_LIMIT and _minified_size(variables) < ENVIRONMENT_LIMIT, logical_id
    roles = {k: r for k, r in expanded["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    assert len(roles) >= len(functions)
    for logical_id, role in roles.items():
        documents = [p["PolicyDocument"] for p in role["Properties"].get("Policies", [])]
        assert sum(_minified_size(d) for d in documents) < ROLE_POLICY_LIMIT, logical_id


@pytest.mark.parametrize("stage", STAGES)
def test_visibility_is_six_times_the_consumers_timeout(stage):
    """AWS's advice for a queue that invokes Lambda: visibility >= 6 x the function's timeout (+ its
    batching window). Below it a slow batch's messages reappear while it still runs: a duplicate SMS."""
    from app import app

    queues = {
        r["Properties"]["QueueName"]: r["Properties"]
        for r in infra.build_template(stage)["Resources"].values()
        if r.get("Type") == "AWS::SQS::Queue"
    }
    pairs = 0
    for source in app.event_sources:
        if type(source).__name__ != "SQSEventConfig":
            continue
        timeout = _chalice_setting(stage, source.name, "lambda_timeout") or 60
        name = source.queue.replace(get_settings().table_prefix, f"cskh-{stage}-", 1)
        wanted = 6 * timeout + (source.maximum_batching_window_in_seconds or 0)
        assert queues[name]["VisibilityTimeout"] >= wanted, f"{name}: {queues[name]['VisibilityTimeout']} < {wanted}"
        pairs += 1
    assert pairs == len(WORKERS)


def test_sam_deploys_no_stray_stage(packaged, expanded):
    """Without OpenApiVersion SAM also deploys a stage named `Stage` (every route, without the throttling
    and tracing of `api`); the gateway responses live in the definition, not beside it."""
    apis = {k: r for k, r in packaged["Resources"].items() if r["Type"] == "AWS::Serverless::Api"}
    assert apis
    for logical_id, api in apis.items():
        body = api["Properties"]["DefinitionBody"]
        assert api["Properties"].get("OpenApiVersion") == body.get("swagger", body.get("openapi")), logical_id
    resources = expanded["Resources"].values()
    stages = [r["Properties"]["StageName"] for r in resources if r["Type"] == "AWS::ApiGateway::Stage"]
    assert stages == ["api"]
    deployments = [r for r in resources if r["Type"] == "AWS::ApiGateway::Deployment"]
    assert len(deployments) == 1 and "StageName" not in deployments[0]["Properties"]
    assert not [r for r in resources if r["Type"] == "AWS::ApiGateway::GatewayResponse"]
    (rest_api,) = [r for r in resources if r["Type"] == "AWS::ApiGateway::RestApi"]
    key = "x-amazon-apigateway-gateway-responses"
    assert rest_api["Properties"]["Body"][key] == apis["RestAPI"]["Properties"]["DefinitionBody"][key]


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_definition_names_its_version_and_carries_the_gateway_responses(stage):
    resources = infra.build_template(stage)["Resources"]
    props = resources["RestAPI"]["Properties"]
    assert props["OpenApiVersion"] and set(props["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]) == set(
        infra.GATEWAY_RESPONSES
    )
    assert not [r for r in resources.values() if r.get("Type") == "AWS::ApiGateway::GatewayResponse"]


@pytest.mark.parametrize("stage", STAGES)
def test_data_is_kept_but_a_failed_first_create_is_cleaned_up(stage):
    """Tables and the bucket have fixed names: Retain would leave them behind after a failed first
    create, and the retry would stop at "already exists". RetainExceptOnCreate keeps them otherwise."""
    for template in (infra.build_template(stage), infra.build_data_template(stage)):
        kept = {
            k: r
            for k, r in template["Resources"].items()
            if r.get("Type") in ("AWS::DynamoDB::Table", "AWS::S3::Bucket")
        }
        assert len(kept) == len(ALL_MODELS) + 2  # the imports bucket and the documents bucket
        for logical_id, resource in kept.items():
            assert resource["DeletionPolicy"] == "RetainExceptOnCreate", logical_id
            assert resource["UpdateReplacePolicy"] == "Retain", logical_id
            if resource["Type"] == "AWS::DynamoDB::Table":
                assert resource["Properties"]["DeletionProtectionEnabled"] is (stage == "prod"), logical_id
        assert not [k for k, r in template["Resources"].items() if r.get("DeletionPolicy") == "Retain"]


@pytest.mark.parametrize("stage", STAGES)
def test_workers_reserve_a_little_concurrency(stage):
    """A burst of messages cannot take the API's concurrency: each SQS worker has a small reserved
    concurrency (config.json), and its event source never invokes more than that at once (more would
    be throttled, each throttled receive counting toward the dead-letter queue)."""
    from app import app

    sources = {s.name: s for s in app.event_sources if type(s).__name__ == "SQSEventConfig"}
    assert set(sources) == WORKERS
    resources = infra.build_template(stage)["Resources"]
    total = 0
    for name, source in sources.items():
        reserved = _chalice_setting(stage, name, "reserved_concurrency")
        assert isinstance(reserved, int) and 2 <= reserved <= 10, f"{stage} {name}: {reserved}"
        total += reserved
        logical_id = infra.cfn_name(name)
        event = resources[logical_id]["Properties"]["Events"][f"{logical_id}SqsEventSource"]["Properties"]
        maximum = event["ScalingConfig"]["MaximumConcurrency"]
        assert 2 <= maximum <= reserved and maximum <= (source.maximum_concurrency or maximum), name
    assert total <= 30  # with Lambda's 100 unreserved, an account quota of 130 deploys both stages' API room
    for name in ("api_handler", "bearer"):
        assert _chalice_setting(stage, name, "reserved_concurrency") is None, "reserved concurrency caps the API"


def test_packaged_workers_carry_their_reserved_concurrency(packaged, expanded):
    functions = {fn["Properties"]["FunctionName"]: fn["Properties"] for fn in _functions(packaged).values()}
    for name in WORKERS:
        assert functions[f"cskh-dev-{name}"]["ReservedConcurrentExecutions"] == _chalice_setting(
            "dev", name, "reserved_concurrency"
        )
    assert "ReservedConcurrentExecutions" not in functions["cskh-dev"]
    reserved = {
        k: r["Properties"].get("ReservedConcurrentExecutions")
        for k, r in expanded["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function"
    }
    mappings = [
        r["Properties"] for r in expanded["Resources"].values() if r["Type"] == "AWS::Lambda::EventSourceMapping"
    ]
    assert len(mappings) == len(WORKERS)
    for mapping in mappings:
        function = mapping["FunctionName"]["Ref"]
        assert reserved[function] and mapping["ScalingConfig"]["MaximumConcurrency"] <= reserved[function]


# -- IAM and the chalice config -----------------------------------------------------


def _role_policy(sam: dict, role: str) -> dict:
    policies = sam["Resources"][role]["Properties"]["Policies"]
    assert len(policies) == 1
    return policies[0]["PolicyDocument"]


def test_packaged_roles_are_least_privilege(packaged):
    api = _role_policy(packaged, "ApiHandlerRole")
    assert policy_problems(api, "dev") == []
    assert allows(api, "sqs:SendMessage", arn("sqs", "cskh-dev-notifications"))
    assert allows(api, "ssm:GetParameter", arn("ssm", "parameter/cskh/dev/jwt-secret"))
    assert not allows(api, "sns:Publish", "*")

    bearer = _role_policy(packaged, "BearerRole")
    assert allows(bearer, "ssm:GetParameter", arn("ssm", "parameter/cskh/dev/jwt-secret"))
    assert allows(bearer, "kms:Decrypt", arn("kms", "key/1234"))
    assert not allows(bearer, "dynamodb:GetItem", arn("dynamodb", "table/cskh-dev-accounts"))

    worker = _role_policy(packaged, "NotificationsWorkerRole")
    for action in ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes"):
        assert allows(worker, f"sqs:{action}", arn("sqs", "cskh-dev-notifications"))
    assert allows(worker, "sns:Publish", "*")
    assert not allows(worker, "dynamodb:GetItem", arn("dynamodb", "table/cskh-dev-accounts"))
    assert not allows(worker, "ssm:GetParameter", arn("ssm", "parameter/cskh/dev/jwt-secret"))

    for role in ("ApiHandlerRole", "BearerRole", "NotificationsWorkerRole"):
        doc = _role_policy(packaged, role)
        assert allows(doc, "xray:PutTraceSegments", "*") and allows(doc, "xray:PutTelemetryRecords", "*")
        fn = packaged["Resources"][role[: -len("Role")] if role != "ApiHandlerRole" else "APIHandler"]
        group = f"log-group:/aws/lambda/{fn['Properties']['FunctionName']}"
        assert allows(doc, "logs:PutLogEvents", arn("logs", f"{group}:log-stream:2024/01/01/[$LATEST]abc"))


def test_the_zalo_token_refresher_may_read_and_write_exactly_its_parameters(monkeypatch):
    """What the job calls (services/zalo_tokens.py): GetParameter on the refresh token (and the app
    secret, read through SSM in a deployed stage), PutParameter on both tokens, KMS only through SSM;
    nothing while the stage does not configure it."""
    fn = next(f for f in infra.app_functions() if f.name == "refresh_zalo_token")
    assert fn.kind == "event"

    def ssm_grants(policy: dict) -> set:
        return {
            (a, r)
            for st in policy["Statement"]
            for a in _as_list(st["Action"])
            if a.startswith("ssm:")
            for r in _as_list(st["Resource"])
        }

    for stage in STAGES:  # as shipped: not configured
        policy = infra.policy_for(stage, fn)
        assert ssm_grants(policy) == set() and not any(
            a.startswith("kms:") for st in policy["Statement"] for a in _as_list(st["Action"])
        )
        assert json.loads((ROOT / ".chalice" / f"policy-{stage}-refresh_zalo_token.json").read_text()) == policy
    environment = infra.stage_environment
    zalo = {
        "ZALO_APP_ID": "3456789012345678",
        "ZALO_APP_SECRET_PARAM": "/cskh/prod/zalo-app-secret",
        "ZALO_REFRESH_TOKEN_PARAM": "/cskh/prod/zalo-refresh-token",
        "ZALO_ACCESS_TOKEN_PARAM": "/cskh/prod/zalo-access-token",
    }
    monkeypatch.setattr(infra, "stage_environment", lambda stage: dict(environment(stage), **zalo))
    policy = infra.policy_for("prod", fn)
    param = "arn:aws:ssm:*:*:parameter/cskh/prod/"
    assert ssm_grants(policy) == {
        ("ssm:GetParameter", param + "zalo-refresh-token"),
        ("ssm:GetParameter", param + "zalo-app-secret"),
        ("ssm:PutParameter", param + "zalo-refresh-token"),
        ("ssm:PutParameter", param + "zalo-access-token"),
    }
    for name in ("zalo-refresh-token", "zalo-access-token"):
        assert allows(policy, "ssm:PutParameter", arn("ssm", f"parameter/cskh/prod/{name}"))
    assert not allows(policy, "ssm:GetParameter", arn("ssm", "parameter/cskh/prod/zalo-access-token"))
    assert not allows(policy, "ssm:PutParameter", arn("ssm", "parameter/cskh/prod/zalo-app-secret"))
    assert not allows(policy, "ssm:GetParameter", arn("ssm", "parameter/cskh/prod/jwt-secret"))
    assert not allows(policy, "ssm:PutParameter", arn("ssm", "parameter/cskh/dev/zalo-refresh-token"))
    kms = [st for st in policy["Statement"] if any(a.startswith("kms:") for a in _as_list(st["Action"]))]
    assert [sorted(st["Action"]) for st in kms] == [["kms:Decrypt", "kms:Encrypt"]]
    assert kms[0]["Condition"] == {"StringLike": {"kms:ViaService": "ssm.*.amazonaws.com"}}
    assert not any(
        a.startswith(("dynamodb:", "sqs:", "sns:", "s3:")) for st in policy["Statement"] for a in _as_list(st["Action"])
    )
    # The workers that read the access token still only read it.
    for name in ("chat_worker", "reminders_worker"):
        worker = infra.policy_for("prod", next(f for f in infra.app_functions() if f.name == name))
        assert allows(worker, "ssm:GetParameter", arn("ssm", "parameter/cskh/prod/zalo-access-token"))
        assert not allows(worker, "ssm:PutParameter", arn("ssm", "parameter/cskh/prod/zalo-access-token"))


@pytest.mark.parametrize("stage", STAGES)
def test_policy_files_cover_every_table_and_index(stage):
    api_policy = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text(encoding="utf-8"))
    assert policy_problems(api_policy, stage) == []


def test_policy_check_fails_without_an_index():
    policy = copy.deepcopy(json.loads((ROOT / ".chalice" / "policy-dev.json").read_text(encoding="utf-8")))
    indexes = next(st for st in policy["Statement"] if st.get("Sid") == "Indexes")
    indexes["Resource"] = [r for r in indexes["Resource"] if not r.endswith("/by_phone")]
    policy["Statement"].append({"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "*"})
    problems = policy_problems(policy, "dev")
    assert any("by_phone" in p for p in problems) and any("Scan" in p for p in problems)


@pytest.mark.parametrize("stage", STAGES)
def test_policy_files_are_the_generated_ones(stage):
    for name, doc in infra.policy_files(stage).items():
        on_disk = json.loads((ROOT / ".chalice" / name).read_text(encoding="utf-8"))
        assert on_disk == doc, f".chalice/{name} is stale: run `python -m infra.package --write-policies`"


def test_chalice_config_stages():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    assert config["app_name"] == "cskh" and config["xray"] is True and config["autogen_policy"] is False
    assert config.get("environment_variables", {}) == {}
    assert config["stages"]["local"]["environment_variables"] == {"STAGE": "local"}
    for stage in STAGES:
        env = infra.stage_environment(stage)
        assert "JWT_SECRET" not in env
        settings = load_settings(env)  # a deployed stage's environment passes validation
        assert settings.stage == stage and settings.table_prefix == f"cskh-{stage}-"
        assert settings.jwt_secret_param == f"/cskh/{stage}/jwt-secret"
        assert env["POWERTOOLS_SERVICE_NAME"] == "cskh" and env["LOG_LEVEL"]
        assert not any(k.startswith("AWS_") for k in env), "endpoints and credentials never come from config"
        worker_timeout = infra.function_config(stage, "notifications_worker", "lambda_timeout")
        assert worker_timeout <= QUEUES["notifications"][0]


def test_prod_is_not_packaged_with_the_shipped_placeholders(monkeypatch, tmp_path):
    """A prod stack with VNPay's CHANGEME terminal, an example.vn payment link in every reminder,
    a 0000000000 tax code on every invoice: refused at packaging, each one named."""
    from infra import package as pkg

    left = pkg.placeholders("prod")
    assert {item.split("=")[0].split(" ")[0] for item in left} == {
        "VNPAY_TMN_CODE",
        "IMPORTS_BUCKET",
        "DOCUMENTS_BUCKET",
        "PAYMENT_LINK_BASE",
        "REMINDER_EMAIL_FROM",
        "SELLER_TAX_CODE",
        "FACEBOOK_VERIFY_TOKEN",
        "ZALO_APP_ID",
    }
    # (In its own process: packaging sets the stage's environment.)
    proc = subprocess.run(
        [sys.executable, "-m", "infra.package", "--stage", "prod", "--template-only", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0 and not list(tmp_path.iterdir())
    assert "VNPAY_TMN_CODE=CHANGEME" in proc.stderr and "--allow-placeholders" in proc.stderr
    # Set, they are gone from the list.
    real = {
        "VNPAY_TMN_CODE": "CAWACO01",
        "IMPORTS_BUCKET": "cskh-prod-imports-123456789012",
        "DOCUMENTS_BUCKET": "cskh-prod-documents-123456789012",
        "PAYMENT_LINK_BASE": "https://cskh.capnuoccamau.vn/?invoice=",
        "SELLER_TAX_CODE": "2000100190",
        "REMINDER_EMAIL_FROM": "CAWACO <no-reply@capnuoccamau.vn>",
        "FACEBOOK_VERIFY_TOKEN": "the-utility-chose-this",
        "ZALO_APP_ID": "4291763606161179100",
    }
    environment = pkg.stage_environment
    monkeypatch.setattr(pkg, "stage_environment", lambda stage: dict(environment(stage), **real))
    assert pkg.placeholders("prod") == []


def test_the_vnpay_alarms_watch_the_metrics_the_reconciliation_job_emits(monkeypatch, capsys):
    """VNPay not answering querydr (or answering another amount) used to be a count in a log line."""
    import chalicelib.config as config
    from chalicelib.jobs.reconcile import record_vnpay_health
    from chalicelib.observability import metrics

    settings = config.get_settings()
    monkeypatch.setattr(config, "get_settings", lambda: type(settings)(**{**settings.__dict__, "stage": "prod"}))
    metrics.cache_clear()
    record_vnpay_health({"unanswered": 2, "mismatch": 1, "paid": 3})
    metrics.cache_clear()
    emf = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    directive = emf["_aws"]["CloudWatchMetrics"][0]
    emitted = {m["Name"] for m in directive["Metrics"]}
    assert emf["ReconcileUnanswered"] == [2.0] or emf["ReconcileUnanswered"] == 2.0
    resources = infra.build_template("prod")["Resources"]
    for alarm_id in ("VnpayUnansweredAlarm", "VnpayAmountMismatchAlarm"):
        props = resources[alarm_id]["Properties"]
        assert props["Namespace"] == directive["Namespace"] and props["MetricName"] in emitted
        assert {d["Name"]: d["Value"] for d in props["Dimensions"]} == {d: emf[d] for d in directive["Dimensions"][0]}
    # The daily report: a credit waiting for its refund makes the morning's alarm.
    from chalicelib.jobs import reconcile

    class Payments:
        def daily_report(self):
            return {
                "credits_to_refund": [{"payment_id": "credit#1#INV"}],
                "refunds_failed": [],
                "refunds_unconfirmed": [],
                "orders_unsettled": [],
                "mismatches": 1,
            }

    for provider in ("payments", "refunds"):
        monkeypatch.setattr(reconcile.deps, provider, lambda: Payments())
    metrics.cache_clear()
    capsys.readouterr()
    reconcile.payments_report.func(type("Event", (), {"context": None})())
    metrics.cache_clear()
    emf = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    props = resources["PaymentsNeedingAPersonAlarm"]["Properties"]
    assert props["MetricName"] in {m["Name"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert (
        emf[props["MetricName"]] in (1, 1.0, [1.0])
        and props["Namespace"] == emf["_aws"]["CloudWatchMetrics"][0]["Namespace"]
    )


def test_the_ledger_alarms_watch_the_metrics_the_invariant_job_emits(monkeypatch, capsys):
    """Accounts that do not add up (or a run that could not reach them all) raise an alarm, not a log line."""
    import chalicelib.config as config
    from chalicelib.jobs import ledger
    from chalicelib.observability import metrics

    settings = config.get_settings()
    monkeypatch.setattr(config, "get_settings", lambda: type(settings)(**{**settings.__dict__, "stage": "prod"}))

    class Invariant:
        def run(self, time_left_ms=None):
            assert time_left_ms is not None and time_left_ms() == 840_000
            return {"complete": False, "checked": 41, "breaching": 2, "codes": ["01031059", "01031060"]}

    monkeypatch.setattr(ledger.deps, "ledger_invariant", lambda: Invariant())
    context = type("Context", (), {"aws_request_id": "r-1", "get_remaining_time_in_millis": lambda self: 840_000})()
    metrics.cache_clear()
    capsys.readouterr()
    assert ledger.ledger_invariant.func(type("Event", (), {"context": context})())["breaching"] == 2
    metrics.cache_clear()
    emf = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    directive = emf["_aws"]["CloudWatchMetrics"][0]
    resources = infra.build_template("prod")["Resources"]
    for alarm_id, value in (("LedgerInvariantAlarm", 2), ("LedgerInvariantIncompleteAlarm", 1)):
        props = resources[alarm_id]["Properties"]
        assert props["Namespace"] == directive["Namespace"]
        assert props["MetricName"] in {m["Name"] for m in directive["Metrics"]}
        assert emf[props["MetricName"]] in (value, float(value), [float(value)])
        assert {d["Name"]: d["Value"] for d in props["Dimensions"]} == {d: emf[d] for d in directive["Dimensions"][0]}
        assert props["Threshold"] == 1 and props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert _is_alarm_to_topic(resources[alarm_id])
    # Daily, and it reads only: it walks the book through the customers' by_shard index, so no function
    # may Scan any table.
    fn = next(f for f in infra.app_functions() if f.name == "ledger_invariant")
    assert fn.kind == "event"
    for stage in STAGES:
        policy = infra.policy_for(stage, fn)
        assert allows(policy, "dynamodb:Query", arn("dynamodb", f"table/cskh-{stage}-customers/index/by_shard"))
        for action in ("PutItem", "UpdateItem", "DeleteItem"):
            assert not allows(policy, f"dynamodb:{action}", arn("dynamodb", f"table/cskh-{stage}-ledger"))
        assert allows(policy, "dynamodb:Query", arn("dynamodb", f"table/cskh-{stage}-ledger"))
        for other in infra.app_functions():
            for table in ("customers", "ledger", "invoices", "customer_accounts", "accounts"):
                assert not allows(
                    infra.policy_for(stage, other), "dynamodb:Scan", arn("dynamodb", f"table/cskh-{stage}-{table}")
                ), (other.name, table)


def test_dynamodb_calls_are_bounded_on_aws_and_not_on_dynamodb_local():
    """PynamoDB's defaults (15 s connect, 30 s read) would let one stalled call outlast the API's 20 s."""
    snippet = (
        "from chalicelib.store import models as m; c = m.CONNECTION; "
        "print(c._connect_timeout_seconds, c._read_timeout_seconds)"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_ENDPOINT") and k not in ("DYNAMODB_ENDPOINT", "JWT_SECRET", "VNPAY_HASH_SECRET")
    }
    env.update(infra.stage_environment("prod"), AWS_DEFAULT_REGION="ap-southeast-1")
    deployed = subprocess.run(
        [sys.executable, "-c", snippet], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert deployed.stdout.split() == ["2", "5"], deployed.stdout + deployed.stderr
    local = subprocess.run([sys.executable, "-c", snippet], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert local.stdout.split() == ["15", "30"], local.stdout + local.stderr


@pytest.mark.parametrize("stage", STAGES)
def test_the_documents_bucket_keeps_legal_invoices_private_encrypted_and_unexpired(stage):
    """The e-invoices' documents are kept 10 years (docs/einvoice.md): their own bucket, never the imports
    bucket (whose lifecycle expires what it holds); no expiry, versioned, private, SSE, TLS only."""
    resources = infra.build_template(stage)["Resources"]
    props = resources["DocumentsBucket"]["Properties"]
    settings = infra.stage_settings(stage)
    assert props["BucketName"] == settings.documents_bucket != settings.imports_bucket
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse["SSEAlgorithm"] == "AES256"
    assert all(props["PublicAccessBlockConfiguration"].values()) and len(props["PublicAccessBlockConfiguration"]) == 4
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = props["LifecycleConfiguration"]["Rules"]
    assert not [r for r in rules if "ExpirationInDays" in r or "NoncurrentVersionExpiration" in r or "Transitions" in r]
    deny = resources["DocumentsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("stage", STAGES)
def test_the_documents_bucket_lets_a_browser_post_and_get_by_presigned_links_only(stage):
    """The website posts a request's photo straight to the bucket (a presigned form) and shows it by a
    presigned link (issue 18): CORS for POST and GET from any origin, nothing else (no PUT, DELETE, extra
    headers or exposed ones); what is written or read stays the presigned policy's, and the bucket private."""
    props = infra.build_template(stage)["Resources"]["DocumentsBucket"]["Properties"]
    (rule,) = props["CorsConfiguration"]["CorsRules"]
    assert sorted(rule["AllowedMethods"]) == ["GET", "POST"]
    assert rule["AllowedOrigins"] == ["*"]
    assert not {"AllowedHeaders", "ExposedHeaders"} & set(rule)
    assert all(props["PublicAccessBlockConfiguration"].values())


def test_the_local_documents_bucket_gets_the_deployed_cors_rule():
    """local/bootstrap.py puts the same rule on moto's bucket, in the S3 API's spelling."""
    from local.bootstrap import documents_cors

    (rule,) = infra.DOCUMENTS_CORS["CorsRules"]
    assert documents_cors() == {
        "CORSRules": [
            {
                "ID": rule["Id"],
                "AllowedMethods": rule["AllowedMethods"],
                "AllowedOrigins": rule["AllowedOrigins"],
                "MaxAgeSeconds": rule["MaxAge"],
            }
        ]
    }
