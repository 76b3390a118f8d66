"""OpenAPI paths of the debits blueprint (api/debits.py): authorised debit runs and the banks' results."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import answers_again, csv_body, op, path_param, pattern
from chalicelib.domain import identifiers as ids
from chalicelib.domain.debits import RESULT_COLUMNS
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_debits import ResultsView, RunView, StartRun

# The shapes are declared once, in services/shapes_debits.py: the service parses the body and builds the
# answers from them, the document is generated from them.
RUN = json_schema(RunView)
RESULTS = json_schema(ResultsView)
START_RUN = json_schema(StartRun, closed=False)
RUN_ID = pattern(ids.DEBIT_RUN_ID, example="VCB-202605")


def _run_op() -> dict[str, Any]:
    out = op(
        "Start a bank's authorised-debit run of a billing period: one request per customer whose mandate at the "
        "bank is confirmed, for what their invoices of the period and before still owe (invoices another "
        "unanswered request asks are left out); the run's CSV file through a short-lived link. Running it again "
        "writes only the customers it did not ask yet (200 when it wrote nothing)",
        (201, "Requests written", RUN),
        body=START_RUN,
        secured=True,
        errors=(400, 503),
        tag="managers",
    )
    return answers_again(out, "Nothing new to ask: the run as it is", RUN)


def _results_op() -> dict[str, Any]:
    columns = ", ".join(name for name, _ in RESULT_COLUMNS)
    out = op(
        "Post a bank's result file (CSV, UTF-8, ',' or ';', header: "
        + columns
        + "): paid rows are posted to the customer's account once (the request's invoices up to what each owes, "
        "the rest credit; another amount than asked is posted and flagged), failed rows record the bank's reason "
        "and remind the customer; the same file again changes nothing. A file that cannot be read is refused "
        "whole (400 INVALID_DEBIT_RESULTS); a row naming no request of ours is reported in the answer",
        (200, "Applied", RESULTS),
        secured=True,
        errors=(400, 503),
        tag="managers",
    )
    return csv_body(
        out,
        too_large="Larger than 2 MB or more than 5,000 rows: split the file",
        not_csv="Not a CSV file (Content-Type)",
    )


PATHS: dict[str, Any] = {
    "/v1/admin/debits/runs": {"post": _run_op()},
    "/v1/admin/debits/runs/{run_id}": {
        "get": op(
            "A run: its requests by status, what the bank debited, and a fresh short-lived link to its file",
            (200, "The run", RUN),
            secured=True,
            errors=(400, 404),
            tag="managers",
            params=[path_param("run_id", RUN_ID)],
        )
    },
    "/v1/admin/debits/results": {"post": _results_op()},
}
