"""Sending one notice on a customer's reminder channels, for every worker that does (payment
reminders, failed-debit notices): which channels, and each channel once across SQS retries."""

from __future__ import annotations

from collections.abc import Callable, Collection

from chalicelib.domain import reminders as rules
from chalicelib.observability import logger
from chalicelib.ports.customers import CustomerRecord
from chalicelib.ports.notices import ChannelUnavailable, DeliveryFailed, Notifier


def channels_for(customer: CustomerRecord) -> list[str]:
    """The channels the customer chose (the default if none), each once, that this system knows and
    that can reach them."""
    chosen = [c for c in (customer.notify_channels or rules.DEFAULT_CHANNELS) if c in rules.CHANNELS]
    return [c for c in dict.fromkeys(chosen) if rules.reachable(c, customer)]


def send_on(
    notifier: Notifier,
    customer: CustomerRecord,
    chosen: list[str],
    done: Collection[str],
    compose: Callable[[str], rules.Message],
    record: Callable[[str], None],
    unavailable: str,
) -> set[str]:
    """Send on each chosen channel not `done` yet, `record` each that went out; the channels the notice
    has reached. A channel switched off here is skipped (logged as `unavailable`); one that fails is
    tried after the others and then raises DeliveryFailed (SQS retries; the recorded are not repeated)."""
    delivered = set(done) & set(chosen)
    failures = []
    for channel in chosen:
        if channel in done:
            continue
        message = compose(channel)
        try:
            notifier.send(channel, customer, message)
        except ChannelUnavailable as exc:
            logger.warning(unavailable, extra={"channel": channel, "reason": str(exc)})
            continue
        except Exception as exc:
            failures.append(f"{channel}: {exc}")
            continue
        record(channel)
        delivered.add(channel)
    if failures:
        raise DeliveryFailed("; ".join(failures))
    return delivered
