"""Wiring: cached getters that build services from repositories and adapters.
Tests replace a piece with `override(name, obj)` and undo it with `reset()`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalicelib.config import get_settings, jwt_signing_key

_overrides: dict[str, Any] = {}


def override(name: str, obj: Any) -> None:
    _overrides[name] = obj
    _cached.cache_clear()


def reset() -> None:
    _overrides.clear()
    _cached.cache_clear()


@functools.cache
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

    return AuthService(
        settings=get_settings(),
        customers=r.CustomerRepository(),
        accounts=r.AccountRepository(),
        sessions=r.SessionRepository(),
        otps=r.OneTimeCodeRepository(),
        counters=r.CounterRepository(),
        sms=get("sms"),
        clock=get("clock"),
        signing_key=jwt_signing_key,
    )


def _invoice_service():
    from chalicelib.services.invoices import InvoiceService
    from chalicelib.store.repositories import InvoiceRepository

    return InvoiceService(
        invoices=InvoiceRepository(), settings=get_settings(), page_max=get_settings().invoice_page_max
    )


def _billing_service():
    from chalicelib.services.billing import BillingService
    from chalicelib.store import repositories as r
    from chalicelib.store.ledger import LedgerStore

    return BillingService(
        settings=get_settings(),
        customers=r.CustomerRepository(),
        tariffs=r.TariffRepository(),
        invoices=r.InvoiceRepository(),
        invoice_writer=r.InvoiceWriter(),
        audit=r.AuditRepository(),
        clock=get("clock"),
        ledger=LedgerStore(),
    )


def _payment_service():
    from chalicelib.config import vnpay_hash_secret
    from chalicelib.domain.vnpay_qr import merchant_payload
    from chalicelib.services.payments import PaymentService
    from chalicelib.store import audit
    from chalicelib.store.payments import OrderStore

    return PaymentService(
        settings=get_settings(),
        orders=OrderStore(),
        clock=get("clock"),
        hash_secret=vnpay_hash_secret,
        qr_payload=merchant_payload,
        vnpay_client=get("vnpay_client"),
        audit=audit.record,
        ledger=get("ledger"),
    )


def _ledger_service():
    from chalicelib.services.ledger import LedgerService
    from chalicelib.store.ledger import LedgerStore

    return LedgerService(store=LedgerStore(), clock=get("clock"))


def _account_service():
    from chalicelib.services.accounts import AccountService
    from chalicelib.store.ledger import LedgerStore
    from chalicelib.store.repositories import CustomerRepository

    return AccountService(store=LedgerStore(), customers=CustomerRepository(), clock=get("clock"))


def _refund_service():
    from chalicelib.config import vnpay_hash_secret
    from chalicelib.services.refunds import RefundService
    from chalicelib.store import audit
    from chalicelib.store.ledger import LedgerStore
    from chalicelib.store.refunds import RefundStore

    return RefundService(
        settings=get_settings(),
        store=RefundStore(),
        ledger=LedgerStore(),
        clock=get("clock"),
        vnpay_client=get("vnpay_client"),
        hash_secret=vnpay_hash_secret,
        audit_entry=audit.entry,
    )


def _ledger_invariant():
    from chalicelib.services.ledger_jobs import LedgerInvariant
    from chalicelib.store.ledger import LedgerStore
    from chalicelib.store.ledger_jobs import AccountWalk

    return LedgerInvariant(ledger=LedgerStore(), walk=AccountWalk())


def _ledger_migration():
    from chalicelib.services.ledger_jobs import LedgerMigration
    from chalicelib.store.ledger import LedgerStore
    from chalicelib.store.ledger_jobs import AccountWalk, MigrationStore

    return LedgerMigration(ledger=LedgerStore(), store=MigrationStore(), walk=AccountWalk(), clock=get("clock"))


def _vnpay_client():
    from chalicelib.adapters.vnpay_client import VnpayClient
    from chalicelib.config import vnpay_hash_secret

    return VnpayClient(get_settings(), vnpay_hash_secret, get("clock"))


def _reading_service():
    from chalicelib.services.readings import ReadingService
    from chalicelib.store import repositories as r

    return ReadingService(
        settings=get_settings(),
        readings=r.ReadingStore(),
        customers=r.CustomerRepository(),
        invoices=r.InvoiceRepository(),
        billing=get("billing"),
        publisher=get("publisher"),
        clock=get("clock"),
    )


def _staff_service():
    from chalicelib.services.staff import StaffService, StaffStore
    from chalicelib.store import audit

    return StaffService(
        settings=get_settings(), store=StaffStore(), auth=get("auth"), clock=get("clock"), audit=audit.record
    )


def _collection_service():
    from chalicelib.services.collections import CollectionService
    from chalicelib.store import audit
    from chalicelib.store.collections import CollectionStore

    return CollectionService(
        settings=get_settings(),
        store=CollectionStore(),
        clock=get("clock"),
        audit_entry=audit.entry,
        ledger=get("ledger"),
    )


def _channel_service():
    from chalicelib.services.channels import ChannelService
    from chalicelib.store import audit
    from chalicelib.store.channels import ChannelRequestStore
    from chalicelib.store.repositories import CustomerRepository

    return ChannelService(
        store=ChannelRequestStore(), customers=CustomerRepository(), clock=get("clock"), audit=audit.record
    )


def _import_service():
    from chalicelib.adapters.objects import S3Objects
    from chalicelib.services.imports import ImportService
    from chalicelib.store.imports import ImportStore

    return ImportService(
        store=ImportStore(),
        objects=S3Objects(get_settings().imports_bucket),
        publisher=get("publisher"),
        clock=get("clock"),
    )


def _statement_service():
    from chalicelib.services.statements import StatementService
    from chalicelib.store import audit
    from chalicelib.store.statements import StatementStore

    return StatementService(
        store=StatementStore(), ledger=get("ledger"), clock=get("clock"), audit_entry=audit.entry, audit=audit.record
    )


def _kpi_service():
    from chalicelib.services.kpis import KpiService, KpiStore
    from chalicelib.store.repositories import AuditRepository

    return KpiService(store=KpiStore(), audit=AuditRepository())


def _reminder_service():
    from chalicelib.services.reminders import ReminderService, ReminderStore

    return ReminderService(
        settings=get_settings(),
        store=ReminderStore(),
        queue=get("reminder_queue"),
        notifier=get("notifier"),
        push=get("push_registrar"),
        clock=get("clock"),
    )


def _reminder_queue():
    from chalicelib.adapters.notifier import SqsReminderQueue

    return SqsReminderQueue()


def _notifier():
    from chalicelib.adapters.notifier import ChannelNotifier

    return ChannelNotifier(sms=get("sms_gateway"))


def _push_registrar():
    from chalicelib.adapters.notifier import SnsPushRegistrar

    return SnsPushRegistrar()


def _privacy_service():
    from chalicelib.services.privacy import PrivacyService, PrivacyStore

    return PrivacyService(store=PrivacyStore(), clock=get("clock"))


def _chat_service():
    from chalicelib.config import facebook_app_secret, zalo_oa_secret
    from chalicelib.services.chat import ChatService
    from chalicelib.store import audit
    from chalicelib.store import repositories as r
    from chalicelib.store.chat import ChatStore

    return ChatService(
        settings=get_settings(),
        store=ChatStore(),
        accounts=r.AccountRepository(),
        invoices=r.InvoiceRepository(),
        counters=r.CounterRepository(),
        publisher=get("publisher"),
        clock=get("clock"),
        key=jwt_signing_key,
        audit_entry=audit.entry,
        facebook_secret=facebook_app_secret,
        zalo_secret=zalo_oa_secret,
    )


def _chat_sender():
    from chalicelib.adapters.chat_platforms import HttpChatSender

    return HttpChatSender()


def _zalo_tokens():
    """The Zalo OA token refresher, or None while a setting it needs is missing (the job says which)."""
    s = get_settings()
    if s.zalo_refresher_missing:
        return None
    from chalicelib.adapters.parameters import SsmParameters
    from chalicelib.adapters.zalo_oauth import refresh_oa_token
    from chalicelib.config import zalo_app_secret
    from chalicelib.services.zalo_tokens import ZaloTokenRefresher

    return ZaloTokenRefresher(
        params=SsmParameters(),
        refresh_param=s.zalo_refresh_token_param,
        access_param=s.zalo_access_token_param,
        oauth=lambda refresh_token: refresh_oa_token(s.zalo_oauth_url, s.zalo_app_id, zalo_app_secret(), refresh_token),
    )


_FACTORIES: dict[str, Callable[[], Any]] = {
    "zalo_tokens": _zalo_tokens,
    "chat": _chat_service,
    "chat_sender": _chat_sender,
    "privacy": _privacy_service,
    "reminders": _reminder_service,
    "reminder_queue": _reminder_queue,
    "notifier": _notifier,
    "push_registrar": _push_registrar,
    "clock": _clock,
    "publisher": _publisher,
    "sms": _sms,
    "sms_gateway": _sms_gateway,
    "auth": _auth_service,
    "invoices": _invoice_service,
    "billing": _billing_service,
    "payments": _payment_service,
    "ledger": _ledger_service,
    "ledger_invariant": _ledger_invariant,
    "ledger_migration": _ledger_migration,
    "accounts": _account_service,
    "refunds": _refund_service,
    "vnpay_client": _vnpay_client,
    "readings": _reading_service,
    "staff": _staff_service,
    "collections": _collection_service,
    "channels": _channel_service,
    "imports": _import_service,
    "kpis": _kpi_service,
    "statements": _statement_service,
}


def get(name: str) -> Any:
    return _cached(name)
