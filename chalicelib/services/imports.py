"""Importing the utility's customer book: the manager uploads a CSV straight
to S3 (a presigned link), then a worker reads it in chunks through SQS (each
chunk well inside Lambda's limits, the next one queued by the last), checks it
row by row, and upserts customers with batch writes. Progress and a
downloadable error report are kept on the import. No Chalice; storage and
files come in through small interfaces."""

from __future__ import annotations

import csv
import io
import secrets
from typing import Any, cast

from chalicelib.domain import customer_book as book
from chalicelib.domain.identifiers import IMPORT_ID_RE
from chalicelib.domain.messages import BookChunk
from chalicelib.domain.shapes import to_json
from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.observability import logger
from chalicelib.ports.common import Clock, Publisher
from chalicelib.ports.imports import ImportRecord, Imports, Objects
from chalicelib.services.shapes_imports import ImportStatus, ImportView, RowError, Upload, UploadLink

CHUNK_BYTES = 512 * 1024  # about 5,000 rows: seconds of work, far from the 15-minute limit
MAX_ERRORS_KEPT = 5000


def uploaded_size(item: ImportRecord, objects: Objects) -> int:
    """The size of an import's file, once the import may start: it still awaits its upload (409
    IMPORT_ALREADY_STARTED otherwise) and the file is in the bucket (409 FILE_NOT_UPLOADED otherwise).
    Every kind of import starts so (services/statement_imports.py checks the same, and may call this)."""
    if item.status != "awaiting_upload":
        raise Conflict(
            f"this import is {item.status}",
            f"Lần nhập này đang ở trạng thái {item.status}.",
            code="IMPORT_ALREADY_STARTED",
        )
    size = objects.size(item.object_key)
    if size is None:
        raise Conflict("the file has not been uploaded yet", "Chưa tải tệp lên.", code="FILE_NOT_UPLOADED")
    return size


class ImportService:
    def __init__(self, *, store: Imports, objects: Objects, publisher: Publisher, clock: Clock) -> None:
        self.store = store
        self.objects = objects
        self.publisher = publisher
        self.clock = clock

    def create(self, actor: str) -> dict[str, Any]:
        import_id = f"IMP{secrets.token_hex(6).upper()}"
        object_key = f"imports/customers/{import_id}.csv"
        item = self.store.create(import_id, object_key=object_key, created_by=actor, now=self.clock.now())
        shown = Upload(
            import_id=import_id,
            status="awaiting_upload",
            upload=UploadLink(
                method="PUT",
                url=self.objects.upload_url(item.object_key, "text/csv"),
                headers={"Content-Type": "text/csv"},
                expires_in=900,
            ),
            columns=list(book.COLUMNS),
            optional_columns=list(book.OPTIONAL),
        )
        answer: dict[str, Any] = to_json(shown)
        return answer

    def start(self, import_id: str) -> dict[str, Any]:
        uploaded_size(self._get(import_id), self.objects)
        if not self.store.move(import_id, "awaiting_upload", "queued", self.clock.now()):
            raise Conflict("this import was started already", "Lần nhập này đã bắt đầu.", code="IMPORT_ALREADY_STARTED")
        self._send(BookChunk(import_id=import_id, offset=0))
        return self.view(import_id)

    def view(self, import_id: str) -> dict[str, Any]:
        item = self._get(import_id)
        size = self.objects.size(item.object_key) or 0
        shown = ImportView(
            import_id=item.import_id,
            status=cast(ImportStatus, item.status),
            rows_done=int(item.rows_done),
            rows_ok=int(item.rows_ok),
            rows_failed=int(item.rows_failed),
            progress_percent=100.0
            if item.status == "done"
            else round(100 * int(item.next_offset) / size, 1)
            if size
            else 0.0,
            errors=[RowError(row=e["row"], code=e["code"], message=e["message"]) for e in (item.errors or [])[:50]],
            error_report_url=self.objects.download_url(item.error_key) if item.error_key else None,
        )
        answer: dict[str, Any] = to_json(shown)
        return answer

    def _get(self, import_id: str) -> ImportRecord:
        item = self.store.get(import_id) if IMPORT_ID_RE.match(import_id or "") else None
        if item is None or item.kind != "customers":  # a bank statement has its own routes
            raise NotFound("no such import", "Không tìm thấy lần nhập.", code="IMPORT_NOT_FOUND")
        return item

    # -- the worker --------------------------------------------------------------

    def process_chunk(self, import_id: str, offset: int) -> str:
        item = self.store.get(import_id, consistent=True)
        if item is None or item.kind != "customers" or item.status not in ("queued", "running"):
            return "skipped"
        if int(item.next_offset) != offset:
            if int(item.next_offset) > offset and int(item.sent_offset or 0) < int(item.next_offset):
                # This chunk was recorded but the next one never queued (the worker died or the
                # send failed, so SQS delivered this message again): queue it now.
                self._hand_on(import_id, int(item.next_offset))
                return "handed on"
            return "skipped"  # a redelivered message for a chunk already done and handed on
        size = self.objects.size(item.object_key) or 0
        data = self.objects.read(item.object_key, offset, CHUNK_BYTES) if size > offset else b""
        last = offset + len(data) >= size
        if not last:
            cut = data.rfind(b"\n")
            if cut < 0:
                return self._fail(item, "a row is longer than a chunk")
            data = data[: cut + 1]
        text = data.decode("utf-8-sig" if offset == 0 else "utf-8", errors="replace")
        rows = list(csv.reader(io.StringIO(text)))
        header = list(item.header or [])
        row_no = int(item.next_row)
        if offset == 0:
            try:
                header = book.check_header(rows[0] if rows else [])
            except book.RowError as err:
                return self._fail(item, str(err))
            rows = rows[1:]
        good, errors = [], []
        for values in rows:
            if not any(v.strip() for v in values):
                row_no += 1
                continue
            try:
                good.append(book.customer_from_row(header, values))
            except book.RowError as err:
                errors.append({"row": row_no, "code": err.code, "message": str(err)})
            row_no += 1
        written = self.store.upsert_customers(good)
        done = last
        self.store.advance(
            import_id,
            offset,
            offset + len(data),
            row_no,
            header,
            len(good) + len(errors),
            written,
            len(errors),
            errors,
            "done" if done else "running",
            self.clock.now(),
            MAX_ERRORS_KEPT,
        )
        if done:
            self._error_report(import_id)
            logger.info("customer import done", extra={"import_id": import_id})
        else:
            self._hand_on(import_id, offset + len(data))
        return "done" if done else "running"

    def _send(self, message: BookChunk) -> None:
        self.publisher.publish(message.QUEUE, to_json(message))

    def _hand_on(self, import_id: str, offset: int) -> None:
        # A failed send raises: SQS delivers this chunk's message again, which hands on (above).
        self._send(BookChunk(import_id=import_id, offset=offset))
        self.store.mark_sent(import_id, offset)

    def _fail(self, item: ImportRecord, why: str) -> str:
        self.store.advance(
            item.import_id,
            int(item.next_offset),
            int(item.next_offset),
            int(item.next_row),
            list(item.header or []),
            0,
            0,
            1,
            [{"row": int(item.next_row), "code": "FILE", "message": why}],
            "failed",
            self.clock.now(),
            MAX_ERRORS_KEPT,
        )
        return "failed"

    def _error_report(self, import_id: str) -> None:
        item = self.store.get(import_id, consistent=True)
        if item is None or not item.errors:
            return
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["row", "code", "message"])
        for e in item.errors:
            writer.writerow([int(e["row"]), e["code"], e["message"]])
        key = f"imports/customers/{import_id}-errors.csv"
        self.objects.put(key, ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv")
        self.store.set_error_key(import_id, key)


def validate_offset(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError("offset must be a non-negative integer", field="offset")
    return value
