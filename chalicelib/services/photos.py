"""Photos sent with a report (issue 18): a presigned upload straight to S3, then a check when the report
names the photo. No Chalice, no boto3.

1. `start` answers a presigned POST whose policy S3 itself enforces: the key the server composed for this
   purpose and owner, the declared image type, 1 byte to MAX_BYTES. Nothing is recorded: the key is
   derived from (purpose, owner, photo_id) again when the photo is named.
2. `confirm`, when a ticket, a reading or a reply names `photo_id`: the object must be there under that
   owner's key (a photo of another customer code or another staff member is simply not found), within
   the size, and its first bytes must be a JPEG, PNG or WebP, whatever the upload declared.
3. `url`: a link that shows it for 5 minutes, to whoever the calling service has already checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain import photos
from chalicelib.domain.shapes import parse, to_json
from chalicelib.domain.tokens import Identity
from chalicelib.errors import Forbidden, ValidationError
from chalicelib.ports.photos import PhotoObjects
from chalicelib.services.auth import linked_code
from chalicelib.services.shapes_photos import (
    CustomerPhotoRequest,
    ManagerPhotoRequest,
    PhotoUpload,
    StaffPhotoRequest,
)
from chalicelib.services.shapes_statements import UploadForm

UPLOAD_EXPIRES_S = 900
LINK_EXPIRES_S = 300
_SNIFF_BYTES = 16


@dataclass(frozen=True)
class Photo:
    photo_id: str
    key: str
    content_type: str
    size: int


def not_uploaded(field: str) -> ValidationError:
    return ValidationError(
        "no photo was uploaded under this id for you",
        "Không tìm thấy ảnh đã tải lên với mã này.",
        field=field,
        code="PHOTO_NOT_UPLOADED",
    )


def invalid(field: str, why: str) -> ValidationError:
    return ValidationError(
        f"the photo is not usable: {why}",
        "Ảnh không hợp lệ (JPEG, PNG hoặc WebP, tối đa 5 MB).",
        field=field,
        code="PHOTO_INVALID",
    )


def staff_owner(identity: Identity) -> str:
    """A field worker's (or a manager's) photos are kept under its user name (the account id is
    'staff:<user name>', 'admin:<user name>'); a manager's under a purpose of its own (manager_reply)."""
    return identity.account_id.split(":", 1)[-1]


class PhotoService:
    def __init__(self, *, objects: PhotoObjects, max_bytes: int = photos.MAX_BYTES) -> None:
        self.objects = objects
        self.max_bytes = max_bytes

    # -- the routes ------------------------------------------------------------------------

    def start_for_customer(self, identity: Identity, body: Any) -> dict[str, Any]:
        request = parse(CustomerPhotoRequest, body)
        code = linked_code(identity, request.customer_code)
        return self.start(request.purpose, code, request.content_type)

    def start_for_staff(self, identity: Identity, body: Any) -> dict[str, Any]:
        request = parse(StaffPhotoRequest, body)
        return self.start(request.purpose, staff_owner(identity), request.content_type)

    def start_for_manager(self, identity: Identity, body: Any) -> dict[str, Any]:
        request = parse(ManagerPhotoRequest, body)
        if identity.role != "admin":
            raise Forbidden()
        return self.start("manager_reply", staff_owner(identity), request.content_type)

    # -- for the services that take photos --------------------------------------------------

    def start(self, purpose: str, owner: str, content_type: str) -> dict[str, Any]:
        photo_id = photos.new_photo_id()
        key = photos.photo_key(purpose, owner, photo_id)
        form = self.objects.upload_form(key, content_type, self.max_bytes, UPLOAD_EXPIRES_S)
        shown = PhotoUpload(
            photo_id=photo_id,
            upload=UploadForm(
                method="POST",
                url=form["url"],
                fields=form["fields"],
                max_bytes=self.max_bytes,
                expires_in=UPLOAD_EXPIRES_S,
            ),
        )
        answer: dict[str, Any] = to_json(shown)
        return answer

    def confirm(self, purpose: str, owner: str, photo_id: object, field: str = "photo_id") -> Photo:
        """The photo `photo_id` as uploaded by `owner` for `purpose`, checked; ValidationError otherwise."""
        if not photos.is_photo_id(photo_id):
            raise not_uploaded(field)
        assert isinstance(photo_id, str)
        key = photos.photo_key(purpose, owner, photo_id)
        size = self.objects.size(key)
        if size is None:
            raise not_uploaded(field)
        if not 0 < size <= self.max_bytes:
            raise invalid(field, f"{size} bytes")
        kind = photos.sniff(self.objects.read(key, 0, _SNIFF_BYTES))
        if kind is None:
            raise invalid(field, "not a JPEG, PNG or WebP image")
        return Photo(photo_id=photo_id, key=key, content_type=kind, size=size)

    def url(self, key: str, content_type: str = "image/jpeg") -> str:
        """A 5-minute link to a confirmed photo, served as the image type its bytes are (Photo.content_type):
        never as the type the uploader declared, which could be text/html."""
        return self.objects.download_url(key, LINK_EXPIRES_S, content_type)
