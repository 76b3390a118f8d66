"""Settings: the environment is read and validated here, once, and nowhere else.

Secrets are never in the environment of a deployed stage: there the environment
names an SSM SecureString parameter, fetched on first use (not at import, so
importing the app needs no credentials and no network).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

STAGES = ("local", "test", "dev", "prod")


class ConfigError(RuntimeError):
    """The environment is missing or has a malformed setting."""


def _int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_prefix: str
    dynamodb_endpoint: str | None
    aws_endpoint: str | None
    # Secrets: either the value (local/test) or the SSM parameter that holds it.
    jwt_secret: str | None = field(repr=False, default=None)
    jwt_secret_param: str | None = None
    jwt_issuer: str = "cskh"
    access_token_ttl: int = 900
    refresh_token_ttl: int = 30 * 24 * 3600
    otp_ttl: int = 300
    otp_max_attempts: int = 5
    otp_resend_after: int = 60
    login_max_failures: int = 5
    login_lock_seconds: int = 900
    lookup_per_ip_per_hour: int = 20
    otp_requests_per_code_per_hour: int = 5
    password_min_length: int = 8
    scrypt_n: int = 2**14
    invoice_page_max: int = 50
    sms_sender_id: str = "CAWACO"
    # The seller printed on every invoice, and the e-invoice series
    # (Thông tư 78/2021: template '1' = VAT invoice; symbol 'C<yy>TAA', the
    # year filled in at issue time).
    seller_name: str = "Công ty Cổ phần Cấp nước Cà Mau (CAWACO)"
    seller_tax_code: str = "0000000000"  # placeholder: a deployed stage sets SELLER_TAX_CODE
    seller_address: str = "TP Cà Mau, tỉnh Cà Mau"
    seller_hotline: str = "02903 836 360"  # seed 000
    invoice_template: str = "1"
    invoice_symbol: str = "C{yy}TAA"
    # VNPay (Payment Gateway v2.1.0). The hash secret is a secret: the
    # environment locally, SSM (VNPAY_HASH_SECRET_PARAM) in a deployed stage.
    vnpay_tmn_code: str = "CSKHDEMO"
    vnpay_hash_secret: str | None = field(repr=False, default=None)
    vnpay_hash_secret_param: str | None = None
    vnpay_pay_url: str = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
    vnpay_api_url: str = "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction"
    vnpay_return_url: str | None = None  # None: this API's own /v1/vnpay/return, from the request
    vnpay_ipn_allowed_ips: tuple = ()
    order_ttl_minutes: int = 15
    reconcile_grace_minutes: int = 5  # after expiry, before asking VNPay (the IPN usually came)
    server_ip: str = "127.0.0.1"  # vnp_IpAddr of the merchant API calls
    merchant_name: str = "CAWACO"
    merchant_city: str = "CA MAU"
    # Field staff: devices older than this app version must update before any call.
    min_staff_app_version: str = "1.0.0"
    # Payment reminders: days relative to the due date, quiet hours (Vietnam
    # time, [start, end) in minutes of the day), the daily run, the channels.
    reminder_offsets: tuple = (-3, 0, 7, 14)
    reminder_quiet_hours: tuple = ((660, 810), (1260, 420))  # 11:00-13:30, 21:00-07:00
    reminder_run_at: str = "08:00"
    payment_link_base: str = "https://cskh.example.vn/pay?invoice="
    reminder_email_from: str = "CAWACO <no-reply@cskh.example.vn>"
    zalo_zns_url: str = "https://business.openapi.zalo.me/message/template"
    zalo_template_id: str | None = None
    zalo_access_token: str | None = field(repr=False, default=None)
    zalo_access_token_param: str | None = None
    sns_push_app_arn_android: str | None = None
    sns_push_app_arn_ios: str | None = None
    # Authorised debit (docs/authorised_debit.md): the day of the month (Vietnam time) the job makes
    # last month's request file for every linked bank, 0 = only by hand; and the hour it looks.
    debit_run_day: int = 0
    debit_run_at: str = "07:00"
    # Issue 18, the customer's own reading and evidence against bill shock (docs/self_reading.md): how many
    # days before a route's first reading day a customer may send its meter index, and the reading rules'
    # limits (a cycle outside [min, max] days, a drop, a spike hold the bill for a manager's review).
    self_reading_days: int = 3
    reading_cycle_min_days: int = 25
    reading_cycle_max_days: int = 35
    reading_drop_percent: int = 30
    reading_spike_factor: int = 3
    reading_spike_min_m3: int = 10
    # Where uploaded files go (customer book); a globally unique S3 bucket name in AWS.
    imports_bucket: str = "cskh-local-imports"
    # The legal e-invoices' documents, fetched once from the provider and kept 10 years (docs/einvoice.md):
    # a bucket of their own, without the imports bucket's expiry; globally unique in AWS.
    documents_bucket: str = "cskh-local-documents"
    # Local stage only: where the notification worker also writes SMS so a
    # developer (and the end-to-end tests) can read one-time codes.
    local_sms_outbox: str | None = None
    # Chat assistants (docs/chat.md). A channel is on only when its webhook secret is configured;
    # secrets come from the environment locally and from SSM (the *_param names) in a deployed stage.
    facebook_app_secret: str | None = field(repr=False, default=None)
    facebook_app_secret_param: str | None = None
    facebook_verify_token: str | None = field(repr=False, default=None)
    facebook_page_token: str | None = field(repr=False, default=None)
    facebook_page_token_param: str | None = None
    facebook_graph_url: str = "https://graph.facebook.com/v25.0"
    zalo_app_id: str | None = None
    zalo_oa_secret: str | None = field(repr=False, default=None)
    zalo_oa_secret_param: str | None = None
    zalo_api_url: str = "https://openapi.zalo.me"
    chat_event_max_age: int = 3600  # seconds: older (replayed) message events are not answered
    # The Zalo OA token refresher (jobs/zalo_token.py, docs/chat.md): the Zalo app's secret key (OAuth; not
    # the OA secret key that signs webhooks) and the SSM parameter holding the single-use refresh token.
    zalo_app_secret: str | None = field(repr=False, default=None)
    zalo_app_secret_param: str | None = None
    zalo_refresh_token_param: str | None = None
    zalo_oauth_url: str = "https://oauth.zaloapp.com/v4/oa/access_token"
    # VietQR (docs/vietqr.md): the account bank transfers go to. Not secrets (printed on every bill):
    # plain environment. The local stage has demo values; a deployed stage without them offers none.
    vietqr_bank_bin: str | None = None
    vietqr_account_no: str | None = None
    vietqr_account_name: str | None = None
    # Bank-notification services (docs/bank_notifications.md): a service is on when its key is configured
    # (the environment locally, with documented demo keys; SSM, the *_param names, in a deployed stage).
    sepay_api_key: str | None = field(repr=False, default=None)
    sepay_api_key_param: str | None = None
    casso_checksum_key: str | None = field(repr=False, default=None)
    casso_checksum_key_param: str | None = None
    casso_signature_tolerance: int = 300  # seconds; Casso publishes none
    # Issue 18, service requests: the utility's kinds of request with their target times (TICKET_TYPES, a
    # JSON list, domain/tickets.parse_types); empty: domain/tickets.DEFAULT_TYPES.
    ticket_types: tuple = ()
    bank_sub_accounts: tuple = ()  # virtual / sub-accounts of the receiving account that count as it

    # Bill-pay partners (docs/partners.md): each partner's HMAC secret is an SSM SecureString whose name
    # starts with this prefix (the API is granted nothing else); the local stage's demo partner DEMOBANK
    # signs with PARTNER_DEMO_SECRET (a documented default there; never read in a deployed stage).
    partner_secret_prefix: str = "/cskh/local/partners/"
    partner_demo_secret: str | None = field(repr=False, default=None)
    # E-invoices through a licensed provider (issue 17, docs/einvoice.md): off until EINVOICE_PROVIDER
    # names one, and then all of it or nothing (a half-configured provider is a ConfigError, so
    # `make package` refuses it). The password: the environment locally, SSM in a deployed stage.
    einvoice_provider: str | None = None  # viettel
    einvoice_base_url: str | None = None
    einvoice_supplier_tax_code: str | None = None
    einvoice_template_code: str | None = None  # mẫu số, e.g. 1/001
    einvoice_series: str | None = None  # ký hiệu, e.g. C26TAA
    einvoice_username: str | None = None
    einvoice_password: str | None = field(repr=False, default=None)
    einvoice_password_param: str | None = None
    # The provider's look-up page for buyers (e.g. Viettel's), shown beside the look-up code; optional.
    einvoice_lookup_url: str | None = None
    # How a corrected bill's legal invoice is corrected (Decree 70/2025 allows either for a wrong amount):
    # an adjusting invoice of the differences, or a replacing invoice of the whole.
    einvoice_corrections: str = "adjustment"

    def table_name(self, short: str) -> str:
        return f"{self.table_prefix}{short}"

    def queue_name(self, short: str) -> str:
        return f"{self.table_prefix}{short}"

    @property
    def is_local(self) -> bool:
        return self.stage in ("local", "test")

    @property
    def vietqr_on(self) -> bool:
        return bool(self.vietqr_bank_bin and self.vietqr_account_no and self.vietqr_account_name)

    @property
    def zalo_refresher_missing(self) -> tuple[str, ...]:
        """What the Zalo token refresher still needs; empty: it is on. It rotates both tokens in SSM,
        so both must be SSM parameters (an access token in the environment would never change)."""
        need = {
            "ZALO_APP_ID": self.zalo_app_id,
            "ZALO_APP_SECRET[_PARAM]": self.zalo_app_secret or self.zalo_app_secret_param,
            "ZALO_REFRESH_TOKEN_PARAM": self.zalo_refresh_token_param,
            "ZALO_ACCESS_TOKEN_PARAM": self.zalo_access_token_param,
        }
        return tuple(name for name, value in need.items() if not value)


def load_settings(env: Mapping[str, str]) -> Settings:
    stage = env.get("STAGE", "local")
    if stage not in STAGES:
        raise ConfigError(f"STAGE must be one of {', '.join(STAGES)}, got {stage!r}")
    prefix = env.get("TABLE_PREFIX") or f"cskh-{stage}-"
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", prefix):
        raise ConfigError("TABLE_PREFIX may hold letters, digits, '_', '.', '-' only")
    jwt_secret = env.get("JWT_SECRET") or None
    jwt_param = env.get("JWT_SECRET_PARAM") or None
    if stage in ("dev", "prod"):
        if jwt_secret:
            raise ConfigError("JWT_SECRET must not be set in a deployed stage; use JWT_SECRET_PARAM (SSM)")
        if not jwt_param:
            raise ConfigError("JWT_SECRET_PARAM (an SSM SecureString name) is required in a deployed stage")
    if jwt_secret is not None and len(jwt_secret) < 32:
        raise ConfigError("JWT_SECRET must be at least 32 characters")
    vnpay_secret = env.get("VNPAY_HASH_SECRET") or None
    vnpay_param = env.get("VNPAY_HASH_SECRET_PARAM") or None
    if stage in ("dev", "prod") and (vnpay_secret or not vnpay_param):
        raise ConfigError(
            "a deployed stage reads the VNPay hash secret from SSM: set VNPAY_HASH_SECRET_PARAM, not VNPAY_HASH_SECRET"
        )
    outbox = env.get("LOCAL_SMS_OUTBOX") or None
    if outbox and stage not in ("local", "test"):
        raise ConfigError("LOCAL_SMS_OUTBOX is for the local stage only")
    return Settings(
        stage=stage,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "ap-southeast-1",
        table_prefix=prefix,
        dynamodb_endpoint=env.get("AWS_ENDPOINT_URL_DYNAMODB") or env.get("AWS_ENDPOINT_URL") or None,
        aws_endpoint=env.get("AWS_ENDPOINT_URL") or None,
        jwt_secret=jwt_secret,
        jwt_secret_param=jwt_param,
        access_token_ttl=_int(env, "ACCESS_TOKEN_TTL", 900, 60, 3600),
        refresh_token_ttl=_int(env, "REFRESH_TOKEN_TTL", 30 * 24 * 3600, 3600, 90 * 24 * 3600),
        otp_ttl=_int(env, "OTP_TTL", 300, 60, 900),
        otp_max_attempts=_int(env, "OTP_MAX_ATTEMPTS", 5, 1, 10),
        login_max_failures=_int(env, "LOGIN_MAX_FAILURES", 5, 3, 20),
        login_lock_seconds=_int(env, "LOGIN_LOCK_SECONDS", 900, 60, 86400),
        lookup_per_ip_per_hour=_int(env, "LOOKUP_PER_IP_PER_HOUR", 20, 1, 10000),
        otp_requests_per_code_per_hour=_int(env, "OTP_REQUESTS_PER_CODE_PER_HOUR", 5, 1, 100),
        # Tests lower the scrypt cost to keep the suite fast; never below 2**10.
        scrypt_n=1 << _int(env, "SCRYPT_LOG2_N", 14, 10, 20),
        sms_sender_id=env.get("SMS_SENDER_ID") or "CAWACO",
        local_sms_outbox=outbox,
        seller_name=env.get("SELLER_NAME") or Settings.seller_name,
        seller_tax_code=_tax_code(env.get("SELLER_TAX_CODE") or Settings.seller_tax_code),
        seller_address=env.get("SELLER_ADDRESS") or Settings.seller_address,
        seller_hotline=env.get("SELLER_HOTLINE") or Settings.seller_hotline,
        invoice_template=_invoice_template(env.get("INVOICE_TEMPLATE") or "1"),
        invoice_symbol=_invoice_symbol(env.get("INVOICE_SYMBOL") or "C{yy}TAA"),
        imports_bucket=_bucket(env.get("IMPORTS_BUCKET") or f"{prefix}imports".lower()),
        documents_bucket=_documents_bucket(env.get("DOCUMENTS_BUCKET") or f"{prefix}documents".lower()),
        vnpay_tmn_code=_tmn_code(env.get("VNPAY_TMN_CODE") or Settings.vnpay_tmn_code),
        vnpay_hash_secret=vnpay_secret,
        vnpay_hash_secret_param=vnpay_param,
        vnpay_pay_url=_https_or_local(env.get("VNPAY_PAY_URL") or Settings.vnpay_pay_url, "VNPAY_PAY_URL", stage),
        vnpay_api_url=_https_or_local(env.get("VNPAY_API_URL") or Settings.vnpay_api_url, "VNPAY_API_URL", stage),
        vnpay_return_url=_https_or_local(env["VNPAY_RETURN_URL"], "VNPAY_RETURN_URL", stage)
        if env.get("VNPAY_RETURN_URL")
        else None,
        vnpay_ipn_allowed_ips=tuple(
            ip.strip() for ip in (env.get("VNPAY_IPN_ALLOWED_IPS") or "").split(",") if ip.strip()
        ),
        order_ttl_minutes=_int(env, "ORDER_TTL_MINUTES", 15, 5, 60),
        reconcile_grace_minutes=_int(env, "RECONCILE_GRACE_MINUTES", 5, 0, 120),
        server_ip=env.get("SERVER_IP") or "127.0.0.1",
        merchant_name=(env.get("MERCHANT_NAME") or Settings.merchant_name)[:25],
        merchant_city=(env.get("MERCHANT_CITY") or Settings.merchant_city)[:15],
        min_staff_app_version=_app_version(env.get("MIN_STAFF_APP_VERSION") or Settings.min_staff_app_version),
        debit_run_day=_int(env, "DEBIT_RUN_DAY", 0, 0, 28),
        debit_run_at=_hhmm(env.get("DEBIT_RUN_AT") or Settings.debit_run_at),
        **_reminder_settings(env, stage),
        **_chat_settings(env, stage),
        **_partner_settings(env, stage),
        **_vietqr_settings(env, stage),
        **_bank_notification_settings(env, stage),
        **_einvoice_settings(env, stage),
        **_reading_settings(env),
        ticket_types=_ticket_types(env),
        einvoice_lookup_url=_lookup_url(env.get("EINVOICE_LOOKUP_URL") or "", stage),
    )


def _reminder_settings(env: Mapping[str, str], stage: str) -> dict:
    from chalicelib.domain import reminders

    try:
        offsets = reminders.parse_offsets(env.get("REMINDER_LEVELS") or "-3,0,7,14")
    except ValueError as exc:
        raise ConfigError(f"REMINDER_LEVELS: {exc}") from None
    try:
        quiet = reminders.parse_quiet(env.get("REMINDER_QUIET_HOURS", reminders.DEFAULT_QUIET))
    except ValueError as exc:
        raise ConfigError(f"REMINDER_QUIET_HOURS: {exc}") from None
    run_at = env.get("REMINDER_RUN_AT") or "08:00"
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", run_at):
        raise ConfigError("REMINDER_RUN_AT must be HH:MM (Vietnam time)")
    token, token_param = env.get("ZALO_ACCESS_TOKEN") or None, env.get("ZALO_ACCESS_TOKEN_PARAM") or None
    if token and stage in ("dev", "prod"):
        raise ConfigError("a deployed stage reads the Zalo access token from SSM: set ZALO_ACCESS_TOKEN_PARAM")
    sender = env.get("REMINDER_EMAIL_FROM") or Settings.reminder_email_from
    if not re.fullmatch(r"([^<>@]*<)?[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+>?", sender):
        raise ConfigError("REMINDER_EMAIL_FROM must be an e-mail address, optionally 'Name <address>'")
    arns = {}
    for platform in ("android", "ios"):
        arn = env.get(f"SNS_PUSH_APP_ARN_{platform.upper()}") or None
        if arn and not re.fullmatch(r"arn:aws:sns:[a-z0-9-]+:\d{12}:app/(GCM|APNS|APNS_SANDBOX)/[\w.-]+", arn):
            raise ConfigError(f"SNS_PUSH_APP_ARN_{platform.upper()} must be an SNS platform application ARN")
        arns[f"sns_push_app_arn_{platform}"] = arn
    return dict(
        reminder_offsets=offsets,
        reminder_quiet_hours=quiet,
        reminder_run_at=run_at,
        payment_link_base=_https_or_local(
            env.get("PAYMENT_LINK_BASE") or Settings.payment_link_base, "PAYMENT_LINK_BASE", stage
        ),
        reminder_email_from=sender,
        zalo_zns_url=_https_or_local(env.get("ZALO_ZNS_URL") or Settings.zalo_zns_url, "ZALO_ZNS_URL", stage),
        zalo_template_id=env.get("ZALO_TEMPLATE_ID") or None,
        zalo_access_token=token,
        zalo_access_token_param=token_param,
        **arns,
    )


def _chat_settings(env: Mapping[str, str], stage: str) -> dict:
    out = {}
    for name in ("FACEBOOK_APP_SECRET", "FACEBOOK_PAGE_TOKEN", "ZALO_OA_SECRET", "ZALO_APP_SECRET"):
        value, param = env.get(name) or None, env.get(f"{name}_PARAM") or None
        if value and stage in ("dev", "prod"):
            raise ConfigError(f"a deployed stage reads {name} from SSM: set {name}_PARAM")
        out[name.lower()], out[f"{name.lower()}_param"] = value, param
    app_id = env.get("ZALO_APP_ID") or None
    if app_id and not re.fullmatch(r"\d{1,25}", app_id):
        raise ConfigError("ZALO_APP_ID must be the Zalo app's numeric id")
    refresh_param = env.get("ZALO_REFRESH_TOKEN_PARAM") or None
    if env.get("ZALO_REFRESH_TOKEN"):
        # Single use: each refresh replaces it, so it can only live where the refresher writes it back.
        raise ConfigError(
            "ZALO_REFRESH_TOKEN is not read: the refresh token lives in SSM, name it with ZALO_REFRESH_TOKEN_PARAM"
        )
    if refresh_param and refresh_param == env.get("ZALO_ACCESS_TOKEN_PARAM"):
        raise ConfigError("ZALO_REFRESH_TOKEN_PARAM and ZALO_ACCESS_TOKEN_PARAM must name two parameters")
    if refresh_param and env.get("ZALO_ACCESS_TOKEN"):
        raise ConfigError(
            "ZALO_ACCESS_TOKEN would hide the token the refresher writes to SSM: with "
            "ZALO_REFRESH_TOKEN_PARAM, set ZALO_ACCESS_TOKEN_PARAM instead"
        )
    return dict(
        out,
        facebook_verify_token=env.get("FACEBOOK_VERIFY_TOKEN") or None,
        zalo_app_id=app_id,
        zalo_refresh_token_param=refresh_param,
        zalo_oauth_url=_https_or_local(env.get("ZALO_OAUTH_URL") or Settings.zalo_oauth_url, "ZALO_OAUTH_URL", stage),
        facebook_graph_url=_https_or_local(
            env.get("FACEBOOK_GRAPH_URL") or Settings.facebook_graph_url, "FACEBOOK_GRAPH_URL", stage
        ).rstrip("/"),
        zalo_api_url=_https_or_local(
            (env.get("ZALO_API_URL") or Settings.zalo_api_url).rstrip("/") + "/", "ZALO_API_URL", stage
        ).rstrip("/"),
        chat_event_max_age=_int(env, "CHAT_EVENT_MAX_AGE", 3600, 60, 86400),
    )


# The local stage's receiving account: Vietcombank's BIN, a made-up account number.
VIETQR_DEMO = {
    "VIETQR_BANK_BIN": "970436",
    "VIETQR_ACCOUNT_NO": "1012345678",
    "VIETQR_ACCOUNT_NAME": "CTY CP CAP NUOC CA MAU",
}


def _vietqr_settings(env: Mapping[str, str], stage: str) -> dict:
    """All three VIETQR_* or none (VietQR off); the local stage falls back to VIETQR_DEMO."""
    from chalicelib.domain import banks, vietqr
    from chalicelib.domain.identifiers import BANK_ACCOUNT_NO_RE

    given = {name: env.get(name) or None for name in VIETQR_DEMO}
    if not any(given.values()) and stage in ("local", "test"):
        given = dict(VIETQR_DEMO)
    if not any(given.values()):
        return {}
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise ConfigError(f"VietQR needs VIETQR_BANK_BIN, VIETQR_ACCOUNT_NO and VIETQR_ACCOUNT_NAME; missing {missing}")
    bin_, account, name = (str(given[n]) for n in VIETQR_DEMO)
    if not re.fullmatch(r"[0-9]{6}", bin_) or banks.by_bin(bin_) is None:
        raise ConfigError(f"VIETQR_BANK_BIN must be the 6-digit BIN of a bank of chalicelib/domain/banks.py: {bin_!r}")
    if not (BANK_ACCOUNT_NO_RE.fullmatch(account) and account.isascii()) or len(account) > vietqr.ACCOUNT_MAX:
        raise ConfigError(f"VIETQR_ACCOUNT_NO must be the account number, 6-{vietqr.ACCOUNT_MAX} digits")
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9 .,&()/-]{0,24}", name) or name != " ".join(name.split()):
        raise ConfigError(
            "VIETQR_ACCOUNT_NAME must be the account holder's name as the bank shows it: capital letters "
            "without diacritics, digits, spaces and .,&()/-, at most 25 (e.g. CTY CP CAP NUOC CA MAU)"
        )
    return dict(vietqr_bank_bin=bin_, vietqr_account_no=account, vietqr_account_name=name)


# The local and test stages' keys of the bank-notification services when none is set: documented, not
# secret (local/bank_fakes.py signs with the same ones). A deployed stage reads its keys from SSM.
DEMO_SEPAY_API_KEY = "sepay-local-demo-api-key"
DEMO_CASSO_CHECKSUM_KEY = "casso-local-demo-checksum-key"


def _bank_notification_settings(env: Mapping[str, str], stage: str) -> dict:
    out: dict = {}
    for name, demo in (("SEPAY_API_KEY", DEMO_SEPAY_API_KEY), ("CASSO_CHECKSUM_KEY", DEMO_CASSO_CHECKSUM_KEY)):
        value, param = env.get(name) or None, env.get(f"{name}_PARAM") or None
        if value and stage in ("dev", "prod"):
            raise ConfigError(f"a deployed stage reads {name} from SSM: set {name}_PARAM")
        if not value and not param and stage in ("local", "test"):
            value = demo
        out[name.lower()], out[f"{name.lower()}_param"] = value, param
    subs = tuple(a.strip() for a in (env.get("BANK_SUB_ACCOUNTS") or "").split(",") if a.strip())
    if any(not re.fullmatch(r"[0-9A-Za-z]{1,40}", a) for a in subs):
        raise ConfigError("BANK_SUB_ACCOUNTS must be account numbers separated by commas")
    return dict(
        out,
        casso_signature_tolerance=_int(env, "CASSO_SIGNATURE_TOLERANCE_SECONDS", 300, 30, 86400),
        bank_sub_accounts=subs,
    )


# The local stage's demo partner (DEMOBANK) signs with this when PARTNER_DEMO_SECRET is unset: it is in
# the docs, so it protects nothing, and a deployed stage never uses it.
PARTNER_DEMO_SECRET_DEFAULT = "demo-partner-secret-change-me"


def _partner_settings(env: Mapping[str, str], stage: str) -> dict:
    prefix = env.get("PARTNER_SECRET_PREFIX") or f"/cskh/{stage}/partners/"
    if not re.fullmatch(r"/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/", prefix):
        raise ConfigError("PARTNER_SECRET_PREFIX must be an SSM path ending in '/', e.g. /cskh/prod/partners/")
    demo = env.get("PARTNER_DEMO_SECRET") or None
    if stage in ("dev", "prod"):
        if demo:
            raise ConfigError("PARTNER_DEMO_SECRET is for the local stage only: a partner's secret lives in SSM")
    else:
        demo = demo or PARTNER_DEMO_SECRET_DEFAULT
        if len(demo) < 16:
            raise ConfigError("PARTNER_DEMO_SECRET must be at least 16 characters")
    return dict(partner_secret_prefix=prefix, partner_demo_secret=demo)


def _reading_settings(env: Mapping[str, str]) -> dict:
    low = _int(env, "READING_CYCLE_MIN_DAYS", 25, 1, 60)
    high = _int(env, "READING_CYCLE_MAX_DAYS", 35, 20, 120)
    if low >= high:
        raise ConfigError("READING_CYCLE_MIN_DAYS must be below READING_CYCLE_MAX_DAYS")
    return dict(
        self_reading_days=_int(env, "SELF_READING_DAYS", 3, 0, 10),
        reading_cycle_min_days=low,
        reading_cycle_max_days=high,
        reading_drop_percent=_int(env, "READING_DROP_PERCENT", 30, 1, 99),
        reading_spike_factor=_int(env, "READING_SPIKE_FACTOR", 3, 2, 20),
        reading_spike_min_m3=_int(env, "READING_SPIKE_MIN_M3", 10, 1, 1000),
    )


def _ticket_types(env: Mapping[str, str]) -> tuple:
    from chalicelib.domain import tickets

    raw = env.get("TICKET_TYPES") or ""
    if not raw.strip():
        return ()
    try:
        return tickets.parse_types(raw)
    except ValueError as exc:
        raise ConfigError(f"TICKET_TYPES: {exc}") from None


EINVOICE_PROVIDERS = ("viettel",)
# Every setting a provider needs, with its check (Circular 78/2021: a tax code of 10 digits, or 10 and a
# 3-digit branch suffix; a series of 6: C or K, the year's 2 digits, the kind of invoice and 2 letters).
_EINVOICE_REQUIRED = {
    "EINVOICE_BASE_URL": (r"https?://[^\s/]+(/[^\s]*)?", "an http(s) URL"),
    "EINVOICE_SUPPLIER_TAX_CODE": (r"[0-9]{10}(-[0-9]{3})?", "10 digits, or 10 and -NNN"),
    "EINVOICE_TEMPLATE_CODE": (r"[0-9A-Za-z/.-]{1,20}", "the template (mẫu số) as registered, e.g. 1/001"),
    "EINVOICE_SERIES": (r"[CK][0-9]{2}[A-Z]{3}", "the series (ký hiệu) as registered, e.g. C26TAA"),
    "EINVOICE_USERNAME": (r"[^\s]{1,100}", "the provider account's user name"),
}


def _einvoice_settings(env: Mapping[str, str], stage: str) -> dict:
    """All of a provider's settings, or none (e-invoices off: our PDF stays the payment notice)."""
    given = {name: (env.get(name) or "").strip() for name in _EINVOICE_REQUIRED}
    provider = (env.get("EINVOICE_PROVIDER") or "").strip().lower() or None
    password, param = env.get("EINVOICE_PASSWORD") or None, env.get("EINVOICE_PASSWORD_PARAM") or None
    if provider is None:
        stray = [name for name, value in given.items() if value] + [
            n for n, v in (("EINVOICE_PASSWORD", password), ("EINVOICE_PASSWORD_PARAM", param)) if v
        ]
        if stray:
            raise ConfigError(f"EINVOICE_PROVIDER is unset while {', '.join(stray)} is set: name the provider")
        return {}
    if provider not in EINVOICE_PROVIDERS:
        raise ConfigError(f"EINVOICE_PROVIDER must be one of {', '.join(EINVOICE_PROVIDERS)}, got {provider!r}")
    missing = [name for name, value in given.items() if not value]
    if stage in ("dev", "prod"):
        if password:
            raise ConfigError("a deployed stage reads the e-invoice password from SSM: set EINVOICE_PASSWORD_PARAM")
        if not param:
            missing.append("EINVOICE_PASSWORD_PARAM")
    elif not password and not param:
        missing.append("EINVOICE_PASSWORD")
    if missing:
        raise ConfigError(f"the e-invoice provider {provider} is half configured: {', '.join(missing)} unset")
    for name, (pattern, what) in _EINVOICE_REQUIRED.items():
        if not re.fullmatch(pattern, given[name]):
            raise ConfigError(f"{name} must be {what}, got {given[name]!r}")
    corrections = (env.get("EINVOICE_CORRECTIONS") or "adjustment").strip().lower()
    if corrections not in ("adjustment", "replacement"):
        raise ConfigError(f"EINVOICE_CORRECTIONS must be adjustment or replacement, got {corrections!r}")
    if stage == "prod" and not given["EINVOICE_BASE_URL"].startswith("https://"):
        raise ConfigError("EINVOICE_BASE_URL must be https in production")
    return dict(
        einvoice_provider=provider,
        einvoice_base_url=given["EINVOICE_BASE_URL"],
        einvoice_supplier_tax_code=given["EINVOICE_SUPPLIER_TAX_CODE"],
        einvoice_template_code=given["EINVOICE_TEMPLATE_CODE"],
        einvoice_series=given["EINVOICE_SERIES"],
        einvoice_username=given["EINVOICE_USERNAME"],
        einvoice_password=password,
        einvoice_password_param=param,
        einvoice_corrections=corrections,
    )


def _lookup_url(value: str, stage: str) -> str | None:
    """EINVOICE_LOOKUP_URL: an http(s) URL (https in production), or unset."""
    value = value.strip()
    if not value:
        return None
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value) or (stage == "prod" and not value.startswith("https://")):
        raise ConfigError("EINVOICE_LOOKUP_URL must be an http(s) URL (https in production)")
    return value


def _matching(pattern: str, complaint: str):
    """A validator: the value whole-matches `pattern`, or ConfigError(complaint)."""

    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise ConfigError(complaint)
        return value

    return check


_hhmm = _matching(r"([01]\d|2[0-3]):[0-5]\d", "DEBIT_RUN_AT must be HH:MM (Vietnam time)")
_app_version = _matching(r"\d{1,4}(\.\d{1,4}){0,3}", "MIN_STAFF_APP_VERSION must be a dotted version such as 1.4.2")
_bucket = _matching(
    r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "IMPORTS_BUCKET must be a valid S3 bucket name (3-63 of a-z, 0-9, '.', '-')"
)
_documents_bucket = _matching(
    r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "DOCUMENTS_BUCKET must be a valid S3 bucket name (3-63 of a-z, 0-9, '.', '-')"
)
_tmn_code = _matching(r"[A-Za-z0-9]{8}", "VNPAY_TMN_CODE must be 8 letters or digits")
_tax_code = _matching(r"\d{10}(-\d{3})?", "SELLER_TAX_CODE must be a 10-digit tax code (optionally -NNN)")


def _https_or_local(url: str, name: str, stage: str) -> str:
    local = re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?/", url)
    if not (url.startswith("https://") or (local and stage in ("local", "test"))):
        raise ConfigError(f"{name} must be an https URL (http://127.0.0.1 only in the local stage)")
    return url


def _invoice_template(value: str) -> str:
    if value not in "123456" or len(value) != 1:
        raise ConfigError("INVOICE_TEMPLATE must be one digit 1-6 (Thông tư 78/2021)")
    return value


def _invoice_symbol(value: str) -> str:
    # C/K (with/without tax-authority code), 2-digit year, type letter, 2 letters of the seller's.
    if not re.fullmatch(r"[CK](\{yy\}|\d{2})[TDLMNBGH][A-Z]{2}", value):
        raise ConfigError("INVOICE_SYMBOL must look like C{yy}TAA or C26TAA (Thông tư 78/2021)")
    return value


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings(os.environ)


# How a deployed stage reads a secret: the value of an SSM SecureString parameter, by name. Config knows
# no AWS (it sits below the adapters): the wiring, chalicelib.deps, which every entry point imports,
# installs adapters.aws.read_secure_string here.
_read_parameter: Callable[[str], str] | None = None


def read_parameters_with(reader: Callable[[str], str]) -> None:
    """Secrets named by a *_PARAM setting are read with `reader` (name -> value), on first use."""
    global _read_parameter
    _read_parameter = reader


def _secret(value: str | None, param: str | None, names: str, min_length: int) -> str:
    """A secret from the environment (local) or SSM SecureString (deployed)."""
    if value:
        return value
    if not param:
        raise ConfigError(f"no {names} configured")
    if _read_parameter is None:
        raise ConfigError(f"no parameter reader to read {param} with: importing chalicelib.deps installs SSM's")
    secret = _read_parameter(param)
    if len(secret) < min_length:
        raise ConfigError(f"the secret in {param} must be at least {min_length} characters")
    return secret


@functools.lru_cache(maxsize=1)
def jwt_signing_key() -> str:
    s = get_settings()
    return _secret(s.jwt_secret, s.jwt_secret_param, "JWT_SECRET or JWT_SECRET_PARAM", 32)


@functools.lru_cache(maxsize=1)
def einvoice_password() -> str:
    """The e-invoice provider account's password (environment locally, SSM in a deployed stage)."""
    s = get_settings()
    return _secret(s.einvoice_password, s.einvoice_password_param, "EINVOICE_PASSWORD[_PARAM]", 1)


@functools.lru_cache(maxsize=1)
def vnpay_hash_secret() -> str:
    s = get_settings()
    return _secret(s.vnpay_hash_secret, s.vnpay_hash_secret_param, "VNPAY_HASH_SECRET or VNPAY_HASH_SECRET_PARAM", 8)


def zalo_access_token() -> str | None:
    """The Zalo OA access token (environment locally, SSM in AWS); None when not configured.
    Not cached: Zalo's tokens expire (about a day), and whoever refreshes it updates SSM."""
    s = get_settings()
    if not (s.zalo_access_token or s.zalo_access_token_param):
        return None
    return _secret(s.zalo_access_token, s.zalo_access_token_param, "ZALO_ACCESS_TOKEN or ZALO_ACCESS_TOKEN_PARAM", 8)


@functools.lru_cache(maxsize=1)
def facebook_app_secret() -> str:
    s = get_settings()
    return _secret(s.facebook_app_secret, s.facebook_app_secret_param, "FACEBOOK_APP_SECRET[_PARAM]", 16)


@functools.lru_cache(maxsize=1)
def zalo_oa_secret() -> str:
    s = get_settings()
    return _secret(s.zalo_oa_secret, s.zalo_oa_secret_param, "ZALO_OA_SECRET[_PARAM]", 8)


def zalo_app_secret() -> str:
    """The Zalo app's secret key, for the OAuth refresh (header `secret_key`). Read at each run of the
    refresher (twice a day), so a secret changed in SSM is used from the next run."""
    s = get_settings()
    return _secret(s.zalo_app_secret, s.zalo_app_secret_param, "ZALO_APP_SECRET[_PARAM]", 8)


@functools.lru_cache(maxsize=1)
def sepay_api_key() -> str:
    s = get_settings()
    return _secret(s.sepay_api_key, s.sepay_api_key_param, "SEPAY_API_KEY[_PARAM]", 16)


@functools.lru_cache(maxsize=1)
def casso_checksum_key() -> str:
    s = get_settings()
    return _secret(s.casso_checksum_key, s.casso_checksum_key_param, "CASSO_CHECKSUM_KEY[_PARAM]", 16)


def facebook_page_token() -> str | None:
    """The Page access token the Send API needs; None when not configured. Not cached here (the adapter
    keeps it for minutes), so a token rotated in SSM is picked up."""
    s = get_settings()
    if not (s.facebook_page_token or s.facebook_page_token_param):
        return None
    return _secret(s.facebook_page_token, s.facebook_page_token_param, "FACEBOOK_PAGE_TOKEN[_PARAM]", 8)
