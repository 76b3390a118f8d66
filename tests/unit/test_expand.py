"""infra/expand.py: the SAM transform run offline for `make lint-infra`."""

from __future__ import annotations

import pytest

from infra.expand import ExpansionError, as_uploaded, expand


def sam(**function_props) -> dict:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"CodeUri": "./deployment.zip", "Handler": "app.app", "Runtime": "python3.11"}
                | function_props,
            }
        },
    }


def test_local_code_is_replaced_by_an_s3_address_as_aws_cloudformation_package_does():
    template = sam()
    uploaded = as_uploaded(template)
    assert uploaded["Resources"]["Fn"]["Properties"]["CodeUri"] == "s3://artifact-bucket/Fn/deployment.zip"
    assert template["Resources"]["Fn"]["Properties"]["CodeUri"] == "./deployment.zip"  # not changed


def test_the_expansion_is_the_transforms_cloudformation_offline(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")  # a boto3 session would fail on it: none is made
    template = sam(Policies=["AWSLambdaBasicExecutionRole"])
    out = expand(template, "ap-southeast-1")
    assert "Transform" not in out
    kinds = {r["Type"] for r in out["Resources"].values()}
    assert kinds == {"AWS::Lambda::Function", "AWS::IAM::Role"}
    role = out["Resources"]["FnRole"]["Properties"]
    assert "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" in role["ManagedPolicyArns"]
    assert out["Resources"]["Fn"]["Properties"]["Code"] == {"S3Bucket": "artifact-bucket", "S3Key": "Fn/deployment.zip"}


def test_a_managed_policy_the_translator_does_not_bundle_stops_the_expansion():
    with pytest.raises(ExpansionError, match="managed policy"):
        expand(sam(Policies=["NoSuchManagedPolicyAnywhere"]))


def test_a_template_the_transform_refuses_is_an_error_naming_the_resource():
    template = sam()
    del template["Resources"]["Fn"]["Properties"]["Runtime"]
    template["Resources"]["Fn"]["Properties"]["Events"] = {"Q": {"Type": "SQS", "Properties": {}}}
    with pytest.raises(ExpansionError, match="Fn"):
        expand(template)
