"""PynamoDB models: the one definition of every table, key, index and TTL.

`infra/package.py` generates the deployed tables from these models, and
tests/unit/test_infra.py checks the packaged template against them. Table names
carry the stage prefix from the settings.
"""

from __future__ import annotations

import zlib
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.config import get_settings
from chalicelib.domain.water_cuts import ward_key as _ward_key

_settings = get_settings()


class _Meta:
    region = _settings.region
    host = _settings.dynamodb_endpoint
    billing_mode = "PAY_PER_REQUEST"


class UnicodeList(ListAttribute[str]):
    """A list of strings: stored as `ListAttribute(of=UnicodeAttribute)`, typed as the list of str it holds
    (PynamoDB types `of=` as a list of attributes, which the ports' records would not match)."""

    element_type = UnicodeAttribute


class NumberList(ListAttribute[float]):
    """A list of numbers: stored as `ListAttribute(of=NumberAttribute)`, typed as what it holds."""

    element_type = NumberAttribute


def _meta(short_name: str, ttl_attribute: str | None = None) -> Any:
    # A Meta class made at run time, typed Any: PynamoDB's MetaProtocol lists every setting, this one
    # sets the few we use and PynamoDB defaults the rest. ttl_attribute names an epoch-seconds
    # NumberAttribute that DynamoDB TTL expires on (PynamoDB's TTLAttribute wants datetimes, and our
    # conditions compare plain epoch seconds).
    return type("Meta", (_Meta,), {"table_name": _settings.table_name(short_name), "ttl_attribute": ttl_attribute})


# -- customers: the utility's customer book ---------------------------------


class CustomerByPhone(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_phone"
        projection = IncludeProjection(["name", "address"])

    phone = UnicodeAttribute(hash_key=True)


class CustomerByLedger(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_ledger"
        projection = IncludeProjection(["name", "address", "house_no"])

    ledger_no = UnicodeAttribute(hash_key=True)


BOOK_SHARDS = 16  # partitions of the by_shard index: the nightly jobs query them in parallel


def book_shard(code: str) -> str:
    """The by_shard partition of a customer code: stable, and spread evenly whatever the codes look like."""
    return f"{zlib.crc32(code.encode()) % BOOK_SHARDS:02d}"


class CustomersByShard(GlobalSecondaryIndex):
    """Every customer code, spread over BOOK_SHARDS partitions: the nightly ledger check and the
    migration walk the whole book with Queries, never a Scan."""

    class Meta:
        index_name = "by_shard"
        projection = KeysOnlyProjection()

    book_shard = UnicodeAttribute(hash_key=True)
    code = UnicodeAttribute(range_key=True)


class CustomersByWard(GlobalSecondaryIndex):
    """The customers of a ward (its key, domain/water_cuts.ward_key): a water-cut notice's ward reaches them
    with Queries. Sparse: only customers whose book row names a ward are in it."""

    class Meta:
        index_name = "by_ward"
        projection = KeysOnlyProjection()

    ward_key = UnicodeAttribute(hash_key=True)
    code = UnicodeAttribute(range_key=True)


class CustomerModel(Model):
    Meta = _meta("customers")

    code = UnicodeAttribute(hash_key=True)
    ledger_no = UnicodeAttribute()
    name = UnicodeAttribute()
    address = UnicodeAttribute()
    house_no = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    customer_class = UnicodeAttribute(default="household")
    branch = UnicodeAttribute(null=True)
    persons = NumberAttribute(default=1)
    # Issue 18: an approved household-size registration (a ticket) prices bills from `persons_from` (YYYY-MM)
    # on with `persons_next` residents (domain/tickets.billed_persons); the book's `persons` before that.
    persons_next = NumberAttribute(null=True)
    persons_from = UnicodeAttribute(null=True)
    payment_channel = UnicodeAttribute(default="cash")  # cash | bank_transfer | authorised_debit
    meter_serial = UnicodeAttribute(null=True)
    tariff_area = UnicodeAttribute(default="camau-city")  # with customer_class, picks the tariff
    meter_size = UnicodeAttribute(null=True)  # e.g. 'DN15'
    meter_digits = NumberAttribute(default=5)  # the index rolls over after 10**digits - 1
    meter_replaced_on = UnicodeAttribute(null=True)  # YYYY-MM-DD of the last meter change
    meter_start_index = NumberAttribute(null=True)  # the new meter's first index
    business_type = UnicodeAttribute(null=True)  # trade, for non-household classes
    last_index = NumberAttribute(null=True)  # the index of the last billed reading
    last_read_on = UnicodeAttribute(null=True)  # YYYY-MM-DD
    # Reminders: the channels the customer wants (sms, email, push, zalo), or none at all.
    email = UnicodeAttribute(null=True)
    push_endpoint = UnicodeAttribute(null=True)  # SNS platform endpoint ARN of the CSKH app
    zalo_user_id = UnicodeAttribute(null=True)
    notify_channels = UnicodeList(null=True)  # None: the utility's default (sms)
    reminders_opt_out = NumberAttribute(default=0)

    book_shard = UnicodeAttribute(null=True)  # set from the code on every write (serialize)
    ward = UnicodeAttribute(null=True)  # the ward (phường/xã) as the customer book names it
    ward_key = UnicodeAttribute(null=True)  # set from the ward on every write (serialize): the by_ward index

    by_phone = CustomerByPhone()
    by_ledger = CustomerByLedger()
    by_shard = CustomersByShard()
    by_ward = CustomersByWard()

    def serialize(self, null_check: bool = True) -> dict[str, dict[str, Any]]:
        # Every way a customer is written (save, batch write, transaction) serializes it: the shard
        # is derived here once, so no writer can forget it.
        self.book_shard = book_shard(self.code)
        self.ward_key = (_ward_key(self.ward) or None) if self.ward else None
        return super().serialize(null_check)


# -- accounts: logins of customers, staff and admins ------------------------


class AccountsByRole(GlobalSecondaryIndex):
    """Staff (and admins) by role: the managers' device list without a Scan."""

    class Meta:
        index_name = "by_role"
        projection = AllProjection()

    role = UnicodeAttribute(hash_key=True)


class AccountModel(Model):
    """account_id is '<role>:<login>', e.g. 'customer:01031059', 'admin:admin'."""

    Meta = _meta("accounts")

    account_id = UnicodeAttribute(hash_key=True)
    role = UnicodeAttribute()
    login = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    customer_codes = UnicodeList(default=list)
    created_at = NumberAttribute()
    password_changed_at = NumberAttribute()
    # Bumped by every password change; sessions from an older epoch are over.
    session_epoch = NumberAttribute(default=0)
    failed_logins = NumberAttribute(default=0)
    locked_until = NumberAttribute(default=0)
    # Staff only: the device the account is bound to, and what it last reported.
    device_imei = UnicodeAttribute(null=True)
    branch = UnicodeAttribute(null=True)
    full_name = UnicodeAttribute(null=True)
    app_version = UnicodeAttribute(null=True)
    last_seen_at = NumberAttribute(null=True)
    last_lat = NumberAttribute(null=True)
    last_lng = NumberAttribute(null=True)

    by_role = AccountsByRole()


class CustomerLinkModel(Model):
    """One item per customer code held by an account: makes a code linkable to one account only."""

    Meta = _meta("customer_links")

    customer_code = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    linked_at = NumberAttribute()


# -- sessions: refresh-token families ---------------------------------------


class SessionsByAccount(GlobalSecondaryIndex):
    """An account's sessions (what GET /v1/me/data lists); no token ids projected."""

    class Meta:
        index_name = "by_account"
        projection = IncludeProjection(["rotated_at", "expires_at", "revoked"])

    account_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class SessionModel(Model):
    Meta = _meta("sessions", ttl_attribute="expires_at")

    family_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    current_token_id = UnicodeAttribute()
    account_epoch = NumberAttribute(default=0)
    revoked = NumberAttribute(default=0)
    created_at = NumberAttribute()
    rotated_at = NumberAttribute()
    expires_at = NumberAttribute()

    by_account = SessionsByAccount()


# -- one-time codes and rate-limit counters ---------------------------------


class OneTimeCodeModel(Model):
    """Key '<purpose>#<subject>': one live code per purpose and customer code."""

    Meta = _meta("one_time_codes", ttl_attribute="expires_at")

    otp_key = UnicodeAttribute(hash_key=True)
    code_hash = UnicodeAttribute()
    nonce = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    sent_at = NumberAttribute()
    expires_at = NumberAttribute()


class CounterModel(Model):
    """Fixed-window counters for rate limits and lockouts; TTL removes old windows."""

    Meta = _meta("counters", ttl_attribute="expires_at")

    counter_key = UnicodeAttribute(hash_key=True)
    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute()


# -- invoices ---------------------------------------------------------------


class InvoiceLine(MapAttribute):
    kind = UnicodeAttribute()  # water | vat | env_fee | charge
    description = UnicodeAttribute()
    quantity = NumberAttribute(null=True)  # m³ for water tiers
    unit_price = NumberAttribute(null=True)  # VND per m³
    rate_percent = NumberAttribute(null=True)
    amount = NumberAttribute()  # whole VND


class InvoicesByCustomer(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_code = UnicodeAttribute(hash_key=True)
    period_key = UnicodeAttribute(range_key=True)


class InvoicesByCustomerStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_customer_status"
        projection = AllProjection()

    customer_status = UnicodeAttribute(hash_key=True)
    period_key = UnicodeAttribute(range_key=True)


class InvoicesByDueDate(GlobalSecondaryIndex):
    """Invoices falling due on a day: what the reminders job reads (never a Scan)."""

    class Meta:
        index_name = "by_due_date"
        projection = AllProjection()

    due_date = UnicodeAttribute(hash_key=True)
    invoice_id = UnicodeAttribute(range_key=True)


class InvoicesEInvoiceDue(GlobalSecondaryIndex):
    """Sparse: charged invoices whose e-invoice is not settled yet (issue 17), by when the sweep
    (services/einvoice_sweep.py) looks at them next. An invoice is in it from its charge (with a
    provider configured) until issued or rejected (store/einvoices.py removes the key): never a Scan."""

    class Meta:
        index_name = "by_einvoice_due"
        projection = AllProjection()

    einvoice_due = UnicodeAttribute(hash_key=True)
    einvoice_due_at = NumberAttribute(range_key=True)


class InvoiceModel(Model):
    Meta = _meta("invoices")

    invoice_id = UnicodeAttribute(hash_key=True)
    customer_code = UnicodeAttribute()
    period = UnicodeAttribute()  # YYYY-MM
    period_key = UnicodeAttribute()  # 'YYYY-MM#<invoice_id>': newest-first ordering
    customer_status = UnicodeAttribute()  # '<code>#<status>': the status filter is a key
    status = UnicodeAttribute()  # unpaid | paid | cancelled
    customer_name = UnicodeAttribute()
    old_index = NumberAttribute()
    new_index = NumberAttribute()
    consumption_m3 = NumberAttribute()
    lines = ListAttribute(of=InvoiceLine)
    subtotal = NumberAttribute()
    vat = NumberAttribute()
    env_fee = NumberAttribute()
    total = NumberAttribute()
    issued_on = UnicodeAttribute()  # YYYY-MM-DD
    due_date = UnicodeAttribute()  # YYYY-MM-DD
    source = UnicodeAttribute(default="billing")  # 'imported' for legacy history
    tariff_ref = UnicodeAttribute(null=True)
    paid_at = UnicodeAttribute(null=True)
    payments = ListAttribute(of=MapAttribute, default=list)
    # E-invoice identity (Thông tư 78/2021); imported history has no number.
    invoice_template = UnicodeAttribute(null=True)
    invoice_symbol = UnicodeAttribute(null=True)
    invoice_number = NumberAttribute(null=True)
    customer_address = UnicodeAttribute(null=True)
    ledger_no = UnicodeAttribute(null=True)
    period_start = UnicodeAttribute(null=True)  # reading dates: (start, end]
    period_end = UnicodeAttribute(null=True)
    proration = UnicodeList(default=list)
    issued_by = UnicodeAttribute(null=True)
    # A payment order holds the invoice while it is open, so two orders
    # cannot collect the same invoice at the same time.
    pending_order_id = UnicodeAttribute(null=True)
    pending_until = NumberAttribute(null=True)
    # Set by the field reading that issued it: 1 the worker may collect cash
    # on the spot, 0 not (the reading's reasons say why); None: not from the field.
    field_collect = NumberAttribute(null=True)
    reading_id = UnicodeAttribute(null=True)
    reading_evidence = NumberAttribute(null=True)  # 1: the reading had a photo or flags (ports/invoices.py)
    # The customer account's view of the invoice (domain/ledger.py): what its allocations add up to and
    # what was written off. None on items written before the ledger: paid means the total was paid.
    paid_amount = NumberAttribute(null=True)
    written_off = NumberAttribute(null=True)
    # The legal e-invoice from the provider (issue 17, services/einvoices.py); None while e-invoices are off
    # or the invoice was never queued. Status: pending | issued | rejected.
    einvoice_status = UnicodeAttribute(null=True)
    einvoice_number = UnicodeAttribute(null=True)
    einvoice_series = UnicodeAttribute(null=True)
    einvoice_template = UnicodeAttribute(null=True)
    einvoice_issued_at = UnicodeAttribute(null=True)  # ISO instant, as the provider dated it
    einvoice_lookup_code = UnicodeAttribute(null=True)  # Viettel's reservationCode
    einvoice_tax_code = UnicodeAttribute(null=True)  # the tax authority's code, if any
    einvoice_error = UnicodeAttribute(null=True)  # '<code>: <message>' of a rejection
    # What was sent (domain.einvoice.Basis, JSON), set before the first send so a resend says the same and a
    # later correction of the bill is stated against it; the corrections (adjusting or replacing invoices,
    # ports.einvoice_records.Correction, a JSON list); and the count of e-invoice writes, each made from the
    # state as read. A correction of the bill (store/invoices.py) never writes these einvoice_* fields.
    einvoice_basis = UnicodeAttribute(null=True)
    einvoice_corrections = UnicodeAttribute(null=True)
    einvoice_rev = NumberAttribute(null=True)
    # The e-invoice sweep's sparse index (by_einvoice_due): a fixed partition while the e-invoice is due,
    # and when the sweep looks at it next (epoch s); both removed once it is issued or rejected.
    einvoice_due = UnicodeAttribute(null=True)
    einvoice_due_at = NumberAttribute(null=True)
    # Where the provider's document (PDF) is kept in the documents bucket, once fetched (services/einvoices.py)
    einvoice_document_key = UnicodeAttribute(null=True)

    by_customer = InvoicesByCustomer()
    by_customer_status = InvoicesByCustomerStatus()
    by_due_date = InvoicesByDueDate()
    by_einvoice_due = InvoicesEInvoiceDue()


# -- payments ---------------------------------------------------------------


class OrdersByStatus(GlobalSecondaryIndex):
    """Pending orders by expiry: what the reconciliation job asks VNPay about."""

    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    expires_at = NumberAttribute(range_key=True)


class OrdersByAccount(GlobalSecondaryIndex):
    """An account's payment orders, newest first (GET /v1/me/data)."""

    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class OrderModel(Model):
    """A VNPay payment order: order_id is the vnp_TxnRef."""

    Meta = _meta("orders")

    order_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    invoice_ids = UnicodeList()
    items = ListAttribute(of=MapAttribute)  # {invoice_id, customer_code, period, amount}
    amount = NumberAttribute()  # whole VND
    fee = NumberAttribute(default=0)
    status = UnicodeAttribute()  # pending | paid | failed | expired | refunded | review
    created_at = NumberAttribute()
    expires_at = NumberAttribute()
    vnp_create_date = UnicodeAttribute()  # yyyyMMddHHmmss, GMT+7: querydr needs it
    order_info = UnicodeAttribute()
    bank_code = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(default="vn")
    client_ip = UnicodeAttribute()
    payment_url = UnicodeAttribute()
    qr_payload = UnicodeAttribute()
    transaction_no = UnicodeAttribute(null=True)
    bank_tran_no = UnicodeAttribute(null=True)
    pay_date = UnicodeAttribute(null=True)
    response_code = UnicodeAttribute(null=True)
    paid_at = NumberAttribute(null=True)
    applied_by = UnicodeAttribute(null=True)  # 'ipn' | 'reconciliation'
    credit_amount = NumberAttribute(default=0)
    paid_amount = NumberAttribute(null=True)  # what VNPay took for it (differs from amount: flagged)
    # Reconciliation: when querydr was last asked, how often its answer could not be acted on.
    checked_at = NumberAttribute(null=True)
    unclear_answers = NumberAttribute(null=True)
    review_reason = UnicodeAttribute(null=True)

    by_status = OrdersByStatus()
    by_account = OrdersByAccount()


class PaymentsByStatus(GlobalSecondaryIndex):
    """Credits to refund (and refunds that failed), oldest first: the managers' list and the daily report."""

    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    received_at = NumberAttribute(range_key=True)


class PaymentModel(Model):
    """Money received, one item per (channel, external reference): 'vnpay#<TransactionNo>',
    'cash#<collection_id>', 'bank#<BANK>#<bank reference>'. Written in the same transaction that posts
    the money to the customer accounts, with a does-not-exist condition, so a payment is posted once
    whatever the retries. Refunds are items too ('refund#<id>', kind 'refund'), and so are the
    credits of before the ledger ('credit#…', kind 'credit')."""

    Meta = _meta("payments")

    payment_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # payment | refund | credit (before the ledger)
    channel = UnicodeAttribute(null=True)  # vnpay | cash | bank_transfer | authorised_debit | ...
    order_id = UnicodeAttribute(null=True)
    amount = NumberAttribute()
    invoice_ids = UnicodeList(default=list)
    customer_codes = UnicodeList(default=list)
    transaction_no = UnicodeAttribute(null=True)
    external_ref = UnicodeAttribute(null=True)
    received_at = NumberAttribute()
    # payment: applied; refund: requested | sending | unconfirmed | refunded | failed | rejected;
    # before the ledger: refund_pending | refund_sent | refunded | refund_failed
    status = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    allocated = NumberAttribute(null=True)  # of `amount`, applied to invoices when posted
    credited = NumberAttribute(null=True)  # of `amount`, left on the accounts as credit
    refunded = NumberAttribute(null=True)  # refunds sent back through the same channel (VNPay)
    flags = UnicodeList(default=list)  # e.g. AMOUNT_MISMATCH, SECOND_PAYMENT
    posted_by = UnicodeAttribute(null=True)
    # refunds: the account, the payment they go back through, who asked and who approved
    customer_code = UnicodeAttribute(null=True)
    source_payment_id = UnicodeAttribute(null=True)
    method = UnicodeAttribute(null=True)  # vnpay | cash
    requested_by = UnicodeAttribute(null=True)
    approved_by = UnicodeAttribute(null=True)
    request_id = UnicodeAttribute(null=True)  # vnp_RequestId of the refund call: querydr finds it again
    sent_at = NumberAttribute(null=True)  # refunds: when approved (sent to VNPay, or paid out in cash)
    outcome = UnicodeAttribute(null=True)  # refunds: VNPay's answer, or what settled it, in a line

    by_status = PaymentsByStatus()


# -- the customer account: one ledger per customer code ----------------------


class LedgerEntryModel(Model):
    """One posting on one customer account, never changed or deleted: its lines are the entries
    (charge, adjustment, payment, allocation, refund, write_off; domain/ledger.py). entry_id is
    '<posted at, ms, 13 digits>#<event>#<reference>', so an account's Query returns it in order."""

    Meta = _meta("ledger")

    customer_code = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)
    event = UnicodeAttribute()  # payment | charge | correction | refund | refund_cancelled |
    #                                            write_off | credit_applied | migration
    posted_at = NumberAttribute()  # epoch seconds
    lines = ListAttribute(of=MapAttribute)  # {kind, amount, invoice_id?}
    credit_delta = NumberAttribute(default=0)  # how the account's credit moved
    payment_id = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    external_ref = UnicodeAttribute(null=True)
    posted_by = UnicodeAttribute()  # 'ipn', 'reconciliation', 'staff:<login>', 'admin:<login>', ...
    note = UnicodeAttribute(null=True)
    flags = UnicodeList(default=list)


class AccountsWithCredit(GlobalSecondaryIndex):
    """Accounts holding credit (sparse: only they carry `credit_flag`): the refunds report."""

    class Meta:
        index_name = "with_credit"
        projection = AllProjection()

    credit_flag = UnicodeAttribute(hash_key=True)
    customer_code = UnicodeAttribute(range_key=True)


class CustomerAccountModel(Model):
    """The account's running state: the credit it holds (money no invoice has taken yet). Moved only
    in the transaction that posts the ledger entry explaining it."""

    Meta = _meta("customer_accounts")

    customer_code = UnicodeAttribute(hash_key=True)
    credit = NumberAttribute(default=0)
    credit_flag = UnicodeAttribute(null=True)  # 'credit' while credit > 0
    updated_at = NumberAttribute(null=True)

    with_credit = AccountsWithCredit()


# -- field work: routes, readings, receipts ---------------------------------


class RoutesByStaff(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_staff"
        projection = AllProjection()

    staff = UnicodeAttribute(hash_key=True)  # login of the staff member
    period = UnicodeAttribute(range_key=True)


class RouteModel(Model):
    """Customers in visiting order, for one staff member, one billing period,
    on given days of the month."""

    Meta = _meta("routes")

    route_id = UnicodeAttribute(hash_key=True)
    staff = UnicodeAttribute()
    period = UnicodeAttribute()  # YYYY-MM
    branch = UnicodeAttribute(null=True)
    days = NumberList()  # days of the month it is walked
    customer_codes = UnicodeList()
    updated_at = NumberAttribute()
    updated_by = UnicodeAttribute()

    by_staff = RoutesByStaff()


class ReadingsByStaffPeriod(GlobalSecondaryIndex):
    """A staff member's readings of a billing period: the managers' reading rate."""

    class Meta:
        index_name = "by_staff_period"
        projection = AllProjection()

    staff_period = UnicodeAttribute(hash_key=True)  # '<staff>#<YYYY-MM>'
    reading_id = UnicodeAttribute(range_key=True)


class ReadingsHeld(GlobalSecondaryIndex):
    """Readings whose bill waits for a manager (issue 18): sparse, only while `review` is 'held'."""

    class Meta:
        index_name = "held"
        projection = AllProjection()

    review = UnicodeAttribute(hash_key=True)
    received_at = NumberAttribute(range_key=True)


class ReadingModel(Model):
    """A meter reading sent by a device; reading_id (the device's) makes it idempotent."""

    Meta = _meta("readings")

    reading_id = UnicodeAttribute(hash_key=True)
    staff = UnicodeAttribute()
    device_imei = UnicodeAttribute(null=True)
    customer_code = UnicodeAttribute()
    period = UnicodeAttribute()
    new_index = NumberAttribute()
    read_at = UnicodeAttribute()  # ISO instant from the device
    lat = NumberAttribute(null=True)
    lng = NumberAttribute(null=True)
    received_at = NumberAttribute()
    status = UnicodeAttribute()  # queued | billed | flagged | rejected
    reasons = ListAttribute(of=MapAttribute, default=list)  # {code, message_vi}
    old_index = NumberAttribute(null=True)
    consumption_m3 = NumberAttribute(null=True)
    invoice_id = UnicodeAttribute(null=True)
    collect_on_spot = NumberAttribute(default=0)
    processed_at = NumberAttribute(null=True)
    staff_period = UnicodeAttribute(null=True)
    staff_branch = UnicodeAttribute(null=True)  # the reader's branch when it was sent
    # Issue 18: a customer's own reading (source 'customer', staff 'customer:<code>', no staff_period), the
    # meter photo (the reading's evidence), and a manager's review of a held bill.
    source = UnicodeAttribute(null=True)  # customer | None (the field staff)
    account_id = UnicodeAttribute(null=True)  # the customer account that sent it
    photo_id = UnicodeAttribute(null=True)
    photo_key = UnicodeAttribute(null=True)  # set once the photo is checked (services/photos.py)
    photo_type = UnicodeAttribute(null=True)  # the image type its bytes are: the link serves it as that
    period_start = UnicodeAttribute(null=True)  # YYYY-MM-DD the held reading's cycle starts after
    review = UnicodeAttribute(null=True)  # 'held' while a manager has to decide (the sparse index)
    reviewed_by = UnicodeAttribute(null=True)
    reviewed_at = NumberAttribute(null=True)
    review_note = UnicodeAttribute(null=True)

    by_staff_period = ReadingsByStaffPeriod()
    held = ReadingsHeld()


class RouteStopsByReadingDay(GlobalSecondaryIndex):
    """The customers whose route is first walked on a day: the self-reading invitations' daily Query."""

    class Meta:
        index_name = "by_read_on"
        projection = KeysOnlyProjection()

    read_on = UnicodeAttribute(hash_key=True)  # YYYY-MM-DD
    customer_code = UnicodeAttribute(range_key=True)


class RouteStopModel(Model):
    """A customer on a route for one period (issue 18), written with the route (store/staff.py): when it is
    read (self-reading's window), the customer's own reading of the period, a manager's re-read request."""

    Meta = _meta("route_stops")

    customer_code = UnicodeAttribute(hash_key=True)
    period = UnicodeAttribute(range_key=True)  # YYYY-MM
    route_id = UnicodeAttribute()
    staff = UnicodeAttribute()
    read_on = UnicodeAttribute(null=True)  # the route's first reading day of the period
    self_reading_id = UnicodeAttribute(null=True)
    self_status = UnicodeAttribute(null=True)  # queued | billed | flagged | rejected
    self_index = NumberAttribute(null=True)
    reread_reading_id = UnicodeAttribute(null=True)  # a manager asked the staff to read it again
    reread_note = UnicodeAttribute(null=True)

    by_read_on = RouteStopsByReadingDay()


class ReceiptsByStaffDay(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_staff_day"
        projection = AllProjection()

    staff_day = UnicodeAttribute(hash_key=True)  # '<staff>#<YYYY-MM-DD>'
    receipt_no = UnicodeAttribute(range_key=True)


class ReceiptModel(Model):
    """Cash taken in the field: one item per collection_id (the device's);
    receipt numbers run per staff member."""

    Meta = _meta("receipts")

    collection_id = UnicodeAttribute(hash_key=True)
    staff = UnicodeAttribute()
    receipt_no = UnicodeAttribute()
    invoice_id = UnicodeAttribute()
    customer_code = UnicodeAttribute()
    amount = NumberAttribute()
    collected_at = UnicodeAttribute()
    day = UnicodeAttribute()  # YYYY-MM-DD, Vietnam time
    staff_day = UnicodeAttribute()  # '<staff>#<day>': the day's receipts in one Query
    lat = NumberAttribute(null=True)
    lng = NumberAttribute(null=True)
    # How the ledger posted it (payment 'cash#<collection_id>'): applied to the invoice, and kept on the
    # account as credit when the invoice was paid meanwhile. None before the ledger: all applied.
    allocated = NumberAttribute(null=True)
    credited = NumberAttribute(null=True)

    by_staff_day = ReceiptsByStaffDay()


class PrintModel(Model):
    """How many times a notice or receipt was printed for an invoice (reprints show)."""

    Meta = _meta("prints")

    invoice_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(range_key=True)  # notice | receipt
    count = NumberAttribute(default=0)  # type: ignore[assignment]  # shadows Model.count(), never called on prints
    last_printed_at = NumberAttribute(null=True)
    last_staff = UnicodeAttribute(null=True)


class HandoverModel(Model):
    """End of day: the cash a staff member handed over, as counted by an admin."""

    Meta = _meta("handovers")

    staff = UnicodeAttribute(hash_key=True)
    day = UnicodeAttribute(range_key=True)  # YYYY-MM-DD
    expected = NumberAttribute()  # sum of the day's receipts
    handed_over = NumberAttribute()
    received_by = UnicodeAttribute()
    received_at = NumberAttribute()
    note = UnicodeAttribute(null=True)


class ChannelRequestsByStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    requested_at = NumberAttribute(range_key=True)


class ChannelRequestsByCustomer(GlobalSecondaryIndex):
    """A customer code's payment-channel requests (GET /v1/me/data)."""

    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_code = UnicodeAttribute(hash_key=True)
    requested_at = NumberAttribute(range_key=True)


class ChannelRequestModel(Model):
    """A customer's request to pay by bank transfer or authorised debit at a
    linked bank; the utility confirms it, and from then on the field rules
    treat the customer as a non-cash payer."""

    Meta = _meta("channel_requests")

    request_id = UnicodeAttribute(hash_key=True)
    customer_code = UnicodeAttribute()
    account_id = UnicodeAttribute()
    channel = UnicodeAttribute()  # bank_transfer | authorised_debit
    bank_code = UnicodeAttribute()  # VCB | AGR | STB | ...
    account_holder = UnicodeAttribute()
    account_last4 = UnicodeAttribute()  # only the last digits are kept
    status = UnicodeAttribute()  # pending | confirmed | rejected
    requested_at = NumberAttribute()
    decided_at = NumberAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)

    by_status = ChannelRequestsByStatus()
    by_customer = ChannelRequestsByCustomer()


class StatementLinesByStatus(GlobalSecondaryIndex):
    """Unmatched bank lines (the suspense list) and the rest, oldest first."""

    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    imported_at = NumberAttribute(range_key=True)


class StatementLineModel(Model):
    """One credit line of a bank statement (CK, or the State Treasury's NT).
    line_id is '<bank>#<the bank's own transaction reference>', so importing
    the same file twice changes nothing."""

    Meta = _meta("statement_lines")

    line_id = UnicodeAttribute(hash_key=True)
    bank_code = UnicodeAttribute()
    bank_ref = UnicodeAttribute()
    booked_on = UnicodeAttribute()  # YYYY-MM-DD
    amount = NumberAttribute()  # whole VND
    description = UnicodeAttribute()
    import_id = UnicodeAttribute()
    imported_at = NumberAttribute()
    status = UnicodeAttribute()  # matched | suspense | resolved | ignored
    invoice_id = UnicodeAttribute(null=True)  # the first invoice it paid (all of them: invoice_ids)
    reason = UnicodeAttribute(null=True)  # why it is in suspense
    resolved_by = UnicodeAttribute(null=True)
    # Posted to a customer account (payment 'bank#<line_id>'): what went to invoices, what stayed as credit.
    customer_code = UnicodeAttribute(null=True)
    invoice_ids = UnicodeList(null=True)
    allocated = NumberAttribute(null=True)
    credited = NumberAttribute(null=True)

    by_status = StatementLinesByStatus()


class DebitRequestsByRun(GlobalSecondaryIndex):
    """A month's run for one bank ('VCB-202605'), by customer: its file and its counts."""

    class Meta:
        index_name = "by_run"
        projection = AllProjection()

    run_id = UnicodeAttribute(hash_key=True)
    customer_code = UnicodeAttribute(range_key=True)


class PendingDebitRequests(GlobalSecondaryIndex):
    """Requests the bank has not answered (sparse: only they carry `pending_flag`): a new run leaves their
    invoices out, so no invoice is asked of the bank twice."""

    class Meta:
        index_name = "pending"
        projection = IncludeProjection(["run_id", "customer_code", "invoice_ids"])

    pending_flag = UnicodeAttribute(hash_key=True)
    request_id = UnicodeAttribute(range_key=True)


class DebitRequestModel(Model):
    """One customer's authorised debit (nhờ thu) in a bank's monthly run: request_id is
    '<bank>-<yyyymm>-<customer code>', so running the month again writes nothing twice. Paid: posted
    through the ledger as payment 'debit#<request_id>' in the transaction that moves it; failed: the
    bank's reason, and a reminder to the customer."""

    Meta = _meta("debit_requests")

    request_id = UnicodeAttribute(hash_key=True)
    run_id = UnicodeAttribute()
    bank_code = UnicodeAttribute()
    period = UnicodeAttribute()  # YYYY-MM
    customer_code = UnicodeAttribute()
    mandate_ref = UnicodeAttribute()  # the confirmed channel request (CR...)
    account_holder = UnicodeAttribute()
    invoice_ids = UnicodeList()
    amount = NumberAttribute()  # whole VND asked: the invoices' open amount when the request was made
    status = UnicodeAttribute()  # pending | paid | failed
    pending_flag = UnicodeAttribute(null=True)  # 'pending' while status is pending (the sparse index)
    created_at = NumberAttribute()
    created_by = UnicodeAttribute()
    batch = UnicodeAttribute()  # the request file it was sent in: '<epoch s>-<4 hex>' (debits/<run_id>/<batch>.csv)
    # The bank's answer
    bank_ref = UnicodeAttribute(null=True)
    debited_amount = NumberAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    result_at = NumberAttribute(null=True)
    result_by = UnicodeAttribute(null=True)
    flags = UnicodeList(null=True)  # AMOUNT_MISMATCH, PAID_AFTER_FAILED
    allocated = NumberAttribute(null=True)  # of the money debited, applied to invoices
    credited = NumberAttribute(null=True)  # and left on the account as credit

    by_run = DebitRequestsByRun()
    pending = PendingDebitRequests()


class BankNotificationModel(Model):
    """A bank notification handled ('<service>#<its id>': 'sepay#92704', 'casso#1234'): a retry of it is
    answered at once. Written after its money is recorded (as statement line '<bank>#<bank reference>',
    posted once as payment 'bank#<line_id>'), so a retry after a crash finds the line and posts nothing."""

    Meta = _meta("bank_notifications", ttl_attribute="expires_at")

    notification_key = UnicodeAttribute(hash_key=True)
    line_id = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute()  # matched | suspense | duplicate
    received_at = NumberAttribute()
    expires_at = NumberAttribute()  # the services retry for minutes to hours; the line's guard stays


class ImportModel(Model):
    """A customer-book import: the uploaded file, where the worker got to, what failed."""

    Meta = _meta("imports")

    import_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # customers | bank_statement
    status = UnicodeAttribute()  # awaiting_upload | queued | running | done | failed
    object_key = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    next_offset = NumberAttribute(default=0)  # byte offset of the next unread row
    next_row = NumberAttribute(default=2)  # its row number (row 1 is the header)
    header = UnicodeList(default=list)
    rows_done = NumberAttribute(default=0)
    rows_ok = NumberAttribute(default=0)
    rows_failed = NumberAttribute(default=0)
    errors = ListAttribute(of=MapAttribute, default=list)  # the first 5,000: {row, code, message}
    error_key = UnicodeAttribute(null=True)
    # The offset whose chunk message has been sent: a chunk recorded but not handed on (the
    # worker died, or the send failed) is handed on when SQS delivers that chunk's message again.
    sent_offset = NumberAttribute(default=0)
    # A bank statement (kind bank_statement): its bank, then its outcome (counts, the first errors)
    # and its full result (JSON in the bucket).
    bank = UnicodeAttribute(null=True)
    summary = MapAttribute(null=True)  # type: ignore[var-annotated]
    result_key = UnicodeAttribute(null=True)


class ReminderModel(Model):
    """One item per invoice and dunning level sent: a level goes out once, whatever the retries."""

    Meta = _meta("reminders", ttl_attribute="expires_at")

    reminder_key = UnicodeAttribute(hash_key=True)  # '<invoice_id>#<level>'
    customer_code = UnicodeAttribute()
    level = UnicodeAttribute()
    status = UnicodeAttribute()  # claimed | queued | sent | deferred | skipped
    channels = UnicodeList(default=list)
    created_at = NumberAttribute()
    sent_at = NumberAttribute(null=True)
    expires_at = NumberAttribute()


# -- chat assistants (Zalo OA, Facebook Messenger) --------------------------


class ChatLinksByAccount(GlobalSecondaryIndex):
    """An account's linked chat identities: GET /v1/me/chat-links in one Query."""

    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    linked_at = NumberAttribute(range_key=True)


class ChatLinkModel(Model):
    """A chat identity linked to an account. Keyed by a keyed hash of platform + user id, so the
    table holds no chat id in clear; one identity, one account."""

    Meta = _meta("chat_links")

    identity_hash = UnicodeAttribute(hash_key=True)
    link_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    platform = UnicodeAttribute()  # facebook | zalo
    user_hint = UnicodeAttribute()  # '…1234': enough for the owner to tell two apart
    linked_at = NumberAttribute()

    by_account = ChatLinksByAccount()


class ChatLinkCodeModel(Model):
    """A one-time code that links a chat identity to the account that asked for it: stored as a keyed
    hash, single use (deleted when used), gone after its TTL."""

    Meta = _meta("chat_link_codes", ttl_attribute="expires_at")

    code_hash = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    created_at = NumberAttribute()
    expires_at = NumberAttribute()


class ChatEventModel(Model):
    """A platform message already handled ('<platform>#<message id>'): redeliveries are answered once."""

    Meta = _meta("chat_events", ttl_attribute="expires_at")

    event_key = UnicodeAttribute(hash_key=True)
    expires_at = NumberAttribute()


# -- bill payment through partners (banks, wallets, collection agents) ------


class PartnersListed(GlobalSecondaryIndex):
    """Every partner, by id: a handful of items, listed with one Query (no function may Scan)."""

    class Meta:
        index_name = "listed"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)  # always 'partner'
    partner_id = UnicodeAttribute(range_key=True)


class PartnerModel(Model):
    """A bill-pay partner ('DEMOBANK', docs/partners.md). Its HMAC secret is never here: `secret_param`
    names the SSM SecureString that holds it."""

    Meta = _meta("partners")

    partner_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(default="partner")
    name = UnicodeAttribute()
    secret_param = UnicodeAttribute()
    ip_allowlist = UnicodeList(default=list)  # CIDR blocks; empty: any address
    channels = UnicodeList(default=list)  # bank_app | wallet | counter | ...
    enabled = BooleanAttribute(default=True)
    version = NumberAttribute(default=1)  # every change is made from the version read
    created_at = NumberAttribute()
    created_by = UnicodeAttribute()
    updated_at = NumberAttribute()
    updated_by = UnicodeAttribute()

    listed = PartnersListed()


class PartnerNonceModel(Model):
    """A nonce a partner signed a request with ('<partner>#<nonce>'): a replay within its life is refused.
    TTL removes it; until then a condition on `expires_at` treats an expired one as gone."""

    Meta = _meta("partner_nonces", ttl_attribute="expires_at")

    nonce_key = UnicodeAttribute(hash_key=True)
    expires_at = NumberAttribute()


class PartnerPaymentsByDay(GlobalSecondaryIndex):
    """One partner's payments of one day ('<partner>#<yyyy-mm-dd>'): the daily file and its compare."""

    class Meta:
        index_name = "by_partner_day"
        projection = AllProjection()

    partner_day = UnicodeAttribute(hash_key=True)
    partner_txn_id = UnicodeAttribute(range_key=True)


class PartnerPaymentModel(Model):
    """A partner's payment ('partner#<partner>#<txn>', the ledger's payment id too), written in the
    transaction that posts it, with the answer the partner got: a repeat is answered the same. A reversal
    moves it to reversed (once) in the transaction that takes the money back."""

    Meta = _meta("partner_payments")

    payment_id = UnicodeAttribute(hash_key=True)
    partner_id = UnicodeAttribute()
    partner_txn_id = UnicodeAttribute()
    partner_day = UnicodeAttribute()  # set from partner_id and day on every write (serialize)
    customer_code = UnicodeAttribute()
    amount = NumberAttribute()
    invoice_ids = UnicodeList(default=list)  # as the partner named them
    paid_at = UnicodeAttribute()  # ISO instant the partner took the money
    day = UnicodeAttribute()  # YYYY-MM-DD of paid_at, Vietnam time
    channel = UnicodeAttribute(null=True)
    receipt_no = UnicodeAttribute()
    received_at = NumberAttribute()
    status = UnicodeAttribute()  # paid | reversed
    allocations = UnicodeAttribute()  # JSON [{invoice_id, amount}]: what the posting applied
    credited = NumberAttribute()  # and left on the account as credit
    answer = UnicodeAttribute()  # JSON
    reversal_answer = UnicodeAttribute(null=True)  # JSON
    reversed_at = NumberAttribute(null=True)

    by_partner_day = PartnerPaymentsByDay()

    def serialize(self, null_check: bool = True) -> dict[str, dict[str, Any]]:
        self.partner_day = f"{self.partner_id}#{self.day}"
        return super().serialize(null_check)


# -- water-cut notices (issue 18) --------------------------------------------


class WaterCutsOnBoard(GlobalSecondaryIndex):
    """The notices customers and the public see (current and upcoming, "water is back" for a while): sparse,
    `board` is 'live' only while a notice is shown, until `shown_until` (domain/water_cuts.shown_until)."""

    class Meta:
        index_name = "on_board"
        projection = AllProjection()

    board = UnicodeAttribute(hash_key=True)
    shown_until = NumberAttribute(range_key=True)


class WaterCutsListed(GlobalSecondaryIndex):
    """Every notice, newest first, for the managers' list (a few a week: one partition is plenty)."""

    class Meta:
        index_name = "listed"
        projection = AllProjection()

    listed = UnicodeAttribute(hash_key=True)  # always 'water_cut'
    created_at = NumberAttribute(range_key=True)


class WaterCutModel(Model):
    """A planned or emergency water cut, its area and its life (domain/water_cuts.py). Each change customers
    are told of is a new `revision`; every change is made from the `version` read, with its audit entry."""

    Meta = _meta("water_cuts")

    notice_id = UnicodeAttribute(hash_key=True)
    listed = UnicodeAttribute(default="water_cut")
    kind = UnicodeAttribute()  # planned | emergency
    status = UnicodeAttribute()  # draft | published | updated | cancelled | restored
    revision = NumberAttribute(default=0)  # 0 while a draft; +1 for each change that notifies
    version = NumberAttribute(default=1)
    reason = UnicodeAttribute()
    area_note = UnicodeAttribute(null=True)  # the streets, in words, for the public board
    starts_at = NumberAttribute()  # epoch seconds
    ends_at = NumberAttribute()
    wards = UnicodeList(default=list)  # as the manager wrote them
    ward_keys = UnicodeList(default=list)  # their keys (customers.by_ward)
    route_ids = UnicodeList(default=list)
    customer_codes = UnicodeList(default=list)
    created_at = NumberAttribute()
    created_by = UnicodeAttribute()
    updated_at = NumberAttribute()
    updated_by = UnicodeAttribute()
    published_at = NumberAttribute(null=True)
    restored_at = NumberAttribute(null=True)
    cancelled_at = NumberAttribute(null=True)
    queued_revision = NumberAttribute(null=True)  # the last revision whose fan-out is on the queue
    board = UnicodeAttribute(null=True)  # 'live' while shown (the on_board index)
    shown_until = NumberAttribute(null=True)

    on_board = WaterCutsOnBoard()
    by_created = WaterCutsListed()


class WaterCutDeliveryModel(Model):
    """One customer told of one revision of a notice ('<notice_id>#<revision>#<code>'): created by a
    conditional put, so a duplicate message or a second worker never tells them again; the channels it
    went out on are recorded one by one."""

    Meta = _meta("water_cut_deliveries", ttl_attribute="expires_at")

    delivery_key = UnicodeAttribute(hash_key=True)
    customer_code = UnicodeAttribute()
    status = UnicodeAttribute()  # sending | deferred | sent | skipped
    channels = UnicodeList(default=list)
    lease_until = NumberAttribute(default=0)  # a worker holds it until then (a crashed one lets go)
    created_at = NumberAttribute()
    sent_at = NumberAttribute(null=True)
    expires_at = NumberAttribute()


# -- tariffs, invoice series, audit -----------------------------------------


class TariffModel(Model):
    """One item per tariff version; versions are never changed, only added."""

    Meta = _meta("tariffs")

    tariff_key = UnicodeAttribute(hash_key=True)  # '<area>#<customer_class>'
    valid_from = UnicodeAttribute(range_key=True)  # YYYY-MM-DD
    tariff_id = UnicodeAttribute()
    version = UnicodeAttribute()  # the version's JSON form
    created_at = NumberAttribute()
    created_by = UnicodeAttribute()


class InvoiceSeriesModel(Model):
    """The last number issued in an e-invoice series ('1C26TAA'): gap-free numbering."""

    Meta = _meta("invoice_series")

    series = UnicodeAttribute(hash_key=True)
    last_number = NumberAttribute(default=0)


class AuditByActor(GlobalSecondaryIndex):
    """One manager's changes, newest first."""

    class Meta:
        index_name = "by_actor"
        projection = AllProjection()

    actor = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)


class AuditModel(Model):
    """Who changed what, when: one item per change, newest last within an entity."""

    Meta = _meta("audit")

    entity = UnicodeAttribute(hash_key=True)  # e.g. 'tariff#camau-city#household'
    at = UnicodeAttribute(range_key=True)  # ISO instant + '#' + a random suffix
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    before = UnicodeAttribute(null=True)  # JSON
    after = UnicodeAttribute(null=True)  # JSON

    by_actor = AuditByActor()


# -- service requests (tickets, issue 18) -------------------------------------


class TicketsByCustomer(GlobalSecondaryIndex):
    """A customer code's tickets, newest first (by the microsecond of writing: two made in one second keep
    their order)."""

    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_code = UnicodeAttribute(hash_key=True)
    created_order = NumberAttribute(range_key=True)


class TicketsByQueue(GlobalSecondaryIndex):
    """A branch's queue: '<branch>#open' by target time (overdue = a key range), '<branch>#closed' by when."""

    class Meta:
        index_name = "by_queue"
        projection = AllProjection()

    queue_key = UnicodeAttribute(hash_key=True)
    queue_at = NumberAttribute(range_key=True)


class TicketsByState(GlobalSecondaryIndex):
    """Every branch's open (or closed) tickets: the managers' queue and the overdue sweep."""

    class Meta:
        index_name = "by_state"
        projection = AllProjection()

    state = UnicodeAttribute(hash_key=True)  # open | closed
    queue_at = NumberAttribute(range_key=True)


class TicketsByPeriod(GlobalSecondaryIndex):
    """The tickets made in a month (Vietnam time): the managers' KPIs."""

    class Meta:
        index_name = "by_period"
        projection = IncludeProjection(["type", "status", "branch", "due_at", "closed_at", "rating"])

    period = UnicodeAttribute(hash_key=True)  # YYYY-MM
    created_at = NumberAttribute(range_key=True)


class TicketModel(Model):
    """A customer's service request: its kind, status (domain/tickets.py's machine), target time, worker."""

    Meta = _meta("tickets")

    ticket_id = UnicodeAttribute(hash_key=True)
    customer_code = UnicodeAttribute()
    account_id = UnicodeAttribute()
    branch = UnicodeAttribute()  # the customer's when it was made ('-': none)
    type = UnicodeAttribute()
    status = UnicodeAttribute()
    description = UnicodeAttribute()
    lat = NumberAttribute(null=True)
    lng = NumberAttribute(null=True)
    residents = NumberAttribute(null=True)
    invoice_id = UnicodeAttribute(null=True)
    photos = UnicodeList(default=list)  # "<S3 key>|<image type>", checked (services/photos.py)
    assignee = UnicodeAttribute(null=True)  # a staff user name of the branch
    reason = UnicodeAttribute(null=True)  # why it was resolved or rejected
    created_at = NumberAttribute()
    created_order = NumberAttribute()  # microseconds since the epoch when written: by_customer's order
    updated_at = NumberAttribute()
    due_at = NumberAttribute()
    closed_at = NumberAttribute(null=True)
    rating = NumberAttribute(null=True)
    rating_comment = UnicodeAttribute(null=True)
    rated_at = NumberAttribute(null=True)
    events = NumberAttribute(default=0)  # its events so far: the next one's seq, and the write's condition
    period = UnicodeAttribute()
    state = UnicodeAttribute()
    queue_key = UnicodeAttribute()
    queue_at = NumberAttribute()

    by_customer = TicketsByCustomer()
    by_queue = TicketsByQueue()
    by_state = TicketsByState()
    by_period = TicketsByPeriod()


class TicketEventModel(Model):
    """What happened to a ticket, in order: made, a message, assigned, a status change, rated."""

    Meta = _meta("ticket_events")

    ticket_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    kind = UnicodeAttribute()  # created | message | assigned | status | rated
    by_role = UnicodeAttribute()  # customer | staff | admin
    actor = UnicodeAttribute()  # the account id ('staff:ghithu01')
    at = NumberAttribute()
    text = UnicodeAttribute(null=True)
    status_from = UnicodeAttribute(null=True)
    status_to = UnicodeAttribute(null=True)
    assignee = UnicodeAttribute(null=True)
    photos = UnicodeList(default=list)


ALL_MODELS = (
    CustomerModel,
    AccountModel,
    CustomerLinkModel,
    SessionModel,
    OneTimeCodeModel,
    CounterModel,
    InvoiceModel,
    TariffModel,
    InvoiceSeriesModel,
    AuditModel,
    OrderModel,
    PaymentModel,
    LedgerEntryModel,
    CustomerAccountModel,
    RouteModel,
    ReadingModel,
    ReceiptModel,
    PrintModel,
    HandoverModel,
    ReminderModel,
    ChannelRequestModel,
    StatementLineModel,
    BankNotificationModel,
    DebitRequestModel,
    ImportModel,
    ChatLinkModel,
    ChatLinkCodeModel,
    ChatEventModel,
    PartnerModel,
    PartnerNonceModel,
    PartnerPaymentModel,
    RouteStopModel,
    TicketModel,
    TicketEventModel,
    WaterCutModel,
    WaterCutDeliveryModel,
)


def _share_one_connection(models) -> Connection:
    """PynamoDB gives each model its own Connection (and so its own botocore
    client and HTTP pool): a cold container would pay that once per table. One
    Connection serves them all, and the transactions too."""
    # On AWS, bounded calls (PynamoDB's defaults: 15 s to connect, 30 s to read): a stalled connection
    # is retried within the API's 20 s instead of outlasting it; a write whose answer is lost this way
    # is recognised when it is retried (conditional and idempotent writes, tests/api/test_faults.py).
    # DynamoDB Local (a JVM on a loaded laptop or CI) keeps the defaults: its pauses are not outages.
    local = bool(_settings.dynamodb_endpoint)
    shared = Connection(
        region=_settings.region,
        host=_settings.dynamodb_endpoint,
        max_retry_attempts=3,
        connect_timeout_seconds=None if local else 2,  # None: PynamoDB's default
        read_timeout_seconds=None if local else 5,
    )
    for model in models:
        table = model._get_connection()
        shared.add_meta_table(table.get_meta_table())
        table.connection = shared
    return shared


CONNECTION = _share_one_connection(ALL_MODELS)
