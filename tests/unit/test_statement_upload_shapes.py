"""The statement upload's body declares its content types once (services/shapes_statements.py); the
service keeps, for each, the file it is read as: the two list the same types."""

from __future__ import annotations

from typing import get_args

from chalicelib.services.shapes_statements import UploadType
from chalicelib.services.statement_imports import CONTENT_TYPES


def test_every_accepted_content_type_has_its_file_kind():
    assert list(CONTENT_TYPES) == list(get_args(UploadType))
