"""The staff and admin runs of tests/fuzz/test_schemathesis.py, in a file of their own so
that `pytest -n 2 --dist loadfile` (make test) fuzzes both halves at once."""

from __future__ import annotations

import pytest

from tests.fuzz.test_schemathesis import RUNS, run_schemathesis


@pytest.mark.parametrize("role", RUNS[3:])
def test_schemathesis(role, fuzz_stack, role_headers, served_document, tmp_path, record_property):
    run_schemathesis(role, fuzz_stack, role_headers, served_document, tmp_path, record_property)
