"""Wiring: cached getters that build services from repositories and adapters.
Tests replace a piece with `override(name, obj)` and undo it with `reset()`."""
from __future__ import annotations

import functools
from typing import Any, Callable

from chalicelib.config import get_settings, jwt_signing_key

_overrides: dict[str, Any] = {}


def override(name: str, obj: Any) -> None:
    _overrides[name] = obj
    _cached.cache_clear()


def reset() -> None:
    _overrides.clear()
    _cached.cache_clear()


@functools.lru_cache(maxsize=None)
def _cached(name: str) -> Any:
    return _overrides[name] if name in _overrides else _FACTORIES[name]()


def _clock():
    from chalicelib.adapters.clock import Clock
    return Clock()


def _publisher():
    from chalicelib.adapters.queues import SqsPublisher
    return SqsPublisher()


def _sms():
    from chalicelib.adapters.notifications import QueuedSms
    return QueuedSms(get("publisher"))


def _sms_gateway():
    from chalicelib.adapters.notifications import SnsSms
    return SnsSms()


def _auth_service():
    from chalicelib.services.auth import AuthService
    from chalicelib.store import repositories as r
    return AuthService(settings=get_settings(), customers=r.CustomerRepository(), accounts=r.AccountRepository(),
                       sessions=r.SessionRepository(), otps=r.OneTimeCodeRepository(),
                       counters=r.CounterRepository(), sms=get("sms"), clock=get("clock"),
                       signing_key=jwt_signing_key)


def _invoice_service():
    from chalicelib.services.invoices import InvoiceService
    from chalicelib.store.repositories import InvoiceRepository
    return InvoiceService(invoices=InvoiceRepository(), settings=get_settings(),
                          page_max=get_settings().invoice_page_max)


def _billing_service():
    from chalicelib.services.billing import BillingService
    from chalicelib.store import repositories as r
    return BillingService(settings=get_settings(), customers=r.CustomerRepository(), tariffs=r.TariffRepository(),
                          invoices=r.InvoiceRepository(), invoice_writer=r.InvoiceWriter(),
                          audit=r.AuditRepository(), clock=get("clock"))


_FACTORIES: dict[str, Callable[[], Any]] = {
    "clock": _clock,
    "publisher": _publisher,
    "sms": _sms,
    "sms_gateway": _sms_gateway,
    "auth": _auth_service,
    "invoices": _invoice_service,
    "billing": _billing_service,
}


def get(name: str) -> Any:
    return _cached(name)
