"""Wiring: one typed provider per service or adapter, built on first use and cached.

`deps.payments()` is a `PaymentService`: go-to-definition lands on the function that builds it. The
classes are imported inside each provider (and here only for the type checker), so importing `app`
loads none of them. Tests replace a piece with `override("<provider name>", obj)` (the provider then
returns obj, and everything built from it is rebuilt) and undo every override with `reset()`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast

from chalicelib import config
from chalicelib.adapters.aws import read_secure_string
from chalicelib.config import get_settings, jwt_signing_key

if TYPE_CHECKING:
    from chalicelib.adapters.chat_platforms import HttpChatSender
    from chalicelib.adapters.clock import Clock
    from chalicelib.adapters.notifications import QueuedSms, SnsSms
    from chalicelib.adapters.notifier import ChannelNotifier, SnsPushRegistrar, SqsReminderQueue
    from chalicelib.adapters.partner_secrets import CachedSecrets
    from chalicelib.adapters.queues import SqsPublisher
    from chalicelib.adapters.vnpay_client import VnpayClient
    from chalicelib.ports.documents import DocumentStore
    from chalicelib.ports.einvoices import EInvoiceProvider
    from chalicelib.services.accounts import AccountService
    from chalicelib.services.auth import AuthService
    from chalicelib.services.bank_transfers import BankTransferService
    from chalicelib.services.billing import BillingService
    from chalicelib.services.channels import ChannelService
    from chalicelib.services.chat import ChatService
    from chalicelib.services.collections import CollectionService
    from chalicelib.services.debits import DebitService
    from chalicelib.services.einvoice_sweep import EInvoiceSweep
    from chalicelib.services.einvoices import EInvoiceService
    from chalicelib.services.health import HealthService
    from chalicelib.services.imports import ImportService
    from chalicelib.services.invoices import InvoiceService
    from chalicelib.services.kpis import KpiService
    from chalicelib.services.ledger import LedgerService
    from chalicelib.services.ledger_jobs import LedgerInvariant, LedgerMigration
    from chalicelib.services.partner_files import PartnerFileService
    from chalicelib.services.partners import PartnerService
    from chalicelib.services.partners_admin import PartnerAdminService
    from chalicelib.services.payments import PaymentService
    from chalicelib.services.photos import PhotoService
    from chalicelib.services.privacy import PrivacyService
    from chalicelib.services.readings import ReadingService
    from chalicelib.services.refunds import RefundService
    from chalicelib.services.reminders import ReminderService
    from chalicelib.services.self_readings import SelfReadingService
    from chalicelib.services.staff import StaffService
    from chalicelib.services.statement_imports import StatementImportService
    from chalicelib.services.statements import StatementService
    from chalicelib.services.tickets import TicketService
    from chalicelib.services.vietqr import VietQrService
    from chalicelib.services.water_cuts import WaterCutService
    from chalicelib.services.zalo_tokens import ZaloTokenRefresher

# A deployed stage's secrets are SSM SecureString parameters; config reads them with this adapter.
config.read_parameters_with(read_secure_string)

_T = TypeVar("_T")

_builders: dict[str, Callable[[], object]] = {}
_overrides: dict[str, object] = {}
_built: dict[str, object] = {}


def override(name: str, obj: object) -> None:
    """From now on the provider `name` returns `obj`; what was built from the old one is rebuilt."""
    if name not in _builders:
        raise KeyError(f"deps has no provider named {name!r}")
    _overrides[name] = obj
    _built.clear()


def reset() -> None:
    _overrides.clear()
    _built.clear()


def _provider(build: Callable[[], _T]) -> Callable[[], _T]:
    """Makes `build` a cached provider; its function name is the name `override` takes."""
    name = build.__name__
    _builders[name] = build

    @functools.wraps(build)
    def provide() -> _T:
        if name not in _built:
            _built[name] = _overrides[name] if name in _overrides else build()
        return cast(_T, _built[name])

    return provide


@_provider
def clock() -> Clock:
    from chalicelib.adapters.clock import Clock

    return Clock()


@_provider
def health() -> HealthService:
    from chalicelib.services.health import HealthService
    from chalicelib.store.health import store_answers

    return HealthService(store_answers=store_answers, stage=get_settings().stage)


@_provider
def publisher() -> SqsPublisher:
    from chalicelib.adapters.queues import SqsPublisher

    return SqsPublisher()


@_provider
def queued_sms() -> QueuedSms:
    from chalicelib.adapters.notifications import QueuedSms

    return QueuedSms(publisher())


@_provider
def sms_gateway() -> SnsSms:
    from chalicelib.adapters.notifications import SnsSms

    return SnsSms()


@_provider
def auth() -> AuthService:
    from chalicelib.services.auth import AuthService
    from chalicelib.store.auth import AccountStore, CounterStore, OneTimeCodeStore, SessionStore
    from chalicelib.store.customers import CustomerStore

    return AuthService(
        settings=get_settings(),
        customers=CustomerStore(),
        accounts=AccountStore(),
        sessions=SessionStore(),
        otps=OneTimeCodeStore(),
        counters=CounterStore(),
        sms=queued_sms(),
        clock=clock(),
        signing_key=jwt_signing_key,
    )


@_provider
def invoices() -> InvoiceService:
    from chalicelib.services.invoices import InvoiceService
    from chalicelib.store.invoices import InvoiceStore

    return InvoiceService(
        invoices=InvoiceStore(),
        settings=get_settings(),
        page_max=get_settings().invoice_page_max,
        documents=documents(),
        evidence=lambda reading_id: readings().evidence(reading_id),  # the reading behind a bill (issue 18)
    )


@_provider
def photos() -> PhotoService:
    """Photos sent with reports (services/photos.py), kept under photos/ in the documents bucket."""
    from chalicelib.adapters.objects import S3Objects
    from chalicelib.services.photos import PhotoService

    return PhotoService(objects=S3Objects(get_settings().documents_bucket))


def photo_link_sources() -> tuple[str, ...]:
    """Where the photos' presigned upload and links point (deps.photos(): the documents bucket), as the
    website's Content-Security-Policy sources (api/web.py); told from the settings, no client built."""
    from chalicelib.adapters.aws import s3_link_sources

    s = get_settings()
    return s3_link_sources(s.documents_bucket, s.region, s.aws_endpoint)


@_provider
def documents() -> DocumentStore:
    """The legal e-invoices' documents (DOCUMENTS_BUCKET): the worker keeps them, the API signs links."""
    from chalicelib.adapters.documents import S3Documents

    return S3Documents(get_settings().documents_bucket)


@_provider
def vietqr() -> VietQrService:
    from chalicelib.services.vietqr import VietQrService
    from chalicelib.store.ledger import LedgerStore

    return VietQrService(settings=get_settings(), invoices=LedgerStore())


@_provider
def billing() -> BillingService:
    from chalicelib.services.billing import BillingService
    from chalicelib.store import audit
    from chalicelib.store.customers import CustomerStore
    from chalicelib.store.invoices import InvoiceStore
    from chalicelib.store.ledger import LedgerStore
    from chalicelib.store.tariffs import TariffStore

    return BillingService(
        settings=get_settings(),
        customers=CustomerStore(),
        tariffs=TariffStore(),
        invoices=InvoiceStore(),
        audit_entry=audit.entry,
        audit=audit.record,
        clock=clock(),
        ledger=LedgerStore(),
        einvoices_on=einvoices_on,
        publisher=publisher(),
    )


@_provider
def einvoices() -> EInvoiceProvider | None:
    """The licensed e-invoice provider (docs/einvoice.md), or None while EINVOICE_PROVIDER is unset.
    Building it reads the account's password (SSM in a deployed stage): only the worker builds it."""
    s = get_settings()
    if s.einvoice_provider is None:
        return None
    # config refuses a half-configured provider; testing them here tells the type checker they are set.
    base_url, tax_code, template, series, username = (
        s.einvoice_base_url,
        s.einvoice_supplier_tax_code,
        s.einvoice_template_code,
        s.einvoice_series,
        s.einvoice_username,
    )
    if not (base_url and tax_code and template and series and username):
        raise config.ConfigError("EINVOICE_PROVIDER is set without all of its settings")
    from chalicelib.adapters.einvoice_viettel import ViettelSettings, ViettelSInvoice
    from chalicelib.config import einvoice_password

    return ViettelSInvoice(
        ViettelSettings(
            base_url=base_url,
            supplier_tax_code=tax_code,
            template_code=template,
            invoice_series=series,
            username=username,
            password=einvoice_password(),
        )
    )


def einvoices_on() -> bool:
    """Whether charged invoices go to the provider: what deps.einvoices() would answer (its override in
    tests), told from the settings alone, so the API and the readings worker never read its password."""
    if "einvoices" in _overrides:
        return _overrides["einvoices"] is not None
    return get_settings().einvoice_provider is not None


@_provider
def einvoice_issuer() -> EInvoiceService | None:
    """The e-invoice worker's service; None while e-invoices are off."""
    provider = einvoices()
    if provider is None:
        return None
    from chalicelib.domain.einvoice import Party
    from chalicelib.services.einvoices import EInvoiceService
    from chalicelib.store.einvoices import EInvoiceStore

    s = get_settings()
    # The supplier is the seller; its tax code is the one the provider account is registered for.
    tax_code = s.einvoice_supplier_tax_code or s.seller_tax_code
    return EInvoiceService(
        provider=provider,
        records=EInvoiceStore(),
        seller=Party(name=s.seller_name, address=s.seller_address, tax_code=tax_code),
        documents=documents(),
        corrections=s.einvoice_corrections,
    )


@_provider
def einvoice_sweep() -> EInvoiceSweep:
    """The scheduled sweep re-queuing charged invoices whose e-invoice is still due (never the provider's password)."""
    from chalicelib.services.einvoice_sweep import EInvoiceSweep
    from chalicelib.store.einvoice_due import EInvoiceDueStore

    return EInvoiceSweep(due=EInvoiceDueStore(), publisher=publisher(), clock=clock(), einvoices_on=einvoices_on)


@_provider
def payments() -> PaymentService:
    from chalicelib.config import vnpay_hash_secret
    from chalicelib.domain.vnpay_qr import merchant_payload
    from chalicelib.services.payments import PaymentService
    from chalicelib.store import audit
    from chalicelib.store.payments import OrderStore

    return PaymentService(
        settings=get_settings(),
        orders=OrderStore(),
        clock=clock(),
        hash_secret=vnpay_hash_secret,
        qr_payload=merchant_payload,
        vnpay_client=vnpay_client(),
        audit=audit.record,
        ledger=ledger(),
    )


@_provider
def ledger() -> LedgerService:
    from chalicelib.services.ledger import LedgerService
    from chalicelib.store.ledger import LedgerStore

    return LedgerService(store=LedgerStore(), clock=clock())


@_provider
def accounts() -> AccountService:
    from chalicelib.services.accounts import AccountService
    from chalicelib.store.customers import CustomerStore
    from chalicelib.store.ledger import LedgerStore

    return AccountService(store=LedgerStore(), customers=CustomerStore(), clock=clock())


@_provider
def refunds() -> RefundService:
    from chalicelib.config import vnpay_hash_secret
    from chalicelib.services.refunds import RefundService
    from chalicelib.store import audit
    from chalicelib.store.ledger import LedgerStore
    from chalicelib.store.refunds import RefundStore

    return RefundService(
        settings=get_settings(),
        store=RefundStore(),
        ledger=LedgerStore(),
        clock=clock(),
        vnpay_client=vnpay_client(),
        hash_secret=vnpay_hash_secret,
        audit_entry=audit.entry,
    )


@_provider
def ledger_invariant() -> LedgerInvariant:
    from chalicelib.services.ledger_jobs import LedgerInvariant
    from chalicelib.store.ledger import LedgerStore
    from chalicelib.store.ledger_jobs import AccountWalk

    return LedgerInvariant(ledger=LedgerStore(), walk=AccountWalk())


@_provider
def ledger_migration() -> LedgerMigration:
    from chalicelib.services.ledger_jobs import LedgerMigration
    from chalicelib.store.ledger import LedgerStore
    from chalicelib.store.ledger_jobs import AccountWalk, MigrationStore

    return LedgerMigration(ledger=LedgerStore(), store=MigrationStore(), walk=AccountWalk(), clock=clock())


@_provider
def vnpay_client() -> VnpayClient:
    from chalicelib.adapters.vnpay_client import VnpayClient
    from chalicelib.config import vnpay_hash_secret

    return VnpayClient(get_settings(), vnpay_hash_secret, clock())


@_provider
def readings() -> ReadingService:
    from chalicelib.services.readings import ReadingService
    from chalicelib.store import audit
    from chalicelib.store.customers import CustomerStore
    from chalicelib.store.invoices import InvoiceStore
    from chalicelib.store.readings import ReadingStore, RouteStopStore

    return ReadingService(
        settings=get_settings(),
        readings=ReadingStore(),
        customers=CustomerStore(),
        invoices=InvoiceStore(),
        billing=billing(),
        publisher=publisher(),
        clock=clock(),
        stops=RouteStopStore(),
        photos=photos(),
        audit=audit.record,
    )


@_provider
def self_readings() -> SelfReadingService:
    """The customer's own meter reading and its invitations (issue 18)."""
    from chalicelib.services.self_readings import SelfReadingService
    from chalicelib.store.readings import ReadingStore, RouteStopStore
    from chalicelib.store.reminders import ReminderStore

    return SelfReadingService(
        settings=get_settings(),
        readings=ReadingStore(),
        stops=RouteStopStore(),
        photos=photos(),
        publisher=publisher(),
        clock=clock(),
        notices=ReminderStore(),
        queue=reminder_queue(),
        notifier=notifier(),
    )


@_provider
def staff() -> StaffService:
    from chalicelib.services.staff import StaffService
    from chalicelib.store import audit
    from chalicelib.store.staff import StaffStore

    return StaffService(settings=get_settings(), store=StaffStore(), auth=auth(), clock=clock(), audit=audit.record)


@_provider
def collections() -> CollectionService:
    from chalicelib.services.collections import CollectionService
    from chalicelib.store import audit
    from chalicelib.store.collections import CollectionStore

    return CollectionService(
        settings=get_settings(),
        store=CollectionStore(),
        clock=clock(),
        audit_entry=audit.entry,
        ledger=ledger(),
    )


@_provider
def channels() -> ChannelService:
    from chalicelib.services.channels import ChannelService
    from chalicelib.store import audit
    from chalicelib.store.channels import ChannelRequestStore
    from chalicelib.store.customers import CustomerStore

    return ChannelService(store=ChannelRequestStore(), customers=CustomerStore(), clock=clock(), audit=audit.record)


@_provider
def imports() -> ImportService:
    from chalicelib.adapters.objects import S3Objects
    from chalicelib.services.imports import ImportService
    from chalicelib.store.imports import ImportStore

    return ImportService(
        store=ImportStore(),
        objects=S3Objects(get_settings().imports_bucket),
        publisher=publisher(),
        clock=clock(),
    )


@_provider
def statements() -> StatementService:
    from chalicelib.services.statements import StatementService
    from chalicelib.store import audit
    from chalicelib.store.payments import OrderStore
    from chalicelib.store.statements import StatementStore

    return StatementService(
        store=StatementStore(),
        ledger=ledger(),
        clock=clock(),
        audit_entry=audit.entry,
        audit=audit.record,
        orders=OrderStore(),
    )


@_provider
def bank_transfers() -> BankTransferService:
    """SePay and Casso notifications (each on when its key is configured) into the statement lines."""
    from chalicelib.adapters.bank_notifications import CassoNotifications, SepayNotifications
    from chalicelib.config import casso_checksum_key, sepay_api_key
    from chalicelib.ports.banks import BankNotificationSource
    from chalicelib.services.bank_transfers import BankTransferService
    from chalicelib.store.bank_notifications import BankNotificationStore

    s = get_settings()
    sources: dict[str, BankNotificationSource] = {}
    if s.sepay_api_key or s.sepay_api_key_param:
        sources["sepay"] = SepayNotifications(sepay_api_key)
    if s.casso_checksum_key or s.casso_checksum_key_param:
        sources["casso"] = CassoNotifications(casso_checksum_key, clock(), s.casso_signature_tolerance)
    return BankTransferService(
        settings=s,
        sources=sources,
        notifications=BankNotificationStore(),
        statements=statements(),
        clock=clock(),
    )


@_provider
def statement_imports() -> StatementImportService:
    from chalicelib.adapters.objects import S3Objects
    from chalicelib.services.statement_imports import StatementImportService
    from chalicelib.store.imports import ImportStore

    return StatementImportService(
        store=ImportStore(),
        objects=S3Objects(get_settings().imports_bucket),
        publisher=publisher(),
        clock=clock(),
        statements=statements(),
    )


@_provider
def debits() -> DebitService:
    from chalicelib.adapters.objects import S3Objects
    from chalicelib.services.debits import DebitService
    from chalicelib.store import audit
    from chalicelib.store.debits import DebitStore
    from chalicelib.store.reminders import ReminderStore

    return DebitService(
        settings=get_settings(),
        store=DebitStore(),
        ledger=ledger(),
        objects=S3Objects(get_settings().imports_bucket),
        notices=ReminderStore(),
        queue=reminder_queue(),
        notifier=notifier(),
        clock=clock(),
        audit=audit.record,
    )


@_provider
def kpis() -> KpiService:
    from chalicelib.services.kpis import KpiService
    from chalicelib.store.audit import AuditStore
    from chalicelib.store.kpis import KpiStore

    return KpiService(store=KpiStore(), audit=AuditStore(), tickets=tickets())  # tickets: issue 18


@_provider
def reminders() -> ReminderService:
    from chalicelib.services.reminders import ReminderService
    from chalicelib.store.reminders import ReminderStore

    return ReminderService(
        settings=get_settings(),
        store=ReminderStore(),
        queue=reminder_queue(),
        notifier=notifier(),
        push=push_registrar(),
        clock=clock(),
    )


@_provider
def water_cuts() -> WaterCutService:
    """Water-cut notices (issue 18): told through the reminders' queue, worker and notifier."""
    from chalicelib.services.water_cuts import WaterCutService
    from chalicelib.store import audit
    from chalicelib.store.water_cuts import WaterCutStore

    return WaterCutService(
        settings=get_settings(),
        store=WaterCutStore(),
        queue=reminder_queue(),
        notifier=notifier(),
        clock=clock(),
        audit_entry=audit.entry,
    )


@_provider
def reminder_queue() -> SqsReminderQueue:
    from chalicelib.adapters.notifier import SqsReminderQueue

    return SqsReminderQueue()


@_provider
def notifier() -> ChannelNotifier:
    from chalicelib.adapters.notifier import ChannelNotifier

    return ChannelNotifier(sms=sms_gateway())


@_provider
def push_registrar() -> SnsPushRegistrar:
    from chalicelib.adapters.notifier import SnsPushRegistrar

    return SnsPushRegistrar()


@_provider
def privacy() -> PrivacyService:
    from chalicelib.services.privacy import PrivacyService
    from chalicelib.store.privacy import PrivacyStore

    return PrivacyService(store=PrivacyStore(), clock=clock())


@_provider
def chat() -> ChatService:
    from chalicelib.config import facebook_app_secret, zalo_oa_secret
    from chalicelib.services.chat import ChatService
    from chalicelib.store import audit
    from chalicelib.store.auth import AccountStore, CounterStore
    from chalicelib.store.chat import ChatStore
    from chalicelib.store.invoices import InvoiceStore

    return ChatService(
        settings=get_settings(),
        store=ChatStore(),
        accounts=AccountStore(),
        invoices=InvoiceStore(),
        counters=CounterStore(),
        publisher=publisher(),
        clock=clock(),
        key=jwt_signing_key,
        audit_entry=audit.entry,
        facebook_secret=facebook_app_secret,
        zalo_secret=zalo_oa_secret,
    )


@_provider
def chat_sender() -> HttpChatSender:
    from chalicelib.adapters.chat_platforms import HttpChatSender

    return HttpChatSender()


@_provider
def zalo_tokens() -> ZaloTokenRefresher | None:
    """The Zalo OA token refresher, or None while a setting it needs is missing (the job says which)."""
    s = get_settings()
    app_id, refresh_param, access_param = s.zalo_app_id, s.zalo_refresh_token_param, s.zalo_access_token_param
    # zalo_refresher_missing checks the three as well; testing them here tells the type checker they are set.
    if s.zalo_refresher_missing or not (app_id and refresh_param and access_param):
        return None
    from chalicelib.adapters.parameters import SsmParameters
    from chalicelib.adapters.zalo_oauth import refresh_oa_token
    from chalicelib.config import zalo_app_secret
    from chalicelib.services.zalo_tokens import ZaloTokenRefresher

    return ZaloTokenRefresher(
        params=SsmParameters(),
        refresh_param=refresh_param,
        access_param=access_param,
        oauth=lambda refresh_token: refresh_oa_token(s.zalo_oauth_url, app_id, zalo_app_secret(), refresh_token),
    )


@_provider
def partner_secrets() -> CachedSecrets:
    """Partners' HMAC secrets from SSM, kept a few minutes per container (adapters/partner_secrets.py)."""
    from chalicelib.adapters.partner_secrets import CachedSecrets

    return CachedSecrets()


@_provider
def partners() -> PartnerService:
    """Bill payment through partners: signed requests, look-up, payment, reversal (services/partners.py)."""
    from chalicelib.services.partners import PartnerService
    from chalicelib.store.partners import NonceStore, PartnerPaymentStore, PartnerStore

    return PartnerService(
        settings=get_settings(),
        partners=PartnerStore(),
        secrets=partner_secrets(),
        nonces=NonceStore(),
        payments=PartnerPaymentStore(),
        ledger=ledger(),
        clock=clock(),
    )


@_provider
def partners_admin() -> PartnerAdminService:
    from chalicelib.services.partners_admin import PartnerAdminService
    from chalicelib.store import audit
    from chalicelib.store.partners import PartnerStore

    return PartnerAdminService(settings=get_settings(), partners=PartnerStore(), clock=clock(), audit_entry=audit.entry)


@_provider
def partner_files() -> PartnerFileService:
    """The partners' daily files and their compare (services/partner_files.py)."""
    from chalicelib.adapters.objects import S3Objects
    from chalicelib.services.partner_files import PartnerFileService
    from chalicelib.store.partners import PartnerPaymentStore, PartnerStore
    from chalicelib.store.statements import StatementStore

    return PartnerFileService(
        partners=PartnerStore(),
        payments=PartnerPaymentStore(),
        lines=StatementStore(),
        objects=S3Objects(get_settings().imports_bucket),
        publisher=publisher(),
        clock=clock(),
    )


@_provider
def tickets() -> TicketService:
    """Service requests (issue 18): the customer's, worked by staff of its branch and the managers."""
    from chalicelib.adapters.ticket_types import ConfiguredTicketTypes
    from chalicelib.services.tickets import TicketService
    from chalicelib.store import audit
    from chalicelib.store.reminders import ReminderStore
    from chalicelib.store.tickets import TicketStore

    return TicketService(
        settings=get_settings(),
        store=TicketStore(),
        types=ConfiguredTicketTypes(get_settings().ticket_types),
        photos=photos(),
        clock=clock(),
        audit_entry=audit.entry,
        queue=reminder_queue(),
        notices=ReminderStore(),
        notifier=notifier(),
    )
