"""Bank statements through S3, like the customer book: the manager gets a presigned POST (S3 itself
enforces the key, the Content-Type and at most MAX_BYTES), uploads the export, starts the import, and
the imports worker reads it from the bucket and imports it (services/statements.py: every line once).
A request's body cannot carry such a file: binary bodies reach Lambda base64-encoded inside a 6 MB
event, so a 5 MB export fails at the gateway. The outcome (counts, the first errors) is kept on the
import and the full result, line by line, in the bucket. No Chalice, no boto3."""

from __future__ import annotations

import json
import secrets
from typing import Any, cast

from chalicelib.domain.identifiers import IMPORT_ID_RE
from chalicelib.domain.messages import StatementToImport
from chalicelib.domain.shapes import parse, to_json
from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.observability import logger
from chalicelib.ports.common import Clock, Publisher
from chalicelib.ports.imports import ImportRecord, Imports, Objects
from chalicelib.services.shapes_statements import (
    ImportFailure,
    ImportState,
    ImportStatus,
    ImportSummary,
    NewUpload,
    RowError,
    UploadCreated,
    UploadForm,
    UploadType,
)
from chalicelib.services.statements import MAX_BYTES, PayloadTooLarge, StatementService

KIND = "bank_statement"
UPLOAD_EXPIRES_S = 900
ERRORS_KEPT = 50  # on the import; every error is in the full result
# Every type the upload accepts (NewUpload.content_type), and the file each one is read as.
CONTENT_TYPES: dict[UploadType, str] = {
    "text/csv": "csv",
    "application/octet-stream": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
COUNTS = ("lines", "matched", "suspense", "duplicates", "allocated", "credited", "skipped")


class StatementImportService:
    def __init__(
        self, *, store: Imports, objects: Objects, publisher: Publisher, clock: Clock, statements: StatementService
    ) -> None:
        self.store = store
        self.objects = objects
        self.publisher = publisher
        self.clock = clock
        self.statements = statements

    def create(self, actor: str, body: dict[str, Any]) -> dict[str, Any]:
        asked = parse(NewUpload, body)
        bank, content_type = asked.bank, asked.content_type
        import_id = f"IMP{secrets.token_hex(6).upper()}"
        key = f"imports/bank-statements/{import_id}.{CONTENT_TYPES[content_type]}"
        self.store.create(import_id, object_key=key, created_by=actor, now=self.clock.now(), kind=KIND, bank=bank)
        form = self.objects.upload_form(key, content_type, MAX_BYTES, UPLOAD_EXPIRES_S)
        answer: dict[str, Any] = to_json(
            UploadCreated(
                import_id=import_id,
                status="awaiting_upload",
                bank=bank,
                upload=UploadForm(
                    method="POST",
                    url=form["url"],
                    fields=form["fields"],
                    max_bytes=MAX_BYTES,
                    expires_in=UPLOAD_EXPIRES_S,
                ),
            )
        )
        return answer

    def start(self, import_id: str) -> dict[str, Any]:
        item = self._get(import_id)
        if item.status != "awaiting_upload":
            raise Conflict(
                f"this import is {item.status}",
                f"Lần nhập này đang ở trạng thái {item.status}.",
                code="IMPORT_ALREADY_STARTED",
            )
        size = self.objects.size(item.object_key)
        if size is None:
            raise Conflict("the file has not been uploaded yet", "Chưa tải tệp lên.", code="FILE_NOT_UPLOADED")
        if size > MAX_BYTES:  # S3's policy refuses it; checked again here all the same
            raise PayloadTooLarge(
                f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it",
                f"Tệp lớn hơn {MAX_BYTES // (1024 * 1024)} MB: hãy chia nhỏ tệp.",
            )
        if not self.store.move(import_id, "awaiting_upload", "queued", self.clock.now()):
            raise Conflict("this import was started already", "Lần nhập này đã bắt đầu.", code="IMPORT_ALREADY_STARTED")
        message = StatementToImport(import_id=import_id)
        self.publisher.publish(message.QUEUE, to_json(message))
        return self.view(import_id)

    def view(self, import_id: str) -> dict[str, Any]:
        item = self._get(import_id)
        summary = _plain(item.summary) if item.summary is not None else None
        answer: dict[str, Any] = to_json(
            ImportStatus(
                import_id=item.import_id,
                status=cast(ImportState, item.status),  # the store holds only what this service wrote
                bank=cast(str, item.bank),  # a bank statement's import always names its bank (create)
                result=summary,
                result_url=self.objects.download_url(item.result_key) if item.result_key else None,
            )
        )
        return answer

    def _get(self, import_id: str) -> ImportRecord:
        item = self.store.get(import_id) if IMPORT_ID_RE.match(import_id or "") else None
        if item is None or item.kind != KIND:
            raise NotFound("no such import", "Không tìm thấy lần nhập.", code="IMPORT_NOT_FOUND")
        return item

    # -- the worker --------------------------------------------------------------

    def process(self, import_id: str) -> str:
        """Import the uploaded file. A message delivered again while the import runs (the worker died)
        imports it again: every line is recorded once, so lines already done come back as duplicates."""
        item = self.store.get(import_id, consistent=True)
        if item is None or item.kind != KIND or item.status not in ("queued", "running"):
            return "skipped"
        now = self.clock.now()
        if item.status == "queued" and not self.store.move(import_id, "queued", "running", now):
            return "skipped"
        data = self.objects.read(item.object_key, 0, MAX_BYTES + 1)
        try:
            out = self.statements.import_statement(item.created_by, item.bank, data, import_id=import_id)
        except (ValidationError, PayloadTooLarge) as exc:
            # The file itself is wrong: trying again changes nothing.
            failure = ImportSummary(
                error=ImportFailure(code=exc.code, message=exc.message_en, message_vi=exc.message_vi)
            )
            self.store.finish(import_id, "failed", to_json(failure), None, self.clock.now())
            logger.info("bank statement upload failed", extra={"import_id": import_id, "code": exc.code})
            return "failed"
        key = f"imports/bank-statements/{import_id}-result.json"
        self.objects.put(key, json.dumps(out, ensure_ascii=False).encode("utf-8"), "application/json")
        summary = ImportSummary(
            **{k: out[k] for k in ("bank", "channel", *COUNTS)},
            errors_count=len(out["errors"]),
            errors=[RowError(**e) for e in out["errors"][:ERRORS_KEPT]],
        )
        self.store.finish(import_id, "done", to_json(summary), key, self.clock.now())
        return "done"


def _plain(value: Any) -> Any:
    """A stored map as plain JSON values (DynamoDB numbers come back as Decimal or float)."""
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
