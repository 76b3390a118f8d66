"""The shapes of the photo uploads (api/photos.py, services/photos.py): declared once, parsed from the
bodies, answered with to_json, stated in the OpenAPI document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain import photos
from chalicelib.domain.shapes import spec
from chalicelib.services.shapes_statements import UploadForm

ImageType = Literal["image/jpeg", "image/png", "image/webp"]
_TYPE = spec(
    message=(
        f"content_type must be one of {', '.join(photos.CONTENT_TYPES)}",
        "Ảnh phải là JPEG, PNG hoặc WebP.",
    )
)


@dataclass(frozen=True, kw_only=True)
class CustomerPhotoRequest:
    """POST /v1/me/photos: a photo the customer is about to send about one of its codes."""

    purpose: Literal["ticket", "self_reading"]
    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    content_type: ImageType = field(metadata=_TYPE)


@dataclass(frozen=True, kw_only=True)
class StaffPhotoRequest:
    """POST /v1/staff/photos: a photo a field worker is about to send (a meter, a repair)."""

    purpose: Literal["reading", "ticket_reply"]
    content_type: ImageType = field(metadata=_TYPE)


@dataclass(frozen=True, kw_only=True)
class ManagerPhotoRequest:
    """POST /v1/admin/photos: a photo a manager is about to send with a reply to a customer's request."""

    purpose: Literal["ticket_reply"]
    content_type: ImageType = field(metadata=_TYPE)


@dataclass(frozen=True, kw_only=True)
class PhotoUpload:
    """Where to send the photo, then name it by `photo_id` in the report it belongs to."""

    photo_id: str = field(metadata=spec(pattern=photos.PHOTO_ID, description="name it in the report"))
    upload: UploadForm
