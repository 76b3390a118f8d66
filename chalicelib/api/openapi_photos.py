"""OpenAPI paths of the photos blueprint (api/photos.py); shapes in services/shapes_photos.py."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import op
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_photos import CustomerPhotoRequest, ManagerPhotoRequest, PhotoUpload, StaffPhotoRequest

_HOW = (
    ": a presigned POST straight to S3 (its policy fixes the key, the image type and at most 5 MB); then name "
    "`photo_id` in the report. The server checks the photo is there, yours, and really a JPEG, PNG or WebP."
)

PATHS: dict[str, Any] = {
    "/v1/me/photos": {
        "post": op(
            "Send a photo about one of your customer codes (a leak, your meter)" + _HOW,
            (201, "Where to upload it", json_schema(PhotoUpload)),
            body=json_schema(CustomerPhotoRequest, closed=False),
            secured=True,
            errors=(400, 403),
        )
    },
    "/v1/staff/photos": {
        "post": op(
            "Send a photo from the field (a meter as read, a repair)" + _HOW,
            (201, "Where to upload it", json_schema(PhotoUpload)),
            body=json_schema(StaffPhotoRequest, closed=False),
            secured=True,
            errors=(400, 403, 426),
        )
    },
    "/v1/admin/photos": {
        "post": op(
            "Send a photo with a reply to a customer's request" + _HOW,
            (201, "Where to upload it", json_schema(PhotoUpload)),
            body=json_schema(ManagerPhotoRequest, closed=False),
            secured=True,
            tag="managers",
            errors=(400, 403),
        )
    },
}
