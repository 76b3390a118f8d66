"""Each job's AWS calls against its own generated IAM policy.

moto and DynamoDB Local check no IAM, so a worker whose role lacks a permission
passes every other test and fails only in AWS (the imports worker could not
queue its next chunk). Here each job's flow runs in-process on the local
engines while every botocore call is recorded (the one choke point boto3 and
PynamoDB share); each call becomes the IAM action and resource AWS would
authorise, and the function's policy (`infra.package.policy_for`, what is
deployed) must allow it."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

import pytest

from chalicelib import deps
from chalicelib.adapters.clock import VN_TZ
from tests.sqs_events import sqs_event

TEST_PREFIX, STAGE = "cskh-test-", "dev"
REGION, ACCOUNT = "ap-southeast-1", "123456789012"
# Calls that need no permission of the function's role: a request signed with the caller's
# own pre-signed URL, or read-only metadata botocore asks for itself.
NOT_AUTHORISED = {("sts", "GetCallerIdentity")}
TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}


class AwsCalls:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict]] = []

    def record(self, client, operation: str, params: dict) -> None:
        self.calls.append((client.meta.service_model.service_name, operation, params))


@pytest.fixture
def aws_calls(monkeypatch):
    import botocore.client

    recorder = AwsCalls()
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        recorder.record(self, operation_name, api_params)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return recorder


def _deployed(name: str) -> str:
    assert name.startswith(TEST_PREFIX), name
    return f"cskh-{STAGE}-" + name[len(TEST_PREFIX) :]


def _table(name: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{_deployed(name)}"
    return f"{arn}/index/{index}" if index else arn


def authorisations(service: str, operation: str, params: dict) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) pairs AWS checks for one API call."""
    if (service, operation) in NOT_AUTHORISED:
        return []
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            out = []
            for item in params["TransactItems"]:
                ((kind, body),) = item.items()
                out.append((f"dynamodb:{TRANSACT[kind]}", _table(body["TableName"])))
            return out
        if operation == "TransactGetItems":
            return [("dynamodb:GetItem", _table(i["Get"]["TableName"])) for i in params["TransactItems"]]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", _table(name)) for name in params["RequestItems"]]
        return [(f"dynamodb:{operation}", _table(params["TableName"], params.get("IndexName")))]
    if service == "sqs":
        name = params.get("QueueName") or urlsplit(params["QueueUrl"]).path.rsplit("/", 1)[-1]
        action = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage"}.get(operation, operation)
        return [(f"sqs:{action}", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{_deployed(name)}")]
    if service == "sns":
        target = params.get("TopicArn") or params.get("TargetArn") or "*"
        return [(f"sns:{operation}", target)]
    if service == "ssm":
        return [(f"ssm:{operation}", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{params['Name'].lstrip('/')}")]
    if service == "s3":
        action = {"HeadObject": "GetObject"}.get(operation, operation)
        bucket = params["Bucket"]
        return [(f"s3:{action}", f"arn:aws:s3:::{bucket}/{params['Key']}")]
    if service == "ses":
        return [(f"ses:{operation}", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/*")]
    raise AssertionError(f"no IAM mapping for {service}.{operation}: add one")


def _allows(policy: dict, action: str, resource: str) -> bool:
    for st in policy["Statement"]:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        if (
            st["Effect"] == "Allow"
            and any(fnmatchcase(action, a) for a in actions)
            and any(fnmatchcase(resource, r) for r in resources)
        ):
            return True
    return False


def denied(function_name: str, calls: list, bucket_alias: dict | None = None) -> list[str]:
    """What the function did that its deployed policy would refuse."""
    from infra.package import app_functions, policy_for

    fn = next(f for f in app_functions() if f.name == function_name)
    policy = policy_for(STAGE, fn)
    out = []
    for service, operation, params in calls:
        for action, resource in authorisations(service, operation, params):
            for local, deployed in (bucket_alias or {}).items():
                resource = resource.replace(f":::{local}/", f":::{deployed}/")
            if not _allows(policy, action, resource):
                out.append(f"{action} on {resource}")
    return sorted(set(out))


# -- the jobs ------------------------------------------------------------------------------


def _reading_sent(new_customer, tag: str):
    """A customer read 111 -> 122 for 2024-05 by a field worker: (the customer, the reading's id)."""
    from chalicelib.domain.tokens import Identity
    from chalicelib.store.models import CustomerModel

    c = new_customer(invoices=[("2024-04", 100, 111, 66000, "paid")])
    c.update(actions=[CustomerModel.last_index.set(111), CustomerModel.last_read_on.set("2024-05-05")])
    reading_id = f"iam-{tag}{c.code}-{int(time.time())}"
    deps.readings().submit(
        Identity(account_id="staff:ghithu01", role="staff", device="356938035643801"),
        {
            "reading_id": reading_id,
            "customer_code": c.code,
            "period": "2024-05",
            "new_index": 122,
            "read_at": "2024-06-05T09:30:00+07:00",
        },
    )
    return c, reading_id


def test_the_readings_worker_may_do_what_billing_a_reading_does(app, new_customer, aws_calls):
    from chalicelib.jobs.readings import handle_batch

    _, reading_id = _reading_sent(new_customer, "")
    aws_calls.calls.clear()
    assert handle_batch(sqs_event({"reading_id": reading_id})) == {"batchItemFailures": []}
    assert any(op == "TransactWriteItems" for _, op, _ in aws_calls.calls), "the reading was not billed"
    assert denied("readings_worker", aws_calls.calls) == []


def test_the_readings_and_einvoices_workers_may_do_what_issuing_an_einvoice_does(app, new_customer, aws_calls):
    """A billed reading queues its invoice for the e-invoice provider (SQS, not the memory publisher);
    the e-invoices worker reads it and writes the provider's answer (the provider faked in memory)."""
    from chalicelib.adapters.queues import SqsPublisher
    from chalicelib.config import get_settings
    from chalicelib.jobs.einvoices import handle_batch as einvoices_batch
    from chalicelib.jobs.readings import handle_batch
    from chalicelib.store.models import InvoiceModel
    from infra.package import stage_settings
    from tests.api.test_einvoices import FakeProvider

    deps.override("einvoices", FakeProvider())
    deps.override("publisher", SqsPublisher())
    c, reading_id = _reading_sent(new_customer, "e-")
    aws_calls.calls.clear()
    assert handle_batch(sqs_event({"reading_id": reading_id})) == {"batchItemFailures": []}
    assert any(op == "SendMessage" for _, op, _ in aws_calls.calls), "the invoice was not queued"
    assert denied("readings_worker", aws_calls.calls) == []
    invoice_id = f"INV-{c.code}-202405"
    aws_calls.calls.clear()
    assert einvoices_batch(sqs_event({"invoice_id": invoice_id})) == {"batchItemFailures": []}
    assert InvoiceModel.get(invoice_id).einvoice_status == "issued"
    assert any(op == "PutObject" for _, op, _ in aws_calls.calls), "the provider's document was not kept"
    alias = {get_settings().documents_bucket: stage_settings(STAGE).documents_bucket}
    assert denied("einvoices_worker", aws_calls.calls, alias) == []


def test_the_api_may_sign_the_link_to_a_kept_document_and_nothing_else_of_its_bucket():
    """A presigned GET acts with the signer's rights: the API function's policy must allow s3:GetObject on
    the documents (and the worker's must not be needed for it); no call is made to sign, so it is read here."""
    from infra.package import app_functions, policy_for, stage_settings

    bucket = stage_settings(STAGE).documents_bucket
    api = policy_for(STAGE, next(f for f in app_functions() if f.name == "api_handler"))
    worker = policy_for(STAGE, next(f for f in app_functions() if f.name == "einvoices_worker"))
    document = f"arn:aws:s3:::{bucket}/einvoices/INV-01031059-202305/C26TAA-C26TAA00000001.pdf"
    assert _allows(api, "s3:GetObject", document) and not _allows(api, "s3:PutObject", document)
    assert _allows(worker, "s3:PutObject", document) and not _allows(worker, "s3:GetObject", document)
    assert not _allows(api, "s3:GetObject", f"arn:aws:s3:::{bucket}/elsewhere.pdf")


def test_the_einvoices_sweep_may_do_what_queuing_a_due_invoice_again_does(app, new_customer, aws_calls):
    """The sweep reads the sparse index (a Query), queues the invoice (SQS) and moves its next look."""
    from chalicelib.adapters.clock import FixedClock
    from chalicelib.adapters.queues import SqsPublisher
    from chalicelib.domain.einvoice_due import FIRST_LOOK_S
    from chalicelib.jobs.readings import handle_batch
    from tests.api.test_einvoices import FakeProvider

    deps.override("einvoices", FakeProvider())
    deps.override("publisher", SqsPublisher())
    _, reading_id = _reading_sent(new_customer, "s-")
    assert handle_batch(sqs_event({"reading_id": reading_id})) == {"batchItemFailures": []}
    deps.override("clock", FixedClock(int(time.time()) + FIRST_LOOK_S + 1))
    try:
        aws_calls.calls.clear()
        assert deps.einvoice_sweep().run()["queued"] >= 1
    finally:
        deps.reset()  # the clock moved on: no later test may see it
    ops = {op for _, op, _ in aws_calls.calls}
    assert {"Query", "SendMessage", "UpdateItem"} <= ops, ops
    assert denied("einvoices_sweep", aws_calls.calls) == []


def test_the_reminders_plan_and_worker_may_do_what_they_do(app, new_customer, aws_calls, monkeypatch):
    from chalicelib.jobs.reminders import handle_batch
    from chalicelib.store.models import InvoiceModel

    today = datetime.now(VN_TZ).date()
    c = new_customer(invoices=[("2024-05", 100, 111, 66000, "unpaid")])
    InvoiceModel(f"INV-{c.code}-202405").update(actions=[InvoiceModel.due_date.set(today.isoformat())])
    aws_calls.calls.clear()
    deps.reminders().plan(today)
    planned = list(aws_calls.calls)
    assert any(op == "SendMessageBatch" for _, op, _ in planned), "nothing was queued"
    assert denied("plan_reminders", planned) == []
    aws_calls.calls.clear()
    handle_batch(sqs_event({"invoice_id": f"INV-{c.code}-202405", "level": "due_today"}))
    assert any(s in ("sns", "sqs") for s, _, _ in aws_calls.calls), "neither sent nor deferred"
    assert denied("reminders_worker", aws_calls.calls) == []


def test_the_reconciliation_and_the_daily_report_may_do_what_they_do(app, registered, api, aws_calls):
    from chalicelib.adapters.clock import FixedClock
    from tests.api.test_payments import PERIODS, order_for
    from tests.api.test_reconcile_refund import FakeVnpay, paid_answer

    customer, tokens = registered(invoices=PERIODS)
    token = tokens["access_token"]
    ids = [i["invoice_id"] for i in api.get(f"/v1/customers/{customer.code}/invoices", token=token).json["invoices"]]
    order_for(api, token, ids)
    deps.override("vnpay_client", FakeVnpay(paid_answer))
    deps.override("clock", FixedClock(int(time.time()) + 1800))
    try:
        aws_calls.calls.clear()
        counts = deps.payments().reconcile(limit=1000)
        assert counts["paid"] >= 1
        assert denied("reconcile_payments", aws_calls.calls) == []
        aws_calls.calls.clear()
        deps.payments().daily_report()
        assert aws_calls.calls and denied("payments_report", aws_calls.calls) == []
    finally:
        deps.reset()


def test_the_schedules_may_settle_refunds_and_report_credits(app, new_customer, aws_calls):
    """reconcile_payments settles unconfirmed refunds (querydr; one that did not happen puts the money back:
    ledger, customer_accounts, audit); payments_report reads the accounts holding credit (with_credit)."""
    from chalicelib.adapters.clock import FixedClock
    from tests.api.test_refunds import FakeVnpay, pay_by_vnpay, querydr_answer, unavailable

    code = new_customer().code
    pay_by_vnpay(code, 50_000)
    clock = FixedClock(int(time.time()))
    deps.override(
        "vnpay_client",
        FakeVnpay(
            refund=lambda order, amount, kind: unavailable("ReadTimeout"),
            querydr=lambda order, number: querydr_answer(order, number),
        ),
    )
    deps.override("clock", clock)
    try:
        service = deps.refunds()
        refund = service.request(
            "admin:admin", {"customer_code": code, "amount": 20_000, "method": "vnpay", "note": "iam"}
        )
        assert service.approve("admin:other", refund["refund_id"], {})["status"] == "unconfirmed"
        clock.advance(3600)
        aws_calls.calls.clear()
        assert service.settle_unconfirmed()["failed"] >= 1
        assert {"TransactWriteItems", "Query"} <= {op for _, op, _ in aws_calls.calls}
        assert denied("reconcile_payments", aws_calls.calls) == []
        assert service.get(refund["refund_id"])["status"] == "failed"
        aws_calls.calls.clear()
        assert code in [c["customer_code"] for c in service.daily_report()["credits_to_refund"]]
        assert denied("payments_report", aws_calls.calls) == []
    finally:
        deps.reset()


def test_the_imports_worker_may_do_what_a_two_chunk_import_does(app, aws_calls, monkeypatch):
    import requests

    import chalicelib.services.imports as imports
    from chalicelib.config import get_settings
    from chalicelib.jobs.imports import handle_batch
    from infra.package import stage_settings

    monkeypatch.setattr(imports, "CHUNK_BYTES", 300)
    service = deps.imports()
    created = service.create("admin:test")
    rows = "".join(f"0781{n:04d},L{n},N {n},A {n},,household,1,M,R,TT,{n},1\n" for n in range(1, 12))
    book = (
        "code,ledger_no,name,address,phone,class,persons,meter,route,payment_channel,last_index,house_no\n" + rows
    ).encode()
    assert (
        requests.put(created["upload"]["url"], data=book, headers=created["upload"]["headers"], timeout=10).status_code
        == 200
    )
    service.start(created["import_id"])
    aws_calls.calls.clear()
    assert handle_batch(sqs_event({"import_id": created["import_id"], "offset": 0})) == {"batchItemFailures": []}
    assert any(op == "SendMessage" for _, op, _ in aws_calls.calls), "the next chunk was not queued"
    alias = {get_settings().imports_bucket: stage_settings(STAGE).imports_bucket}
    assert denied("imports_worker", aws_calls.calls, alias) == []


def test_the_imports_worker_and_the_api_may_do_what_a_statement_upload_does(app, api, admin, new_customer, aws_calls):
    """Issue 15: the upload form, the start (the file's size), then the worker reads the file from the
    bucket, posts a line through the ledger (its transaction), audits the import and writes the result."""
    import requests

    from chalicelib.adapters.queues import MemoryPublisher
    from chalicelib.config import get_settings
    from chalicelib.jobs.imports import handle_batch
    from infra.package import stage_settings

    c = new_customer(invoices=[("2024-05", 100, 111, 66000, "unpaid")])
    queue = MemoryPublisher()
    deps.override("publisher", queue)
    try:
        created = api.post("/v1/admin/imports/bank-statements/uploads", {"bank": "VCB"}, token=admin).json
        statement = (
            "Ngày giao dịch;Số tham chiếu;Số tiền ghi nợ;Số tiền ghi có;Mô tả\n"
            f"15/05/2024;FT{time.time_ns() % 10**10:010d};;75.900;TT TIEN NUOC KH {c.code}\n"
            "16/05/2024;FT0000000001X;;10.000;CHUYEN TIEN\n"
        ).encode()
        form = created["upload"]
        assert requests.post(form["url"], data=form["fields"], files={"file": statement}, timeout=10).ok
        started = api.post(f"/v1/admin/imports/bank-statements/{created['import_id']}/start", {}, token=admin)
        assert started.status_code == 202, started.json
        alias = {get_settings().imports_bucket: stage_settings(STAGE).imports_bucket}
        assert denied("api_handler", aws_calls.calls, alias) == []
        aws_calls.calls.clear()
        ((_, message),) = queue.messages
        assert handle_batch(sqs_event(message)) == {"batchItemFailures": []}
        assert {"TransactWriteItems", "GetObject", "PutObject"} <= {op for _, op, _ in aws_calls.calls}
        assert denied("imports_worker", aws_calls.calls, alias) == []
    finally:
        deps.reset()


def test_the_api_and_the_reminders_worker_may_do_what_authorised_debit_does(app, api, admin, new_customer, aws_calls):
    """A bank's run (mandates, open invoices, requests, the file to S3), the run's view (its link), the result
    file (a paid row posted through the ledger, a failed one with its reminder claimed and queued); then the
    reminders worker telling the customer."""
    from chalicelib.config import get_settings
    from chalicelib.jobs.reminders import handle_batch
    from infra.package import stage_settings
    from tests.api.test_debits import mandate

    paid, failed = (new_customer(invoices=[("2024-05", 100, 111, 66000, "unpaid")]) for _ in range(2))
    for c in (paid, failed):
        mandate(c.code, "STB")
    aws_calls.calls.clear()
    run = api.post("/v1/admin/debits/runs", {"bank": "STB", "period": "2024-11"}, token=admin)
    assert run.status_code in (200, 201), run.json
    assert api.get(f"/v1/admin/debits/runs/{run.json['run_id']}", token=admin).status_code == 200
    text = (
        "request_id,status,bank_ref,amount,reason\n"
        f"STB-202411-{paid.code},paid,FT{paid.code},75900,\n"
        f"STB-202411-{failed.code},failed,,,Khong du so du\n"
    )
    r = api.call(
        "POST", "/v1/admin/debits/results", raw=text.encode(), token=admin, headers={"Content-Type": "text/csv"}
    )
    assert r.status_code == 200 and (r.json["paid"], r.json["failed"]) == (1, 1), r.json
    assert {"PutObject", "TransactWriteItems", "SendMessage"} <= {op for _, op, _ in aws_calls.calls}
    alias = {get_settings().imports_bucket: stage_settings(STAGE).imports_bucket}
    assert denied("api_handler", aws_calls.calls, alias) == []
    aws_calls.calls.clear()
    handle_batch(sqs_event({"kind": "debit_failed", "request_id": f"STB-202411-{failed.code}"}))
    assert any(s in ("sns", "sqs") for s, _, _ in aws_calls.calls), "neither sent nor deferred"
    assert denied("reminders_worker", aws_calls.calls) == []


def test_the_debit_run_job_may_do_what_it_does(app, new_customer, aws_calls):
    import dataclasses
    from datetime import date

    from chalicelib.config import get_settings
    from chalicelib.jobs.debits import run_scheduled
    from infra.package import stage_settings
    from tests.api.test_debits import mandate, service

    c = new_customer(invoices=[("2024-05", 100, 111, 66000, "unpaid")])
    mandate(c.code, "AGR")
    svc = service()
    svc.settings = dataclasses.replace(get_settings(), debit_run_day=7)
    deps.override("debits", svc)
    try:
        aws_calls.calls.clear()
        assert run_scheduled(date(2024, 11, 7))["ran"] is True
        assert {"Query", "PutItem", "PutObject"} <= {op for _, op, _ in aws_calls.calls}
        assert "Scan" not in {op for _, op, _ in aws_calls.calls}
        alias = {get_settings().imports_bucket: stage_settings(STAGE).imports_bucket}
        assert denied("run_debits", aws_calls.calls, alias) == []
    finally:
        deps.reset()


def test_the_ledger_invariant_may_do_what_it_does(app, new_customer, aws_calls):
    """The nightly walk: Queries of the customers' by_shard index (no function may Scan), then each
    account's invoices, entries and credit, read again when it does not add up. It only reads."""
    from chalicelib.services.ledger_jobs import LedgerInvariant
    from chalicelib.store.ledger import LedgerStore
    from chalicelib.store.ledger_jobs import AccountWalk

    c = new_customer(invoices=[("2024-05", 100, 111, 66000, "unpaid")])  # no charge in the ledger: a breach
    aws_calls.calls.clear()
    invariant = LedgerInvariant(ledger=LedgerStore(), walk=AccountWalk(), segments=2, recheck_delay_s=0)
    result = invariant.run()
    # The answer names the first 100 breaching codes in order; other tests' customers share the table.
    assert result["breaching"] >= 1 and c.code in invariant.check_codes([c.code])
    ops = {op for _, op, _ in aws_calls.calls}
    assert {"Query", "BatchGetItem", "GetItem"} <= ops and "Scan" not in ops
    assert denied("ledger_invariant", aws_calls.calls) == []
    writes = [("dynamodb", op, {"TableName": f"{TEST_PREFIX}ledger"}) for op in ("PutItem", "UpdateItem")]
    scans = [("dynamodb", "Scan", {"TableName": f"{TEST_PREFIX}{t}"}) for t in ("customers", "invoices")]
    assert len(denied("ledger_invariant", writes + scans)) == 4
    assert denied("api_handler", [("dynamodb", "Scan", {"TableName": f"{TEST_PREFIX}customers"})])


def test_the_api_may_do_what_a_bank_notification_does(app, api, new_customer, aws_calls):
    """Issue 16: SePay's and Casso's webhooks: the notification record, the customer and invoice reads of
    the matcher, the posting's transaction (line, payment, ledger, invoice, account), a retry, and a
    transfer parked in suspense."""
    from chalicelib.domain import payment_reference as pr
    from tests.api.test_bank_transfers import casso, casso_body, sepay, sepay_body

    c = new_customer(invoices=[("2024-05", 100, 111, 66000, "unpaid")])
    body = sepay_body(100000, pr.for_invoice(c.code, "2024-05"))
    for r in (sepay(api, body), sepay(api, body), sepay(api, amount=5000, content="CHUYEN TIEN")):
        assert r.status_code == 200, r.json
    assert casso(api, casso_body(20000, pr.for_account(c.code))).status_code == 200
    assert {"TransactWriteItems", "GetItem", "PutItem", "BatchGetItem"} <= {op for _, op, _ in aws_calls.calls}
    assert denied("api_handler", aws_calls.calls) == []
    # An uploaded statement's line carrying an order's reference (TD...) reads the order in the imports worker.
    assert denied("imports_worker", [("dynamodb", "GetItem", {"TableName": f"{TEST_PREFIX}orders"})]) == []


def test_the_check_refuses_what_a_role_does_not_grant():
    """The matcher itself: the readings worker may not queue reminders nor read the accounts."""
    calls = [
        ("sqs", "SendMessage", {"QueueUrl": f"http://localhost/{ACCOUNT}/{TEST_PREFIX}reminders"}),
        ("dynamodb", "GetItem", {"TableName": f"{TEST_PREFIX}accounts"}),
        ("dynamodb", "GetItem", {"TableName": f"{TEST_PREFIX}readings"}),
    ]
    assert denied("readings_worker", calls) == [
        f"dynamodb:GetItem on {_table(TEST_PREFIX + 'accounts')}",
        f"sqs:SendMessage on arn:aws:sqs:{REGION}:{ACCOUNT}:cskh-{STAGE}-reminders",
    ]


def test_the_api_may_do_what_its_main_flows_do(app, api, admin, registered, aws_calls):
    """Registration (SMS through the queue), login, invoices and the PDF, an order and its IPN, a reading
    sent, an import opened, the audit: every call the API function makes, against the API's policy."""
    from tests.api.test_payments import PERIODS, ipn_params
    from tests.api.test_staff import PASSWORD as STAFF_PASSWORD

    customer, tokens = registered(invoices=PERIODS)
    token = tokens["access_token"]
    invoices = api.get(f"/v1/customers/{customer.code}/invoices", token=token).json["invoices"]
    assert (
        api.get(
            f"/v1/invoices/{invoices[0]['invoice_id']}/pdf", token=token, headers={"Accept": "application/pdf"}
        ).status_code
        == 200
    )
    order = api.post("/v1/payments", {"invoice_ids": [i["invoice_id"] for i in invoices]}, token=token).json
    assert (
        api.get(
            "/v1/vnpay/ipn?"
            + "&".join(f"{k}={v}" for k, v in ipn_params(order, txn=f"44{time.time_ns() % 10**8:08d}").items()),
            token="",
        ).json["RspCode"]
        == "00"
    )
    assert api.get("/v1/me/data", token=token).status_code == 200
    login = f"iam{int(time.time()) % 100000}"
    assert (
        api.post(
            "/v1/admin/staff",
            {"username": login, "password": STAFF_PASSWORD, "full_name": "Nguyễn Văn A", "branch": "TP Ca Mau"},
            token=admin,
        ).status_code
        == 201
    )
    staff = api.post(
        "/v1/staff/login",
        {"username": login, "password": STAFF_PASSWORD, "device_imei": "356938035699901", "app_version": "1.2.0"},
        token="",
    ).json
    headers = {"X-Device-Imei": "356938035699901", "X-App-Version": "1.2.0"}
    r = api.post(
        "/v1/staff/readings",
        {
            "reading_id": f"iam-{login}-1",
            "customer_code": "01031070",
            "period": "2026-11",
            "new_index": 1,
            "read_at": "2026-11-20T09:00:00+07:00",
        },
        token=staff["access_token"],
        headers=headers,
    )
    assert r.status_code == 202, r.json
    assert api.post("/v1/admin/imports/customers", {}, token=admin).status_code == 201
    assert api.get("/v1/admin/kpis?period=2026-11", token=admin).status_code == 200
    services = {s for s, _, _ in aws_calls.calls}
    assert {"dynamodb", "sqs"} <= services, services
    assert denied("api_handler", aws_calls.calls) == []


def _ssm_as_deployed(calls: list) -> list:
    """SSM names of this test stage ('/cskh/test/...') as the deployed stage's ('/cskh/dev/...')."""
    out = []
    for service, operation, params in calls:
        if service == "ssm" and params.get("Name", "").startswith("/cskh/test/"):
            params = dict(params, Name="/cskh/dev/" + params["Name"][len("/cskh/test/") :])
        out.append((service, operation, params))
    return out


def test_the_api_and_the_jobs_may_do_what_a_bill_pay_partner_does(app, api, new_customer, aws_calls):
    """Issue 16 section 3: a partner's signed calls (its secret read from SSM, the nonce, a payment and its
    reversal through the ledger, its daily file fetched and its own file kept), then the imports worker's
    compare (the file, the day's payments, the suspense list, the result) and the 01:00 daily files."""
    from chalicelib.adapters.queues import MemoryPublisher
    from chalicelib.config import PARTNER_DEMO_SECRET_DEFAULT, get_settings
    from chalicelib.jobs.imports import handle_batch
    from chalicelib.jobs.partners import partner_daily_files
    from infra.package import stage_settings
    from tests.api.test_partners import Partner, _body, _scheduled_event

    c = new_customer(invoices=[("2024-05", 100, 111, 66000, "unpaid")])
    queue = MemoryPublisher()
    deps.override("publisher", queue)
    alias = {get_settings().imports_bucket: stage_settings(STAGE).imports_bucket}
    try:
        deps.partner_secrets().forget()  # read from SSM here, as a cold container does
        demo = Partner(api, "DEMOBANK", PARTNER_DEMO_SECRET_DEFAULT)
        aws_calls.calls.clear()
        assert demo.bills(c.code).status_code == 200
        kept, reversed_ = _body(c.code, 30000), _body(c.code, 20000)
        assert demo.pay(kept).status_code == 201 and demo.pay(reversed_).status_code == 201
        assert demo.reverse(reversed_["partner_txn_id"]).status_code == 201
        day = datetime.now(VN_TZ).date().isoformat()
        ours = demo.call("GET", f"/v1/partners/reconciliation/{day}")
        assert ours.status_code == 200
        theirs = ours.body + f"TIAM{time.time_ns() % 10**8},{c.code},1000,,paid\n".encode()
        r = demo.call("PUT", f"/v1/partners/reconciliation/{day}", raw=theirs, content_type="text/csv")
        assert r.status_code == 202, r.json
        ops = {(s, op) for s, op, _ in aws_calls.calls}
        assert {("ssm", "GetParameter"), ("dynamodb", "TransactWriteItems"), ("s3", "PutObject")} <= ops, ops
        assert denied("api_handler", _ssm_as_deployed(aws_calls.calls), alias) == []
        aws_calls.calls.clear()
        ((_, message),) = queue.messages
        assert handle_batch(sqs_event(message)) == {"batchItemFailures": []}
        assert {"GetObject", "PutObject", "Query"} <= {op for _, op, _ in aws_calls.calls}
        assert denied("imports_worker", aws_calls.calls, alias) == []
        aws_calls.calls.clear()
        assert partner_daily_files(*_scheduled_event())["files"]
        assert denied("partner_daily_files", aws_calls.calls, alias) == []
    finally:
        deps.reset()


def test_the_api_and_the_reminders_worker_may_do_what_a_water_cut_notice_does(app, api, admin, new_customer, aws_calls):
    """Issue 18: a manager publishes an emergency cut (audited; its fan-out queued), the reminders worker hands
    out the area (the notice's codes, a ward's index, a route) and tells each customer once."""
    from chalicelib.adapters.notifier import MemoryReminderQueue
    from chalicelib.jobs.reminders import handle_batch
    from chalicelib.store.models import RouteModel

    ward = f"Phường IAM {time.time_ns() % 10**6}"
    listed, in_ward, on_route = (new_customer() for _ in range(3))
    in_ward.ward = ward
    in_ward.save()
    route_id = f"IAM-WC-{time.time_ns() % 10**8}"
    RouteModel(
        route_id,
        staff="ghithu01",
        period="2024-05",
        days=[5],
        customer_codes=[on_route.code],
        updated_at=0,
        updated_by="admin:iam",
    ).save()
    start = datetime.now(VN_TZ).replace(microsecond=0)
    body = {
        "kind": "emergency",
        "reason": "Vỡ ống",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=3)).isoformat(),
        "wards": [ward],
        "route_ids": [route_id],
        "customer_codes": [listed.code],
        "publish": True,
    }
    aws_calls.calls.clear()
    r = api.post("/v1/admin/water-cuts", body, token=admin)
    assert r.status_code == 201 and r.json["queued_revision"] == 1, r.json
    assert api.get("/v1/public/water-cuts", token="").status_code == 200
    assert {"TransactWriteItems", "SendMessage", "Query"} <= {op for _, op, _ in aws_calls.calls}
    assert denied("api_handler", aws_calls.calls) == []
    fan_out = {"kind": "water_cut_fanout", "notice_id": r.json["notice_id"], "revision": 1}
    queue = MemoryReminderQueue()
    for source in range(3):  # the codes, the ward, the route: SendMessageBatch and the next page on SQS
        aws_calls.calls.clear()
        assert handle_batch(sqs_event({**fan_out, "source": source})) == {"batchItemFailures": []}
        assert {"SendMessageBatch", "GetItem"} <= {op for _, op, _ in aws_calls.calls}
        assert denied("reminders_worker", aws_calls.calls) == []
    deps.override("reminder_queue", queue)
    try:
        aws_calls.calls.clear()
        sends = [{**fan_out, "kind": "water_cut", "customer_code": c.code} for c in (listed, in_ward, on_route)]
        assert handle_batch(sqs_event(*sends)) == {"batchItemFailures": []}
        assert {("sns", "Publish"), ("dynamodb", "PutItem")} <= {(s, op) for s, op, _ in aws_calls.calls}
        assert denied("reminders_worker", aws_calls.calls) == []
    finally:
        deps.reset()


def test_the_readings_worker_may_hold_a_reading_and_check_its_photo(app, new_customer, aws_calls):
    """Issue 18: a spike with the staff's meter photo (read from S3) is held for a manager."""
    from chalicelib.config import get_settings
    from chalicelib.domain.tokens import Identity
    from chalicelib.jobs.readings import handle_batch
    from chalicelib.store.models import CustomerModel, ReadingModel
    from infra.package import stage_settings
    from tests.api.test_photos import JPEG, _upload

    upload = deps.photos().start("reading", "ghithu01", "image/jpeg")
    assert _upload(upload["upload"], JPEG).ok
    c = new_customer(invoices=[("2024-04", 100, 111, 66000, "paid")])
    c.update(actions=[CustomerModel.last_index.set(111), CustomerModel.last_read_on.set("2024-05-05")])
    reading_id = f"iam-held{c.code}-{int(time.time())}"
    deps.readings().submit(
        Identity(account_id="staff:ghithu01", role="staff", device="356938035643801"),
        {
            "reading_id": reading_id,
            "customer_code": c.code,
            "period": "2024-05",
            "new_index": 211,
            "read_at": "2024-06-05T09:30:00+07:00",
            "photo_id": upload["photo_id"],
        },
    )
    aws_calls.calls.clear()
    assert handle_batch(sqs_event({"reading_id": reading_id})) == {"batchItemFailures": []}
    assert ReadingModel.get(reading_id).status == "held"
    assert any(op == "GetObject" for _, op, _ in aws_calls.calls), "the photo was not checked"
    alias = {get_settings().documents_bucket: stage_settings(STAGE).documents_bucket}
    assert denied("readings_worker", aws_calls.calls, alias) == []


def test_the_reminders_plan_and_worker_may_invite_a_customer_to_read_its_meter(app, new_customer, aws_calls):
    """Issue 18: the invitations planned from the route stops' index, claimed, queued; the worker sends one."""
    from chalicelib.adapters.notifier import SqsReminderQueue
    from chalicelib.jobs.reminders import handle_batch
    from chalicelib.store.models import RouteStopModel

    deps.override("reminder_queue", SqsReminderQueue())
    try:
        today = datetime.now(VN_TZ).date()
        read_on = today + timedelta(days=deps.self_readings().s.self_reading_days)
        c = new_customer()
        period = read_on.strftime("%Y-%m")
        RouteStopModel(c.code, period, route_id="RT-iam", staff="ghithu01", read_on=read_on.isoformat()).save()
        aws_calls.calls.clear()
        assert deps.self_readings().plan_invites(today)["enqueued"] >= 1
        assert denied("plan_reminders", aws_calls.calls) == []
        aws_calls.calls.clear()
        handle_batch(sqs_event({"kind": "self_reading", "customer_code": c.code, "period": period}))
        assert any(s in ("sns", "sqs") for s, _, _ in aws_calls.calls), "neither sent nor deferred"
        assert denied("reminders_worker", aws_calls.calls) == []
    finally:
        deps.reset()


def test_the_ticket_notice_and_the_overdue_sweep_may_do_what_they_do(app, new_customer, aws_calls):
    """Issue 18: the reminders worker tells a customer of a ticket's change (tickets, ticket_events, the
    notice record, the customer; SNS, or SQS when deferred by quiet hours); the sweep counts overdue tickets
    (one Query of an index, reads only)."""
    from chalicelib.domain.tokens import Identity
    from chalicelib.jobs.reminders import handle_batch
    from chalicelib.jobs.tickets import sweep

    code = new_customer().code
    customer = Identity(account_id=f"customer:{code}", role="customer", customer_codes=(code,))
    ticket, _ = deps.tickets().create(
        customer, {"customer_code": code, "type": "other", "description": "IAM"}, None, "vi"
    )
    admin = Identity(account_id="admin:iam", role="admin")
    deps.tickets().change_status(admin, ticket["ticket_id"], {"status": "rejected", "reason": "IAM"}, "vi")
    aws_calls.calls.clear()
    notice = {"kind": "ticket", "ticket_id": ticket["ticket_id"], "seq": 1}
    assert handle_batch(sqs_event(notice)) == {"batchItemFailures": []}
    assert any(s in ("sns", "sqs") for s, _, _ in aws_calls.calls), "neither sent nor deferred"
    assert denied("reminders_worker", aws_calls.calls) == []
    aws_calls.calls.clear()
    assert sweep()["overdue"] >= 0
    assert {op for _, op, _ in aws_calls.calls} == {"Query"}
    assert denied("tickets_sweep", aws_calls.calls) == []
