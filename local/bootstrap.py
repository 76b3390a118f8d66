"""Create the tables (from the PynamoDB models) and queues (from QUEUES) on
the local engines. Idempotent. Settings come from the environment, so run it
with the engines' environment set."""

from __future__ import annotations

import json
import os

import boto3

from chalicelib.adapters.queues import QUEUES
from chalicelib.config import get_settings
from chalicelib.store.models import ALL_MODELS


def create_tables() -> list[str]:
    s = get_settings()
    client = boto3.client("dynamodb", region_name=s.region, endpoint_url=s.dynamodb_endpoint)
    created = []
    existing = set(client.list_tables()["TableNames"])
    for model in ALL_MODELS:
        if model.Meta.table_name in existing:
            _add_missing_indexes(client, model)
            continue
        model.create_table(wait=False)
        created.append(model)
    for model in created:  # create all, then wait for all: much faster than one by one
        client.get_waiter("table_exists").wait(
            TableName=model.Meta.table_name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300}
        )
        if model.Meta.ttl_attribute:
            client.update_time_to_live(
                TableName=model.Meta.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": model.Meta.ttl_attribute},
            )
    return [m.Meta.table_name for m in created]


def _add_missing_indexes(client, model) -> None:
    """A kept local table (.local/dynamodb) gets the indexes a model gained since it was created."""
    have = {
        ix["IndexName"]
        for ix in client.describe_table(TableName=model.Meta.table_name)["Table"].get("GlobalSecondaryIndexes", [])
    }
    schema = model._get_schema()
    for ix in schema["global_secondary_indexes"]:
        if ix["index_name"] in have:
            continue
        names = {k["AttributeName"] for k in ix["key_schema"]}
        client.update_table(
            TableName=model.Meta.table_name,
            AttributeDefinitions=[
                {"AttributeName": a["AttributeName"], "AttributeType": a["AttributeType"]}
                for a in schema["attribute_definitions"]
                if a["AttributeName"] in names
            ],
            GlobalSecondaryIndexUpdates=[
                {
                    "Create": {
                        "IndexName": ix["index_name"],
                        "Projection": ix["projection"],
                        "KeySchema": sorted(ix["key_schema"], key=lambda k: k["KeyType"] != "HASH"),
                    }
                }
            ],
        )


def create_queues() -> dict[str, str]:
    s = get_settings()
    sqs = boto3.client("sqs", region_name=s.region, endpoint_url=s.aws_endpoint)
    urls = {}
    # Tests may shorten the visibility timeout (local stage only) so that a
    # failing message reaches its dead-letter queue in seconds, not minutes.
    shorter = os.environ.get("LOCAL_QUEUE_VISIBILITY_SECONDS") if s.is_local else None
    for short, (visibility, max_receives) in QUEUES.items():
        visibility = int(shorter) if shorter else visibility
        dlq_url = sqs.create_queue(
            QueueName=s.queue_name(f"{short}-dlq"), Attributes={"MessageRetentionPeriod": "1209600"}
        )["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        urls[short] = sqs.create_queue(
            QueueName=s.queue_name(short),
            Attributes={
                "VisibilityTimeout": str(visibility),
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receives)}),
            },
        )["QueueUrl"]
    return urls


def create_buckets() -> None:
    s = get_settings()
    s3 = boto3.client("s3", region_name=s.region, endpoint_url=s.aws_endpoint)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in (s.imports_bucket, s.documents_bucket):
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": s.region})
    s3.put_bucket_cors(Bucket=s.documents_bucket, CORSConfiguration=documents_cors())


def documents_cors() -> dict:
    """The deployed bucket's CORS rule (infra/package.py DOCUMENTS_CORS) in the S3 API's spelling, so the
    website's photo upload is allowed here as it is there. (moto's server also answers every request with
    its own permissive CORS headers, and its form POST does not consult the bucket's rule: the rule itself
    is checked by tests/unit/test_infra.py.)"""
    from infra.package import DOCUMENTS_CORS

    names = {"Id": "ID", "MaxAge": "MaxAgeSeconds"}
    return {"CORSRules": [{names.get(k, k): v for k, v in rule.items()} for rule in DOCUMENTS_CORS["CorsRules"]]}


def main() -> None:
    created = create_tables()
    create_queues()
    create_buckets()
    print(f"tables ready ({len(created)} created), queues ready")


if __name__ == "__main__":
    main()
