"""The bill-pay partners' jobs against the deployed template (infra/package.py): a compare that finds
differences raises PartnerReconciliationAlarm through the metric it emits, the daily files run at 01:00
Vietnam time and only read the tables, the API may read the partners' secrets and no other parameter, and
a deployed stage never takes the demo secret."""

from __future__ import annotations

import json

import pytest

from chalicelib.config import ConfigError, load_settings
from infra import package as infra

STAGES = ("dev", "prod")


def test_differences_raise_the_alarm(monkeypatch, capsys):
    import chalicelib.config as config
    from chalicelib.jobs import partners
    from chalicelib.observability import metrics

    settings = config.get_settings()
    monkeypatch.setattr(config, "get_settings", lambda: type(settings)(**{**settings.__dict__, "stage": "prod"}))

    class Files:
        def compare(self, partner_id, day):
            assert (partner_id, day) == ("DEMOBANK", "2024-06-10")
            return {"differences": [{"partner_txn_id": "T1"}, {"partner_txn_id": "T2"}], "errors_count": 1}

    monkeypatch.setattr(partners.deps, "partner_files", lambda: Files())
    metrics.cache_clear()
    capsys.readouterr()
    assert partners.compare_partner_file({"kind": "partner_file", "partner_id": "DEMOBANK", "day": "2024-06-10"})
    metrics.cache_clear()
    emf = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    directive = emf["_aws"]["CloudWatchMetrics"][0]
    alarm = infra.build_template("prod")["Resources"]["PartnerReconciliationAlarm"]
    props = alarm["Properties"]
    assert props["Namespace"] == directive["Namespace"] and props["MetricName"] in {
        m["Name"] for m in directive["Metrics"]
    }
    assert emf[props["MetricName"]] in (3, 3.0, [3.0])
    assert {d["Name"]: d["Value"] for d in props["Dimensions"]} == {d: emf[d] for d in directive["Dimensions"][0]}
    assert props["Threshold"] == 1 and props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert {"Ref": "AlarmTopic"} in props["AlarmActions"]


def _allows(policy: dict, action: str, resource: str) -> bool:
    from fnmatch import fnmatchcase

    return any(
        st["Effect"] == "Allow"
        and any(fnmatchcase(action, a) for a in st["Action"])
        and any(
            fnmatchcase(resource, r) for r in (st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]])
        )
        for st in policy["Statement"]
    )


@pytest.mark.parametrize("stage", STAGES)
def test_the_daily_files_run_at_one_in_the_morning_and_only_read(stage):
    from app import app

    (source,) = [s for s in app.event_sources if s.name == "partner_daily_files"]
    assert source.schedule_expression.to_string() == "cron(0 18 * * ? *)"  # 18:00 UTC = 01:00 UTC+7
    fn = next(f for f in infra.app_functions() if f.name == "partner_daily_files")
    policy = infra.policy_for(stage, fn)
    table = f"arn:aws:dynamodb:ap-southeast-1:123456789012:table/cskh-{stage}-partner_payments"
    assert _allows(policy, "dynamodb:Query", table + "/index/by_partner_day")
    assert not _allows(policy, "dynamodb:PutItem", table)
    bucket = infra.stage_settings(stage).imports_bucket
    assert _allows(policy, "s3:PutObject", f"arn:aws:s3:::{bucket}/imports/partners/DEMOBANK/outgoing/2024-06-10.csv")
    assert not _allows(policy, "s3:PutObject", f"arn:aws:s3:::{bucket}/imports/other/2024-06-10.csv")


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_reads_the_partners_secrets_and_no_other_parameter_by_that_grant(stage):
    api = next(f for f in infra.app_functions() if f.kind == "api")
    policy = infra.policy_for(stage, api)
    (grant,) = [st for st in policy["Statement"] if st["Sid"] == "PartnerSecrets"]
    assert grant["Resource"] == [f"arn:aws:ssm:*:*:parameter/cskh/{stage}/partners/*"]
    assert _allows(policy, "ssm:GetParameter", f"arn:aws:ssm:x:1:parameter/cskh/{stage}/partners/DEMOBANK")


def test_a_deployed_stage_never_takes_the_demo_secret():
    for stage in STAGES:
        env = infra.stage_environment(stage)
        assert load_settings(env).partner_demo_secret is None
        with pytest.raises(ConfigError, match="PARTNER_DEMO_SECRET"):
            load_settings(dict(env, PARTNER_DEMO_SECRET="x" * 32))
    assert load_settings({"STAGE": "local"}).partner_demo_secret == "demo-partner-secret-change-me"
    assert load_settings({"STAGE": "local", "PARTNER_DEMO_SECRET": "s" * 20}).partner_demo_secret == "s" * 20
    with pytest.raises(ConfigError):
        load_settings({"STAGE": "local", "PARTNER_DEMO_SECRET": "short"})
