"""When a charged invoice's e-invoice is looked at again (issue 17, services/einvoice_sweep.py).

A charged invoice (with a provider configured) carries `einvoice_due` = DUE_PARTITION and
`einvoice_due_at`, the time the sweep looks at it next: the sparse index `by_einvoice_due` holds it
until the e-invoice is issued or rejected. The sweep queries `einvoice_due_at <= now`, oldest first,
a page at a time, and re-queues what it finds: a charge whose publish failed (no e-invoice status
FIRST_LOOK_S after it), an invoice the provider has kept `pending` for RECHECK_S. Re-queuing is
harmless: the worker asks the provider first (find) and never issues twice."""

from __future__ import annotations

DUE_PARTITION = "due"  # one partition: only invoices in flight are in the index (minutes, normally)
FIRST_LOOK_S = 10 * 60  # the normal path (queue, worker) issues in seconds: give it that long first
RECHECK_S = 6 * 3600  # a re-queued or pending invoice is looked at again after this
SWEEP_PAGE = 100  # invoices per run at most; a re-queued one moves back RECHECK_S, so the next run goes on


def first_look(charged_at: int) -> int:
    """einvoice_due_at of an invoice charged at `charged_at` (epoch seconds)."""
    return charged_at + FIRST_LOOK_S


def next_look(now: int) -> int:
    """einvoice_due_at of an invoice re-queued, or found pending by the provider, at `now`."""
    return now + RECHECK_S
