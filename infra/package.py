"""Package a deployed stage: the CloudFormation merge template, then `chalice package`.

    python -m infra.package [--stage dev|prod] [--out build/package]
    python -m infra.package --stage dev --template-only       # just the merge template
    python -m infra.package --stage dev --data-only           # tables + queues alone (for `chalice deploy`)
    python -m infra.package --write-policies                  # regenerate .chalice/policy-*.json

The tables, indexes and TTL come from the PynamoDB models (`ALL_MODELS`), the
queues from `QUEUES`, the functions from the Chalice app and the gateway error
bodies from `chalicelib.errors`: one definition, which `local/bootstrap.py`
also creates locally. `infra/resources.json` holds what the code does not
know (alarm topic, API alarms, API stage settings); the generated parts are
merged on top of it into `<out>/resources.<stage>.json`, which `chalice
package --merge-template` merges into Chalice's SAM template (`<out>/sam.json`,
`<out>/deployment.zip`). No AWS credentials are needed, nor used.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
CHALICE_DIR = ROOT / ".chalice"
BASE_TEMPLATE = ROOT / "infra" / "resources.json"
DEFAULT_OUT = ROOT / "build" / "package"

DLQ_RETENTION_SECONDS = 14 * 24 * 3600
LOG_RETENTION_DAYS = {"dev": 30, "prod": 90}
# AWS's advice for a queue that invokes a Lambda function: a visibility timeout of at least six times
# the function's timeout (plus its batching window), so that a batch still being worked on, or retried
# after a throttle, does not reappear and run twice (a duplicate SMS or e-mail).
VISIBILITY_PER_FUNCTION_TIMEOUT = 6
CHALICE_DEFAULT_TIMEOUT = 60  # seconds, when config.json sets no lambda_timeout
SQS_MAX_VISIBILITY = 12 * 3600
# Customer data outlives the stack, but not a failed first create: CloudFormation deletes what the
# failed operation itself created (so a retry does not stop at "already exists") and keeps the rest.
KEEP = {"DeletionPolicy": "RetainExceptOnCreate", "UpdateReplacePolicy": "Retain"}
# Variables of the developer's shell that must not leak into the import of the
# app at packaging time (the stage's config provides the real ones).
_SHELL_ONLY = (
    "STAGE",
    "TABLE_PREFIX",
    "JWT_SECRET",
    "JWT_SECRET_PARAM",
    "VNPAY_HASH_SECRET",
    "VNPAY_HASH_SECRET_PARAM",
    "VNPAY_TMN_CODE",
    "VNPAY_PAY_URL",
    "VNPAY_API_URL",
    "VNPAY_RETURN_URL",
    "LOCAL_SMS_OUTBOX",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_PROFILE",
    "FACEBOOK_APP_SECRET",
    "FACEBOOK_PAGE_TOKEN",
    "ZALO_OA_SECRET",
    "ZALO_ACCESS_TOKEN",
    "ZALO_APP_SECRET",
    "PARTNER_DEMO_SECRET",
    "PARTNER_SECRET_PREFIX",
    "SEPAY_API_KEY",
    "CASSO_CHECKSUM_KEY",
)

Template = dict[str, Any]


# -- the chalice config ------------------------------------------------------


def chalice_config() -> dict:
    return json.loads((CHALICE_DIR / "config.json").read_text(encoding="utf-8"))


def deployed_stages() -> list[str]:
    """Stages that deploy to AWS: the ones with an explicit IAM policy."""
    return [name for name, stage in chalice_config()["stages"].items() if stage.get("iam_policy_file")]


def stage_environment(stage: str) -> dict[str, str]:
    """The Lambda environment of a stage, as Chalice merges it."""
    config = chalice_config()
    if stage not in config.get("stages", {}):
        raise SystemExit(f"unknown chalice stage {stage!r}; .chalice/config.json has {sorted(config['stages'])}")
    return {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}


def stage_settings(stage: str):
    from chalicelib.config import load_settings

    return load_settings(stage_environment(stage))


def function_config(stage: str, function: str, key: str) -> Any:
    """A per-function setting with Chalice's lookup order."""
    config = chalice_config()
    st = config["stages"][stage]
    for scope in (
        st.get("lambda_functions", {}).get(function, {}),
        st,
        config.get("lambda_functions", {}).get(function, {}),
        config,
    ):
        if scope.get(key) is not None:
            return scope[key]
    return None


# -- names ---------------------------------------------------------------------


def cfn_name(name: str) -> str:
    from chalice.utils import to_cfn_resource_name

    return to_cfn_resource_name(name)


def _short_name(full: str) -> str:
    """'cskh-test-customers' -> 'customers', whatever stage this process runs as."""
    from chalicelib.config import get_settings

    prefix = get_settings().table_prefix
    if not full.startswith(prefix):
        raise ValueError(f"{full!r} does not start with this process's prefix {prefix!r}")
    return full[len(prefix) :]


def table_logical_id(short: str) -> str:
    return f"{cfn_name(short)}Table"


def queue_logical_ids(short: str) -> tuple[str, str]:
    base = cfn_name(short)
    return f"{base}Queue", f"{base}DeadLetterQueue"


class Function(NamedTuple):
    logical_id: str  # the resource Chalice's SAM template gives it
    name: str  # Chalice's name: 'api_handler', the authorizer's or the handler's
    kind: str  # api | authorizer | sqs | event
    queue: str | None  # short queue name for an SQS consumer

    def function_name(self, stage: str, app_name: str = "cskh") -> str:
        # The names `chalice deploy` gives, so both ways of deploying agree.
        return f"{app_name}-{stage}" if self.kind == "api" else f"{app_name}-{stage}-{self.name}"


def app_functions() -> list[Function]:
    """The Lambda functions Chalice makes of app.py, with their SAM logical ids."""
    from chalice.app import SQSEventConfig

    from app import app

    out = []
    if app.routes:
        out.append(Function("APIHandler", "api_handler", "api", None))
    for auth in app.builtin_auth_handlers:
        out.append(Function(cfn_name(auth.name), auth.name, "authorizer", None))
    for source in app.event_sources:
        if isinstance(source, SQSEventConfig):
            if not source.queue:
                raise ValueError(f"{source.name}: listen to a queue of QUEUES by name, not by ARN")
            out.append(Function(cfn_name(source.name), source.name, "sqs", _short_name(source.queue)))
        else:
            out.append(Function(cfn_name(source.name), source.name, "event", None))
    for fn in app.pure_lambda_functions:
        out.append(Function(cfn_name(fn.name), fn.name, "event", None))
    return out


# -- tables and queues -------------------------------------------------------


def _keys_first_hash(key_schema: list[dict]) -> list[dict]:
    return sorted(
        ({"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in key_schema),
        key=lambda k: k["KeyType"] != "HASH",
    )


def table_resource(model, stage: str, settings) -> tuple[str, dict]:
    short = _short_name(model.Meta.table_name)
    schema = model._get_schema()  # what Model.create_table sends: the local tables are the same
    props: dict[str, Any] = {
        "TableName": settings.table_name(short),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": sorted(
            (
                {"AttributeName": a["AttributeName"], "AttributeType": a["AttributeType"]}
                for a in schema["attribute_definitions"]
            ),
            key=lambda a: a["AttributeName"],
        ),
        "KeySchema": _keys_first_hash(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
        "DeletionProtectionEnabled": stage == "prod",
        "Tags": [{"Key": "app", "Value": "cskh"}, {"Key": "stage", "Value": stage}],
    }
    for key, cfn_key in (
        ("global_secondary_indexes", "GlobalSecondaryIndexes"),
        ("local_secondary_indexes", "LocalSecondaryIndexes"),
    ):
        if schema[key]:
            props[cfn_key] = [
                {
                    "IndexName": ix["index_name"],
                    "KeySchema": _keys_first_hash(ix["key_schema"]),
                    "Projection": copy.deepcopy(ix["projection"]),
                }
                for ix in schema[key]
            ]
    ttl = getattr(model.Meta, "ttl_attribute", None)
    if ttl:
        props["TimeToLiveSpecification"] = {"AttributeName": ttl, "Enabled": True}
    # Customer data outlives the stack: deleting or replacing it never drops a table (KEEP).
    return table_logical_id(short), {"Type": "AWS::DynamoDB::Table", **KEEP, "Properties": props}


def _alarm(
    description: str,
    namespace: str,
    metric: str,
    dimensions: list[dict],
    statistic: str = "Sum",
    threshold: float = 1,
    operator: str = "GreaterThanOrEqualToThreshold",
) -> dict:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": dimensions,
            "Statistic": statistic,
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": operator,
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlarmTopic"}],
            "OKActions": [{"Ref": "AlarmTopic"}],
        },
    }


def queue_visibility(stage: str) -> dict[str, int]:
    """{short queue name: the visibility timeout it is deployed with}: QUEUES' value (what the local
    stack uses), raised to VISIBILITY_PER_FUNCTION_TIMEOUT x the consuming function's timeout of the
    stage plus its batching window."""
    from chalice.app import SQSEventConfig

    from app import app
    from chalicelib.adapters.queues import QUEUES

    out = {short: visibility for short, (visibility, _) in QUEUES.items()}
    for source in app.event_sources:
        if isinstance(source, SQSEventConfig) and source.queue:
            short = _short_name(source.queue)
            timeout = function_config(stage, source.name, "lambda_timeout") or CHALICE_DEFAULT_TIMEOUT
            needed = VISIBILITY_PER_FUNCTION_TIMEOUT * timeout + (source.maximum_batching_window_in_seconds or 0)
            if needed > SQS_MAX_VISIBILITY:
                raise SystemExit(f"{source.name}: a {timeout} s timeout needs a visibility over SQS's 12 hours")
            out[short] = max(out.get(short, 0), needed)
    return out


def queue_resources(settings, stage: str) -> Template:
    from chalicelib.adapters.queues import QUEUES

    visibilities = queue_visibility(stage)
    out: Template = {}
    for short, (_, max_receives) in QUEUES.items():
        visibility = visibilities[short]
        queue_id, dlq_id = queue_logical_ids(short)
        out[dlq_id] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": settings.queue_name(f"{short}-dlq"),
                "MessageRetentionPeriod": DLQ_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
            },
        }
        out[queue_id] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": settings.queue_name(short),
                "VisibilityTimeout": visibility,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
                    "maxReceiveCount": max_receives,
                },
            },
        }
        out[f"{dlq_id}Alarm"] = _alarm(
            f"Messages of {settings.queue_name(short)} failed {max_receives} times and wait in its dead-letter "
            "queue: read them, fix the cause, then redrive them (docs/deploy.md).",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}],
            statistic="Maximum",
            threshold=0,
            operator="GreaterThanThreshold",
        )
    return out


def data_resources(stage: str) -> Template:
    """Tables, queues and DLQ alarms: what the code needs to exist."""
    from chalicelib.store.models import ALL_MODELS

    settings = stage_settings(stage)
    resources: Template = {}
    for model in ALL_MODELS:
        logical_id, resource = table_resource(model, stage, settings)
        resources[logical_id] = resource
    resources.update(queue_resources(settings, stage))
    resources["ImportsBucket"] = {
        "Type": "AWS::S3::Bucket",
        **KEEP,
        "Properties": {
            "BucketName": settings.imports_bucket,
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            # Customer books hold personal data: uploads and error reports go after 30 days.
            "LifecycleConfiguration": {
                "Rules": [
                    {"Id": "expire-imports", "Status": "Enabled", "Prefix": "imports/", "ExpirationInDays": 30},
                    # Half-finished uploads hold personal data too, unlisted.
                    {
                        "Id": "abort-incomplete-uploads",
                        "Status": "Enabled",
                        "Prefix": "",
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    },
                ]
            },
        },
    }
    resources.update(documents_bucket(settings))
    return resources


# The browser's side of the photos (issue 18): the website (and the app's web views) POST a photo straight
# to this bucket with the presigned form POST /v1/me/photos answers, and may GET one by its presigned link.
# Any origin, because the page's own is not known here (the API's URL, or a domain put before it) and need
# not be: CORS only lets a page read the answer of a request it can already send, and what may be written
# or read is decided by the presigned policy and signature (one key, one image type, 1 byte to 5 MB, 15
# minutes; a GET of one key for 5 minutes). POST and GET only: no PUT, no DELETE, no header beyond a simple
# request's (a form POST needs none, so no preflight), nothing exposed. local/bootstrap.py puts the same rule.
DOCUMENTS_CORS = {
    "CorsRules": [
        {"Id": "presigned-photos", "AllowedMethods": ["POST", "GET"], "AllowedOrigins": ["*"], "MaxAge": 3000}
    ]
}


def documents_bucket(settings) -> Template:
    """The legal e-invoices' documents (services/einvoices.py, docs/einvoice.md): a bucket of its own,
    because the imports bucket expires what it holds and these are kept 10 years (Decree 123/2020). No
    expiry; versioned, so an overwrite or a delete keeps the earlier version; private (public access
    blocked, ACLs off, links are presigned), encrypted at rest (SSE-S3) and reachable over TLS only."""
    return {
        "DocumentsBucket": {
            "Type": "AWS::S3::Bucket",
            **KEEP,
            "Properties": {
                "BucketName": settings.documents_bucket,
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "CorsConfiguration": DOCUMENTS_CORS,
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "abort-incomplete-uploads",
                            "Status": "Enabled",
                            "Prefix": "",
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                        }
                    ]
                },
            },
        },
        "DocumentsBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "DocumentsBucket"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "TlsOnly",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [
                                {"Fn::GetAtt": ["DocumentsBucket", "Arn"]},
                                {"Fn::Sub": "${DocumentsBucket.Arn}/*"},
                            ],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                },
            },
        },
    }


# -- the API and the functions ----------------------------------------------

# API Gateway's own refusals, in the API's error format (API.md: {"code", "message"}, Vietnamese by default).
GATEWAY_RESPONSES = {
    # response type: (error class in chalicelib.errors or None, HTTP status or None to keep API Gateway's)
    "UNAUTHORIZED": ("Unauthorized", 401),
    "ACCESS_DENIED": ("Forbidden", 403),
    # A REST API answers a path or method it does not have with this one (403 "Missing Authentication
    # Token"); our authorizer is a Lambda TOKEN authorizer, so a missing token is UNAUTHORIZED, not this.
    "MISSING_AUTHENTICATION_TOKEN": ("NotFound", 404),
    "THROTTLED": ("RateLimited", 429),
    "DEFAULT_4XX": ("AppError", None),
    "DEFAULT_5XX": (None, None),
}
INTERNAL_ERROR = {"code": "INTERNAL_ERROR", "message": "Đã có lỗi xảy ra. Vui lòng thử lại sau."}


# The version of the definition Chalice writes (a Swagger 2.0 body). SAM's OpenApiVersion names it; set
# at all, it also stops SAM from deploying a second stage named "Stage" beside `api_gateway_stage`.
OPENAPI_VERSION = "2.0"


def gateway_responses() -> Template:
    """The API definition's `x-amazon-apigateway-gateway-responses`: part of the definition body, they
    are deployed with every deployment of the API (separate AWS::ApiGateway::GatewayResponse resources
    are not waited for by SAM's deployment, and a body in overwrite mode drops them)."""
    from chalicelib import errors

    out: Template = {}
    for response_type, (error_name, status) in GATEWAY_RESPONSES.items():
        if error_name:
            err = getattr(errors, error_name)
            body = {"code": err.code, "message": err.message_vi}
        else:
            body = INTERNAL_ERROR
        response: dict[str, Any] = {"responseTemplates": {"application/json": json.dumps(body, ensure_ascii=False)}}
        if status is not None:
            response["statusCode"] = str(status)
        out[response_type] = response
    return out


def sqs_max_concurrency(name: str) -> int | None:
    """The `maximum_concurrency` the code gives an SQS handler's event source, if any."""
    from chalice.app import SQSEventConfig

    from app import app

    for source in app.event_sources:
        if isinstance(source, SQSEventConfig) and source.name == name:
            return source.maximum_concurrency
    return None


def function_resources(stage: str) -> Template:
    """Names, log groups, the SQS event sources' partial batch answers, the API's name and 5xx alarm,
    the alarms on the reconciliation job's VNPay metrics."""
    from chalicelib.observability import SERVICE

    app_name = chalice_config()["app_name"]
    api_name = f"{app_name}-{stage}"
    out: Template = {
        "RestAPI": {
            "Properties": {
                "Name": api_name,
                "OpenApiVersion": OPENAPI_VERSION,
                "DefinitionBody": {
                    "info": {"title": api_name},
                    "x-amazon-apigateway-gateway-responses": gateway_responses(),
                },
            }
        },
        "RestAPI5xxAlarm": _alarm(
            "The API answered 5xx: never for bad input; a 503 means DynamoDB throttled or a setting or "
            "SSM secret is missing (chat, push), a 500 is a bug. Look at the logs.",
            "AWS/ApiGateway",
            "5XXError",
            [{"Name": "ApiName", "Value": api_name}],
        ),
        # The reconciliation job's view of VNPay (chalicelib/jobs/reconcile.py, EMF metrics).
        "VnpayUnansweredAlarm": _alarm(
            "VNPay's querydr has not answered for 15 minutes (unreachable, refusing, or a bad checksum): "
            "orders whose IPN was lost stay pending. Check the reconcile_payments log and VNPay's status.",
            "CSKH",
            "ReconcileUnanswered",
            [{"Name": "service", "Value": SERVICE}],
        ),
        "VnpayAmountMismatchAlarm": _alarm(
            "VNPay's querydr reported another amount than the order's: nothing was applied; compare the order "
            "with VNPay's merchant portal before settling it by hand.",
            "CSKH",
            "ReconcileAmountMismatch",
            [{"Name": "service", "Value": SERVICE}],
        ),
    }
    out["PaymentsNeedingAPersonAlarm"] = _alarm(
        "The 08:00 payments report found refunds to approve, unconfirmed or failed, or orders VNPay never "
        "settled: GET /v1/admin/refunds?status=requested|unconfirmed|failed and the payments_report log list them.",
        "CSKH",
        "PaymentsNeedingAPerson",
        [{"Name": "service", "Value": SERVICE}],
    )
    # The nightly check of the customer accounts (chalicelib/jobs/ledger.py, EMF metrics).
    out["LedgerInvariantAlarm"] = _alarm(
        "The nightly ledger check found customer accounts that do not add up (payments != allocations + "
        "credit + refunds, or charges - allocations - adjustments != open amounts): the ledger_invariant log "
        "names them.",
        "CSKH",
        "LedgerInvariantBreaches",
        [{"Name": "service", "Value": SERVICE}],
    )
    out["LedgerInvariantIncompleteAlarm"] = _alarm(
        "The nightly ledger check ran out of time before it reached every account: give ledger_invariant "
        "more time or segments (docs/deploy.md).",
        "CSKH",
        "LedgerInvariantIncomplete",
        [{"Name": "service", "Value": SERVICE}],
    )
    # A bill-pay partner's daily file against our payments (jobs/partners.py, EMF metric).
    out["PartnerReconciliationAlarm"] = _alarm(
        "A bill-pay partner's daily file does not match our payments (a payment on one side only, another "
        "amount) or has lines that cannot be read: the differences are in the suspense list "
        "(GET /v1/admin/suspense, reasons PARTNER_ONLY, OURS_ONLY, AMOUNT_DIFFERS); the imports_worker log and "
        "imports/partners/<id>/results/<day>.json in the imports bucket say which.",
        "CSKH",
        "PartnerReconciliationDifferences",
        [{"Name": "service", "Value": SERVICE}],
    )
    # Service requests past their target time (chalicelib/jobs/tickets.py, EMF metric; issue 18).
    out["TicketsOverdueAlarm"] = _alarm(
        "Customers' service requests are open past their target time (the kind's SLA): "
        "GET /v1/admin/tickets?overdue=true lists them, most overdue first; assign or close them.",
        "CSKH",
        "TicketsOverdue",
        [{"Name": "service", "Value": SERVICE}],
        statistic="Maximum",  # a count of open tickets each run, not events to add up
    )
    out["VnpayUnansweredAlarm"]["Properties"]["EvaluationPeriods"] = 3  # three runs in a row
    for fn in app_functions():
        name = fn.function_name(stage, app_name)
        props: dict[str, Any] = {"FunctionName": name}
        if fn.kind == "sqs":
            queue_id, _ = queue_logical_ids(fn.queue)
            # The handlers answer {"batchItemFailures": [...]}: only those messages are retried.
            # (No "Type": packaging fails if Chalice ever names its event source differently.)
            event: dict[str, Any] = {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
            reserved = function_config(stage, fn.name, "reserved_concurrency")
            if reserved is not None:
                # A worker's reserved concurrency (config.json, docs/deploy.md) caps it so that a burst of
                # messages cannot take the API's concurrency. The event source then invokes at most that
                # many at once (AWS: a maximum concurrency above the reserved one is throttled, and every
                # throttled receive counts toward the dead-letter queue); never more than the code asks.
                event["ScalingConfig"] = {"MaximumConcurrency": min(reserved, sqs_max_concurrency(fn.name) or reserved)}
            props["Events"] = {f"{fn.logical_id}SqsEventSource": {"Properties": event}}
            # Chalice names the queue by an ARN string, which CloudFormation cannot order by: the
            # function's role waits for the queue, so the event source (after the function) finds it.
            out[f"{fn.logical_id}Role"] = {"DependsOn": [queue_id]}
        out[fn.logical_id] = {"Properties": props}
        out[f"{fn.logical_id}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": f"/aws/lambda/{name}", "RetentionInDays": LOG_RETENTION_DAYS.get(stage, 30)},
        }
        if fn.kind in ("sqs", "event"):
            # (The authorizer's "Unauthorized" is a Lambda error by design; the API's alarms are in resources.json.)
            out[f"{fn.logical_id}ErrorsAlarm"] = _alarm(
                f"The {fn.name} function failed.",
                "AWS/Lambda",
                "Errors",
                [{"Name": "FunctionName", "Value": {"Ref": fn.logical_id}}],
            )
    return out


# -- the merge template --------------------------------------------------------


def deep_merge(base: Any, extra: Any, path: str = "") -> Any:
    """Merge `extra` into `base`; two different scalars at one path are a mistake."""
    if isinstance(base, dict) and isinstance(extra, dict):
        merged = dict(base)
        for key, value in extra.items():
            merged[key] = deep_merge(base[key], value, f"{path}/{key}") if key in base else copy.deepcopy(value)
        return merged
    if base != extra:
        raise ValueError(f"infra/resources.json and the generated template disagree at {path}")
    return copy.deepcopy(base)


def build_template(stage: str) -> Template:
    if stage not in deployed_stages():
        raise SystemExit(f"{stage!r} is not a deployed stage (those are {', '.join(deployed_stages())})")
    base = json.loads(BASE_TEMPLATE.read_text(encoding="utf-8"))
    generated = {"Resources": {**data_resources(stage), **function_resources(stage)}}
    return deep_merge(base, generated)


def build_data_template(stage: str) -> Template:
    """A template of its own with the tables, queues and their alarms, for `chalice deploy` users."""
    base = json.loads(BASE_TEMPLATE.read_text(encoding="utf-8"))
    resources = data_resources(stage)
    resources.update({k: base["Resources"][k] for k in ("AlarmTopic", "AlarmEmailSubscription")})
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"CSKH {stage}: tables and queues for a `chalice deploy`ed API",
        "Parameters": base["Parameters"],
        "Conditions": base["Conditions"],
        "Resources": resources,
        "Outputs": base["Outputs"],
    }


# -- IAM ------------------------------------------------------------------------


def _statement(sid: str, actions: list[str], resources: Any, condition: dict | None = None) -> dict:
    st = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}
    if condition:
        st["Condition"] = condition
    return st


TABLE_ACTIONS = [
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
]
INDEX_ACTIONS = ["dynamodb:Query"]
READ_ACTIONS = ["dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query"]


def policy_for(stage: str, fn: Function) -> dict:
    """The least privilege of one function. ARNs leave region and account open (the
    files also serve `chalice deploy`, which cannot resolve CloudFormation's);
    the names are the stage's own."""
    from chalicelib.adapters.queues import QUEUES
    from chalicelib.store.models import ALL_MODELS

    s = stage_settings(stage)
    app_name = chalice_config()["app_name"]
    log_group = f"arn:aws:logs:*:*:log-group:/aws/lambda/{fn.function_name(stage, app_name)}"
    statements = []
    # What each scheduled job touches (least privilege per function).
    job_tables = {
        "reconcile_payments": ("orders", "payments", "invoices", "audit", "ledger", "customer_accounts"),
        "payments_report": ("orders", "payments", "customer_accounts"),
        # Billing a reading posts its charge (and the credit it takes) to the customer account.
        "readings_worker": (
            "readings",
            "customers",
            "invoices",
            "tariffs",
            "invoice_series",
            "audit",
            "ledger",
            "customer_accounts",
            "route_stops",  # issue 18: a customer's own reading recorded on its stop; a re-read asked or answered
        ),
        # The nightly walk over every account (jobs/ledger.py).
        "ledger_invariant": ("customers", "invoices", "ledger", "customer_accounts"),
        # The customer book; and uploaded bank statements, each line posted through the ledger's one path.
        "imports_worker": (
            "partner_payments",  # a partner's daily file compared with its payments (jobs/partners.py)
            "imports",
            "customers",
            "statement_lines",
            "orders",  # a line paying an order by its reference (TD...) pays the order's items
            "invoices",
            "payments",
            "ledger",
            "customer_accounts",
            "audit",
        ),
        # Bill-pay partners' daily files (jobs/partners.py): every partner, its payments of the day.
        "partner_daily_files": ("partners", "partner_payments"),
        # Issue 18: the self-reading invitations are planned from the route stops' by_read_on index.
        "plan_reminders": ("invoices", "customers", "reminders", "route_stops"),
        # A failed authorised debit's notice goes through the reminders worker too (services/debits.py).
        # Water-cut notices too (services/water_cuts.py): the notice, its area (wards: customers' index; routes),
        # the per-customer deliveries (issue 18).
        "reminders_worker": (
            "invoices",
            "customers",
            "reminders",
            "debit_requests",
            "water_cuts",
            "water_cut_deliveries",
            "routes",
            "route_stops",  # issue 18: a self-reading invitation checks the customer's stop
            "tickets",  # issue 18: a ticket's change told to its customer (services/tickets.py send_notice)
            "ticket_events",
        ),
        # The monthly authorised-debit run: mandates, the customers' open invoices, the requests (jobs/debits.py).
        "run_debits": ("channel_requests", "customers", "invoices", "debit_requests", "audit"),
        # E-invoices (jobs/einvoices.py): the invoice and its buyer read, the provider's answer written.
        "einvoices_worker": ("invoices", "customers"),
        # The sweep (jobs/einvoices.py): due invoices from their sparse index, re-queued, looked at again later.
        "einvoices_sweep": ("invoices",),
        # Service requests past their target time: one counting Query of an index (jobs/tickets.py, issue 18).
        "tickets_sweep": ("tickets",),
    }
    if fn.kind == "api" or fn.name in job_tables:
        wanted = None if fn.kind == "api" else set(job_tables[fn.name])
        tables, indexes = [], []
        for model in ALL_MODELS:
            if wanted is not None and _short_name(model.Meta.table_name) not in wanted:
                continue
            table = f"arn:aws:dynamodb:*:*:table/{s.table_name(_short_name(model.Meta.table_name))}"
            tables.append(table)
            indexes += [f"{table}/index/{ix.Meta.index_name}" for ix in model._indexes.values()]
        # The customer-book import writes customers 25 at a time (BatchWriteItem); nothing else does.
        batch_write = ["dynamodb:BatchWriteItem"] if fn.name == "imports_worker" else []
        # The nightly invariant and the partners' daily files only read.
        reads_only = fn.name in ("ledger_invariant", "partner_daily_files", "tickets_sweep")
        actions = READ_ACTIONS if reads_only else TABLE_ACTIONS + batch_write
        statements.append(_statement("Tables", actions, tables))
        if indexes:
            statements.append(_statement("Indexes", INDEX_ACTIONS, indexes))
        if fn.kind == "api":
            statements.append(
                _statement(
                    "Enqueue",
                    ["sqs:GetQueueUrl", "sqs:SendMessage"],
                    [f"arn:aws:sqs:*:*:{s.queue_name(q)}" for q in QUEUES],
                )
            )
        statements.append(
            _statement(
                "VnpaySecret",
                ["ssm:GetParameter"],
                [f"arn:aws:ssm:*:*:parameter/{s.vnpay_hash_secret_param.lstrip('/')}"],
            )
        )
        if fn.kind != "api":
            statements.append(
                _statement(
                    "VnpaySecretDecrypt",
                    ["kms:Decrypt"],
                    ["arn:aws:kms:*:*:key/*"],
                    {"StringLike": {"kms:ViaService": "ssm.*.amazonaws.com"}},
                )
            )
    if fn.kind in ("api", "authorizer"):
        statements.append(
            _statement(
                "JwtSecret", ["ssm:GetParameter"], [f"arn:aws:ssm:*:*:parameter/{s.jwt_secret_param.lstrip('/')}"]
            )
        )
        # The parameter is encrypted with the account's aws/ssm key (or a key of your own): decrypt only via SSM.
        statements.append(
            _statement(
                "JwtSecretDecrypt",
                ["kms:Decrypt"],
                ["arn:aws:kms:*:*:key/*"],
                {"StringLike": {"kms:ViaService": "ssm.*.amazonaws.com"}},
            )
        )
    if fn.kind == "sqs":
        statements.append(
            _statement(
                "Consume",
                ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
                [f"arn:aws:sqs:*:*:{s.queue_name(fn.queue)}"],
            )
        )
    if fn.kind == "api" or fn.name == "imports_worker":
        # Uploaded files: the API signs links (and reads sizes), the worker reads the file and writes the report
        # (a customer book's errors, a bank statement's result).
        statements.append(
            _statement("ImportFiles", ["s3:GetObject", "s3:PutObject"], [f"arn:aws:s3:::{s.imports_bucket}/imports/*"])
        )
    if fn.kind == "api" or fn.name == "einvoices_worker":
        # The legal e-invoices' documents (docs/einvoice.md): the worker keeps each once, the API signs the
        # links it redirects to (a presigned GET acts with the signer's rights).
        statements.append(
            _statement(
                "EInvoiceDocuments",
                ["s3:PutObject"] if fn.name == "einvoices_worker" else ["s3:GetObject"],
                [f"arn:aws:s3:::{s.documents_bucket}/einvoices/*"],
            )
        )
    if fn.kind == "api" or fn.name == "readings_worker":
        # Photos sent with reports (services/photos.py): the API signs the upload forms and the links to show
        # them (presigned requests act with the signer's rights) and checks what arrived; the readings worker
        # checks a reading's photo.
        statements.append(
            _statement(
                "ReportPhotos",
                ["s3:PutObject", "s3:GetObject"] if fn.kind == "api" else ["s3:GetObject"],
                [f"arn:aws:s3:::{s.documents_bucket}/photos/*"],
            )
        )
    if fn.name == "partner_daily_files":
        # Bill-pay partners' daily files (services/partner_files.py). The API (a partner's own file) and the
        # imports worker (its compare and result) keep theirs under imports/ too: ImportFiles covers them.
        statements.append(
            _statement(
                "PartnerDailyFiles",
                ["s3:PutObject"],
                [f"arn:aws:s3:::{s.imports_bucket}/imports/partners/*/outgoing/*"],
            )
        )
    if fn.kind == "api":
        # Each partner's HMAC secret (services/partners.py): the parameters under the prefix, and no other.
        statements.append(
            _statement(
                "PartnerSecrets",
                ["ssm:GetParameter"],
                [f"arn:aws:ssm:*:*:parameter/{s.partner_secret_prefix.strip('/')}/*"],
            )
        )
    if fn.name == "run_debits":
        # Authorised debit's request files (imports/debits/, under the API's ImportFiles grant): the job writes
        # its run's file and looks for files never written.
        statements.append(
            _statement(
                "DebitFiles", ["s3:GetObject", "s3:PutObject"], [f"arn:aws:s3:::{s.imports_bucket}/imports/debits/*"]
            )
        )
    # Jobs that queue work: the plan enqueues reminders (and its continuation), the reminders worker
    # defers to the same queue, the imports worker hands each chunk on to the next.
    job_queues = {"plan_reminders": "reminders", "reminders_worker": "reminders", "imports_worker": "imports"}
    if fn.name in job_queues:
        statements.append(
            _statement(
                "Enqueue",
                ["sqs:GetQueueUrl", "sqs:SendMessage"],
                [f"arn:aws:sqs:*:*:{s.queue_name(job_queues[fn.name])}"],
            )
        )
    if fn.name in ("readings_worker", "einvoices_sweep"):
        # A billed reading's invoice goes to the e-invoice provider's queue (services/billing.py); the sweep
        # queues again the ones whose e-invoice is still due (services/einvoice_sweep.py).
        statements.append(
            _statement(
                "EnqueueEInvoices",
                ["sqs:GetQueueUrl", "sqs:SendMessage"],
                [f"arn:aws:sqs:*:*:{s.queue_name('einvoices')}"],
            )
        )
    if fn.name == "einvoices_worker" and s.einvoice_password_param:
        # The provider account's password (config.einvoice_password): only the worker that calls the provider.
        statements.append(
            _statement(
                "EInvoicePassword",
                ["ssm:GetParameter"],
                [f"arn:aws:ssm:*:*:parameter/{s.einvoice_password_param.lstrip('/')}"],
            )
        )
    if fn.name == "reminders_worker":
        statements.append(_statement("SendReminders", ["sns:Publish"], "*"))  # SMS to numbers, push to endpoints
        statements.append(_statement("EmailReminders", ["ses:SendEmail"], ["arn:aws:ses:*:*:identity/*"]))
        if s.zalo_access_token_param:
            statements.append(
                _statement(
                    "ZaloToken",
                    ["ssm:GetParameter"],
                    [f"arn:aws:ssm:*:*:parameter/{s.zalo_access_token_param.lstrip('/')}"],
                )
            )
    if fn.kind == "api":
        # POST /v1/me/push-token: the app's device token becomes an SNS platform endpoint.
        statements.append(
            _statement(
                "PushEndpoints",
                ["sns:CreatePlatformEndpoint", "sns:SetEndpointAttributes"],
                ["arn:aws:sns:*:*:app/*", "arn:aws:sns:*:*:endpoint/*"],
            )
        )
    chat_params = {
        "api": (s.facebook_app_secret_param, s.zalo_oa_secret_param),
        "chat_worker": (s.facebook_page_token_param, s.zalo_access_token_param),
    }
    wanted_params = [p for p in chat_params.get(fn.kind if fn.kind == "api" else fn.name, ()) if p]
    if wanted_params:
        # Chat assistants: the API checks webhook signatures, the chat worker sends with the platforms' tokens.
        statements.append(
            _statement(
                "ChatSecrets",
                ["ssm:GetParameter"],
                [f"arn:aws:ssm:*:*:parameter/{p.lstrip('/')}" for p in wanted_params],
            )
        )
        if fn.kind != "api":
            statements.append(
                _statement(
                    "ChatSecretsDecrypt",
                    ["kms:Decrypt"],
                    ["arn:aws:kms:*:*:key/*"],
                    {"StringLike": {"kms:ViaService": "ssm.*.amazonaws.com"}},
                )
            )
    bank_params = [p for p in (s.sepay_api_key_param, s.casso_checksum_key_param) if p]
    if fn.kind == "api" and bank_params:
        # Bank-notification webhooks (api/banks.py): SePay's API key, Casso's checksum key.
        statements.append(
            _statement(
                "BankWebhookSecrets",
                ["ssm:GetParameter"],
                [f"arn:aws:ssm:*:*:parameter/{p.lstrip('/')}" for p in bank_params],
            )
        )
    if fn.name == "refresh_zalo_token" and not s.zalo_refresher_missing:
        # The Zalo token refresher (jobs/zalo_token.py): reads the refresh token (and the app secret), writes
        # both tokens back. Unconfigured, it only logs that it is off and is granted nothing here.
        reads = [s.zalo_refresh_token_param] + ([s.zalo_app_secret_param] if s.zalo_app_secret_param else [])
        statements.append(
            _statement(
                "ZaloTokensRead", ["ssm:GetParameter"], [f"arn:aws:ssm:*:*:parameter/{p.lstrip('/')}" for p in reads]
            )
        )
        statements.append(
            _statement(
                "ZaloTokensWrite",
                ["ssm:PutParameter"],
                [
                    f"arn:aws:ssm:*:*:parameter/{p.lstrip('/')}"
                    for p in (s.zalo_refresh_token_param, s.zalo_access_token_param)
                ],
            )
        )
        statements.append(
            _statement(
                "ZaloTokensKms",
                ["kms:Decrypt", "kms:Encrypt"],
                ["arn:aws:kms:*:*:key/*"],
                {"StringLike": {"kms:ViaService": "ssm.*.amazonaws.com"}},
            )
        )
    if fn.name == "notifications_worker":
        # SMS straight to a phone number has no resource ARN to name.
        statements.append(_statement("SendSms", ["sns:Publish"], "*"))
    statements.append(
        _statement(
            "Logs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], [log_group, f"{log_group}:*"]
        )
    )
    # X-Ray's write actions take no resource.
    statements.append(_statement("Tracing", ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], "*"))
    return {"Version": "2012-10-17", "Statement": statements}


def policy_files(stage: str) -> dict[str, dict]:
    """{file name in .chalice/: document} as config.json assigns them to the functions."""
    files: dict[str, dict] = {}
    for fn in app_functions():
        name = function_config(stage, fn.name, "iam_policy_file")
        if not name:
            raise SystemExit(f"stage {stage}: no iam_policy_file for {fn.name}")
        doc = policy_for(stage, fn)
        if files.setdefault(name, doc) != doc:
            raise SystemExit(f"stage {stage}: {name} is shared by functions that need different permissions")
    return files


def write_policies() -> list[Path]:
    written = []
    for stage in deployed_stages():
        for name, doc in policy_files(stage).items():
            path = CHALICE_DIR / name
            path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
            written.append(path)
    return written


# -- packaging -------------------------------------------------------------------


def write_json(path: Path, doc: Template) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def packaging_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SHELL_ONLY}
    # chalice package reads nothing from AWS; fake credentials make sure of it.
    env.update(
        {"AWS_ACCESS_KEY_ID": "packaging", "AWS_SECRET_ACCESS_KEY": "packaging", "AWS_SESSION_TOKEN": "packaging"}
    )
    env.setdefault("AWS_DEFAULT_REGION", "ap-southeast-1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def check_packaged(sam: Template) -> None:
    """The merge template may only add to resources Chalice made, never invent a half one."""
    for logical_id, resource in sam["Resources"].items():
        if "Type" not in resource:
            raise SystemExit(f"{logical_id}: the merge template names a resource Chalice did not generate")
        for event_id, event in resource.get("Properties", {}).get("Events", {}).items():
            if "Type" not in event:
                raise SystemExit(f"{logical_id}.{event_id}: not an event source Chalice generated")


@contextlib.contextmanager
def _packaging_lock():
    """Chalice writes its dependency cache (.chalice/deployments) in place: one packaging at a time
    (parallel test workers, a `make package` beside `make test`)."""
    lock_dir = CHALICE_DIR / "deployments"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def package(stage: str, out: Path) -> Path:
    merge_template = write_json(out / f"resources.{stage}.json", build_template(stage))
    cmd = [
        sys.executable,
        "-c",
        "import sys; from chalice.cli import main; sys.exit(main())",
        "--project-dir",
        str(ROOT),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(merge_template),
        str(out),
    ]
    sam_path = out / "sam.json"
    with _packaging_lock():
        subprocess.run(cmd, cwd=ROOT, env=packaging_env(), check=True)
        sam = json.loads(sam_path.read_text(encoding="utf-8"))
        check_packaged(sam)
        check_native_code(sam, out / "deployment.zip")
    return sam_path


def lambda_runtimes(sam: Template) -> set[str]:
    """The runtimes Chalice chose (from the packaging interpreter's version)."""
    return {
        r["Properties"]["Runtime"]
        for r in sam["Resources"].values()
        if r.get("Type") == "AWS::Serverless::Function" and "Runtime" in r.get("Properties", {})
    }


def check_native_code(sam: Template, zip_path: Path) -> None:
    """Drop the distributions the code never uses (`native_check.NOT_SHIPPED`), then fail when a
    native extension left in the zip was built on this machine or needs a newer glibc than the
    runtime has."""
    from infra import native_check

    for runtime in sorted(lambda_runtimes(sam)):
        if runtime not in native_check.RUNTIME_GLIBC:
            raise SystemExit(f"runtime {runtime}: its glibc is unknown; add it to infra/native_check.py")
        for removed in native_check.enforce(zip_path, runtime):
            print(
                f"left out of deployment.zip: {removed} ({native_check.NOT_SHIPPED[native_check.dist_name(removed)]})"
            )


def _prepare_process(stage: str) -> None:
    """Import the code as the stage would (names come from the stage's settings)."""
    for key in _SHELL_ONLY:
        os.environ.pop(key, None)
    os.environ.update(stage_environment(stage))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--template-only", action="store_true", help="write the merge template, skip chalice")
    mode.add_argument("--data-only", action="store_true", help="write a stand-alone tables-and-queues template")
    mode.add_argument("--write-policies", action="store_true", help="regenerate .chalice/policy-*.json")
    parser.add_argument(
        "--allow-placeholders",
        action="store_true",
        help="package prod although settings still hold the shipped placeholders",
    )
    args = parser.parse_args(argv)
    if not args.write_policies and args.stage not in deployed_stages():
        parser.error(f"--stage {args.stage}: not a deployed stage (those are {', '.join(deployed_stages())})")
    _prepare_process(args.stage)
    if args.write_policies:
        for path in write_policies():
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    _check_policies(args.stage)
    from chalicelib.config import ConfigError

    try:
        left = placeholders(args.stage)
    except ConfigError as exc:  # e.g. an e-invoice provider half configured: refused, named
        raise SystemExit(f"the {args.stage} stage's settings are not valid: {exc}") from None
    if left and args.stage == "prod" and not args.allow_placeholders:
        raise SystemExit(
            "prod still has the shipped placeholders: " + "; ".join(left) + ". Set them in "
            ".chalice/config.json (stages.prod.environment_variables), see docs/deploy.md, step 6 "
            "(--allow-placeholders packages anyway, e.g. a first deployment before the API's URL "
            "for PAYMENT_LINK_BASE is known)"
        )
    for item in left:
        print(f"note: placeholder kept in stage {args.stage}: {item}")
    out = args.out.resolve()
    if args.data_only:
        print(f"wrote {write_json(out / f'data.{args.stage}.json', build_data_template(args.stage))}")
        return 0
    if args.template_only:
        print(f"wrote {write_json(out / f'resources.{args.stage}.json', build_template(args.stage))}")
        return 0
    sam = package(args.stage, out)
    size = (out / "deployment.zip").stat().st_size
    print(f"packaged stage {args.stage}: {sam} and deployment.zip ({size / 1e6:.1f} MB)")
    return 0


# Settings that ship with a value nobody can use in production: the utility's own go there.
PLACEHOLDER_MARKS = ("changeme", "example.vn", "cskhdemo")


def placeholders(stage: str) -> list[str]:
    """'SETTING=value' for each setting of the stage that still holds a shipped placeholder, and each
    chat channel that is half set up."""
    s = stage_settings(stage)
    values = {
        "VNPAY_TMN_CODE": s.vnpay_tmn_code,
        "IMPORTS_BUCKET": s.imports_bucket,
        "DOCUMENTS_BUCKET": s.documents_bucket,
        "PAYMENT_LINK_BASE": s.payment_link_base,
        "REMINDER_EMAIL_FROM": s.reminder_email_from,
        "SELLER_TAX_CODE": s.seller_tax_code,
    }
    out = [
        f"{name}={value}"
        for name, value in values.items()
        if any(mark in str(value).lower() for mark in PLACEHOLDER_MARKS) or set(str(value)) == {"0"}
    ]
    # A chat channel half set up: switched on by its secret, but unable to work.
    if s.facebook_app_secret_param and not s.facebook_verify_token:
        out.append(
            "FACEBOOK_VERIFY_TOKEN unset while FACEBOOK_APP_SECRET_PARAM switches Messenger on "
            "(Meta cannot verify the webhook)"
        )
    if s.zalo_oa_secret_param and not s.zalo_app_id:
        out.append("ZALO_APP_ID unset while ZALO_OA_SECRET_PARAM is set (Zalo's webhook stays off)")
    return out


def _check_policies(stage: str) -> None:
    for name, doc in policy_files(stage).items():
        path = CHALICE_DIR / name
        if not path.exists() or json.loads(path.read_text(encoding="utf-8")) != doc:
            raise SystemExit(
                f".chalice/{name} does not match the code's needs; run "
                "`python -m infra.package --write-policies` and review the diff"
            )


if __name__ == "__main__":
    sys.exit(main())
