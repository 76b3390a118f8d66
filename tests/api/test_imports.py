"""Importing the customer book: upload to S3, chunks through the queue, row errors reported."""

from __future__ import annotations

import pytest
import requests

from chalicelib import deps
from chalicelib.adapters.queues import MemoryPublisher

HEADER = "code,ledger_no,name,address,phone,class,persons,meter,route,payment_channel,last_index,house_no\n"


@pytest.fixture
def importer(app, monkeypatch):
    import chalicelib.services.imports as imports

    monkeypatch.setattr(imports, "CHUNK_BYTES", 400)  # several chunks even for a small file
    queue = MemoryPublisher()
    deps.override("publisher", queue)
    yield deps.imports(), queue
    deps.reset()


def _drain(service, queue):
    while queue.messages:
        _, message = queue.messages.pop(0)
        service.process_chunk(message["import_id"], message["offset"])


def _book(rows):
    return (HEADER + "".join(rows)).encode("utf-8")


def test_upload_import_with_bad_rows_and_an_error_report(api, importer):
    from chalicelib.store.models import CustomerModel

    service, queue = importer
    admin = api.post("/v1/admin/login", {"username": "admin", "password": "cawaco-demo-2023"}).json["access_token"]
    created = api.post("/v1/admin/imports/customers", {}, token=admin)
    assert created.status_code == 201
    upload = created.json["upload"]
    good = [
        f'0777{n:04d},LB{n:04d},Khách {n},"{n} Trần Hưng Đạo, Phường 1, TP Cà Mau",09123400{n:02d},'
        f"ho_gia_dinh,4,M{n},R1,{'CK' if n % 5 == 0 else 'TT'},{100 + n},{n}\n"
        for n in range(1, 31)
    ]
    bad = [
        "12AB,LB9,Sai mã,Đâu đó,0912340099,household,4,M,R1,TT,1,1\n",  # row 32: bad code
        "07779999,LB9,Sai lớp,Đâu đó,0912340099,vip,4,M,R1,TT,1,1\n",  # row 33: bad class
        "07779998,LB9,Thiếu cột,Đâu đó\n",
    ]  # row 34: too few values
    put = requests.put(upload["url"], data=_book(good + bad), headers=upload["headers"], timeout=10)
    assert put.status_code == 200
    started = api.post(f"/v1/admin/imports/{created.json['import_id']}/start", {}, token=admin)
    assert started.status_code == 202 and started.json["status"] == "queued"
    assert api.post(f"/v1/admin/imports/{created.json['import_id']}/start", {}, token=admin).status_code == 409
    _drain(service, queue)
    view = api.get(f"/v1/admin/imports/{created.json['import_id']}", token=admin).json
    assert view["status"] == "done" and view["progress_percent"] == 100.0
    assert (view["rows_done"], view["rows_ok"], view["rows_failed"]) == (33, 30, 3)
    assert [(e["row"], e["code"]) for e in view["errors"]] == [
        (32, "BAD_CODE"),
        (33, "BAD_CLASS"),
        (34, "COLUMN_COUNT"),
    ]
    report = requests.get(view["error_report_url"], timeout=10)
    assert report.status_code == 200 and "BAD_CLASS" in report.content.decode("utf-8-sig")
    c = CustomerModel.get("07770005")
    assert (c.name, c.payment_channel, c.last_index, c.address) == (
        "Khách 5",
        "bank_transfer",
        105,
        "5 Trần Hưng Đạo, Phường 1, TP Cà Mau",
    )


def test_reimporting_changes_nothing_and_keeps_what_the_book_does_not_own(api, importer):
    from chalicelib.store.models import CustomerModel

    service, queue = importer
    row = '07770101,LB101,Chị Mai,"1 Lê Lợi, P2",0912341111,household,3,M9,R2,TT,50,1\n'
    for attempt in range(2):
        created = service.create("admin:test")
        requests.put(created["upload"]["url"], data=_book([row]), headers=created["upload"]["headers"], timeout=10)
        service.start(created["import_id"])
        _drain(service, queue)
        if attempt == 0:
            CustomerModel("07770101").update(actions=[CustomerModel.email.set("mai@example.vn")])
    c = CustomerModel.get("07770101")
    assert c.email == "mai@example.vn" and c.last_index == 50 and c.name == "Chị Mai"


def test_a_redelivered_chunk_is_not_counted_twice(api, importer):
    service, queue = importer
    created = service.create("admin:test")
    rows = [f"0778{n:04d},L{n},N {n},A {n},,household,1,M,R,TT,{n},1\n" for n in range(1, 21)]
    requests.put(created["upload"]["url"], data=_book(rows), headers=created["upload"]["headers"], timeout=10)
    service.start(created["import_id"])
    first = queue.messages[0][1]
    service.process_chunk(first["import_id"], first["offset"])
    assert service.process_chunk(first["import_id"], first["offset"]) == "skipped"  # SQS delivered it again
    queue.messages.pop(0)
    _drain(service, queue)
    assert service.view(created["import_id"])["rows_ok"] == 20


def test_a_file_without_the_columns_fails_clearly(api, importer):
    service, queue = importer
    created = service.create("admin:test")
    requests.put(
        created["upload"]["url"], data=b"ma_kh,ten\n0101,A\n", headers=created["upload"]["headers"], timeout=10
    )
    service.start(created["import_id"])
    _drain(service, queue)
    view = service.view(created["import_id"])
    assert view["status"] == "failed" and view["errors"][0]["code"] == "FILE" and "code" in view["errors"][0]["message"]


def test_only_admins_and_not_before_upload(api, importer, registered):
    _, tokens = registered()
    assert api.post("/v1/admin/imports/customers", {}, token=tokens["access_token"]).status_code == 403
    admin = api.post("/v1/admin/login", {"username": "admin", "password": "cawaco-demo-2023"}).json["access_token"]
    created = api.post("/v1/admin/imports/customers", {}, token=admin).json
    r = api.post(f"/v1/admin/imports/{created['import_id']}/start", {}, token=admin)
    assert r.status_code == 409 and r.json["code"] == "FILE_NOT_UPLOADED"
    assert api.get("/v1/admin/imports/IMP000000000000", token=admin).status_code == 404


def _may_send(function_name: str, queue: str) -> bool:
    """Whether the function's generated IAM policy lets it send to the queue (moto checks no IAM)."""
    from tests.api.test_iam import TEST_PREFIX, denied

    return not denied(function_name, [("sqs", "SendMessage", {"QueueUrl": f"http://sqs/000/{TEST_PREFIX}{queue}"})])


class SendFails(Exception):
    pass


def test_a_chunk_recorded_but_not_handed_on_is_handed_on_when_sqs_delivers_it_again(api, importer):
    """The worker records a chunk, then queues the next one: if it dies in between or the send
    fails, SQS delivers the chunk's message again and that delivery queues the next chunk."""
    service, queue = importer
    created = service.create("admin:test")
    rows = [f"0779{n:04d},L{n},N {n},A {n},,household,1,M,R,TT,{n},1\n" for n in range(1, 31)]
    requests.put(created["upload"]["url"], data=_book(rows), headers=created["upload"]["headers"], timeout=10)
    service.start(created["import_id"])
    first = queue.messages.pop(0)[1]
    publish = queue.publish
    queue.publish = lambda name, body: (_ for _ in ()).throw(SendFails("SQS unreachable"))
    with pytest.raises(SendFails):
        service.process_chunk(first["import_id"], first["offset"])
    queue.publish = publish
    assert queue.messages == [] and service.view(created["import_id"])["status"] == "running"
    # SQS delivers the first chunk's message again: not imported twice, the next chunk is queued.
    assert service.process_chunk(first["import_id"], first["offset"]) == "handed on"
    assert len(queue.messages) == 1 and queue.messages[0][1]["offset"] > 0
    assert service.process_chunk(first["import_id"], first["offset"]) == "skipped"  # and only once
    _drain(service, queue)
    view = service.view(created["import_id"])
    assert view["status"] == "done" and view["rows_ok"] == 30 and view["rows_done"] == 30


def test_the_imports_worker_may_send_what_it_sends(api, importer):
    """Each chunk queues the next through the imports queue: the worker's own role must allow it
    (it did not, and moto never said so)."""
    service, queue = importer
    created = service.create("admin:test")
    rows = [f"0780{n:04d},L{n},N {n},A {n},,household,1,M,R,TT,{n},1\n" for n in range(1, 21)]
    requests.put(created["upload"]["url"], data=_book(rows), headers=created["upload"]["headers"], timeout=10)
    service.start(created["import_id"])
    queue.messages.pop(0)  # the API's (its role may send to every queue)
    service.process_chunk(created["import_id"], 0)
    sent = {name for name, _ in queue.messages}
    assert sent == {"imports"} and all(_may_send("imports_worker", name) for name in sent)
    assert not _may_send("imports_worker", "readings")
