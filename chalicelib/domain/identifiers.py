"""The shapes of identifiers, defined once: the checks of the services and domain and the OpenAPI
document (chalicelib/api/openapi_common.py) use these same patterns.

Each shape is a pattern string, written as the document states it (anchored, and valid both as a
Python and an ECMA-262 regular expression), and the compiled regular expression (`*_RE`). A check
keeps its method: `X_RE.fullmatch(value)` takes the whole string; `X_RE.match(value)` lets `$` match
before one final newline, as Python's `$` does (the checks written so keep that behaviour)."""

from __future__ import annotations

import re

# A billing period, YYYY-MM (the groups: year, month).
PERIOD = r"^(\d{4})-(0[1-9]|1[0-2])$"
# A customer code (mã khách hàng): the customer's login too.
CUSTOMER_CODE = r"^\d{6,12}$"
# An invoice id: 'INV-<code>-<yyyymm>' for issued ones; imported history keeps its own.
INVOICE_ID = r"^[A-Za-z0-9_-]{1,64}$"
# A VNPay payment order (vnp_TxnRef).
ORDER_ID = r"^[A-Z0-9]{8,40}$"
# A VNPay payment the ledger holds: 'vnpay#<vnp_TransactionNo>'.
VNPAY_PAYMENT_ID = r"^vnpay#[0-9A-Za-z]{1,40}$"
# A refund of account credit.
REFUND_ID = r"^RF\d{6}[0-9A-F]{8}$"
# Ids a field device chooses, so that a retried or offline send is stored once.
READING_ID = r"^[A-Za-z0-9_.:-]{8,64}$"
COLLECTION_ID = r"^[A-Za-z0-9_.:-]{8,64}$"
# The login of a staff member or a manager.
USERNAME = r"^[a-z0-9][a-z0-9._-]{2,31}$"
# A field device and the version of the staff app on it.
DEVICE_IMEI = r"^[A-Za-z0-9._:-]{8,64}$"
APP_VERSION = r"^\d{1,4}(\.\d{1,4}){0,3}$"
# A reading route.
ROUTE_ID = r"^[A-Za-z0-9._-]{1,100}$"
# A customer-book import.
IMPORT_ID = r"^IMP[0-9A-F]{12}$"
# A bank statement line: '<bank code>#<the bank's reference>'.
LINE_ID = r"^[A-Z]{2,10}#[^\x00-\x1f]{1,64}$"
# Authorised debit: a bank's run of one billing period ('VCB-202605') and a customer's request in it
# ('VCB-202605-01031059'; its money is the ledger's payment 'debit#<request id>').
DEBIT_RUN_ID = r"^[A-Z]{2,5}-\d{4}(0[1-9]|1[0-2])$"
DEBIT_REQUEST_ID = r"^[A-Z]{2,5}-\d{4}(0[1-9]|1[0-2])-\d{6,12}$"
# A bill-pay partner (bank, wallet, collection agent): letters only, so '<partner>#<its transaction id>'
# is a statement line id (LINE_ID) when a reconciliation difference goes to the suspense list.
PARTNER_ID = r"^[A-Z]{3,10}$"
# A partner's own id of one payment (it names the payment once: 'partner#<partner>#<txn>').
PARTNER_TXN_ID = r"^[A-Za-z0-9_.-]{1,64}$"
# A chat identity linked to an account.
CHAT_LINK_ID = r"^[A-Za-z0-9_-]{8,64}$"
# The Idempotency-Key header of a payment order.
IDEMPOTENCY_KEY = r"^[A-Za-z0-9_.:-]{8,128}$"
# The audit trail: what changed ('<kind>#<id>') and who changed it ('<role>:<login>').
AUDIT_ENTITY = r"^[a-z_]{2,32}#[^\s]{1,200}$"
AUDIT_ACTOR = r"^(admin|staff|customer|system):[A-Za-z0-9._-]{1,64}$"
# A one-time code sent by SMS.
OTP = r"^\d{6}$"
# A Vietnamese phone number once normalised (spaces, dots and +84 taken off): 0 and 9 or 10 digits.
PHONE = r"^0\d{9,10}$"
# A customer's ledger number (số danh bộ), and a bank account number.
LEDGER_NO = r"^[A-Za-z0-9./-]{1,30}$"
BANK_ACCOUNT_NO = r"^\d{6,20}$"
# Reminders: an e-mail address, and a push token of the CSKH app.
EMAIL = r"^[^@\s<>]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
PUSH_TOKEN = r"^[A-Za-z0-9:_.\-]{16,4096}$"
# A tariff version, and the area it applies to.
TARIFF_ID = r"^[a-z0-9][a-z0-9-]{2,79}$"
TARIFF_AREA = r"^[a-z0-9][a-z0-9-]{1,39}$"
# A per-m³ charge of a tariff (drainage, forest environment service).
CHARGE_CODE = r"^[a-z_]{2,30}$"
# Water-cut notices (issue 18): a notice, and a ward as a key (its name without diacritics, lower case,
# words joined by "-": "Phường 7" is phuong-7; domain/water_cuts.ward_key).
WATER_CUT_ID = r"^WC\d{6}[0-9A-F]{8}$"
WARD_KEY = r"^[a-z0-9]+(-[a-z0-9]+)*$"

PERIOD_RE = re.compile(PERIOD)
CUSTOMER_CODE_RE = re.compile(CUSTOMER_CODE)
INVOICE_ID_RE = re.compile(INVOICE_ID)
ORDER_ID_RE = re.compile(ORDER_ID)
VNPAY_PAYMENT_ID_RE = re.compile(VNPAY_PAYMENT_ID)
REFUND_ID_RE = re.compile(REFUND_ID)
READING_ID_RE = re.compile(READING_ID)
COLLECTION_ID_RE = re.compile(COLLECTION_ID)
USERNAME_RE = re.compile(USERNAME)
DEVICE_IMEI_RE = re.compile(DEVICE_IMEI)
APP_VERSION_RE = re.compile(APP_VERSION)
ROUTE_ID_RE = re.compile(ROUTE_ID)
IMPORT_ID_RE = re.compile(IMPORT_ID)
LINE_ID_RE = re.compile(LINE_ID)
DEBIT_RUN_ID_RE = re.compile(DEBIT_RUN_ID)
DEBIT_REQUEST_ID_RE = re.compile(DEBIT_REQUEST_ID)
PARTNER_ID_RE = re.compile(PARTNER_ID)
PARTNER_TXN_ID_RE = re.compile(PARTNER_TXN_ID)
CHAT_LINK_ID_RE = re.compile(CHAT_LINK_ID)
IDEMPOTENCY_KEY_RE = re.compile(IDEMPOTENCY_KEY)
AUDIT_ENTITY_RE = re.compile(AUDIT_ENTITY)
AUDIT_ACTOR_RE = re.compile(AUDIT_ACTOR)
OTP_RE = re.compile(OTP)
PHONE_RE = re.compile(PHONE)
LEDGER_NO_RE = re.compile(LEDGER_NO)
BANK_ACCOUNT_NO_RE = re.compile(BANK_ACCOUNT_NO)
EMAIL_RE = re.compile(EMAIL)
PUSH_TOKEN_RE = re.compile(PUSH_TOKEN)
TARIFF_ID_RE = re.compile(TARIFF_ID)
TARIFF_AREA_RE = re.compile(TARIFF_AREA)
CHARGE_CODE_RE = re.compile(CHARGE_CODE)
WATER_CUT_ID_RE = re.compile(WATER_CUT_ID)
WARD_KEY_RE = re.compile(WARD_KEY)
# A service request (ticket, issue 18): 'TK' and 16 hex digits (from the caller's idempotency key, or random).
TICKET_ID = r"^TK[0-9A-F]{16}$"
TICKET_ID_RE = re.compile(TICKET_ID)
