"""Customer and manager accounts: look-up, registration with proof of
ownership, login with lockout, rotating refresh tokens, password reset and
linking further customer codes. No Chalice, no boto3: the stores and the SMS
sender are handed in (ports.customers). The bodies and answers are the shapes of
services/shapes_auth.py: each use case parses what it was given with them."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, cast

from chalicelib.config import Settings
from chalicelib.domain import otp as otp_rules
from chalicelib.domain import passwords, tokens
from chalicelib.domain.identifiers import CUSTOMER_CODE_RE, LEDGER_NO_RE, PHONE_RE, USERNAME_RE
from chalicelib.domain.masking import mask_address, mask_name, mask_phone
from chalicelib.domain.shapes import parse, to_json
from chalicelib.errors import (
    Conflict,
    Forbidden,
    InvalidCredentials,
    Locked,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationError,
)
from chalicelib.ports.common import Clock, ConditionFailed
from chalicelib.ports.customers import (
    AccountRecord,
    Accounts,
    Counters,
    CustomerRecord,
    Customers,
    OneTimeCodes,
    Sessions,
    Sms,
)
from chalicelib.services.shapes_auth import (
    Account,
    CodeLookup,
    CustomerCode,
    CustomerLogin,
    LinkCustomer,
    Linked,
    LinkedCustomer,
    LookupAnswer,
    MaskedCustomer,
    OtpSent,
    PasswordChanged,
    PaymentChannel,
    RefreshToken,
    Register,
    ResetPassword,
    Role,
    TokenPair,
    UserLogin,
    code_message,
)

LOGIN_FAILURES_PER_IP = 30  # per 15 minutes, across all codes: stops spraying one password over many codes
# (English, Vietnamese): what registration, the password reset and linking refuse with.
ALREADY_REGISTERED = (
    "this customer code already has an account; log in or reset the password",
    "Mã khách hàng đã có tài khoản. Vui lòng đăng nhập hoặc lấy lại mật khẩu.",
)
NOT_REGISTERED = ("this customer code has no account yet; register first", "Mã khách hàng này chưa đăng ký tài khoản.")
LINKED_ALREADY = (
    "this customer code is already linked to your account",
    "Mã khách hàng đã được liên kết với tài khoản của bạn.",
)


def customer_code(value: object, field: str = "customer_code") -> str:
    if not isinstance(value, str) or not CUSTOMER_CODE_RE.match(value):
        raise ValidationError(*code_message(field), field=field)
    return value


def linked_code(identity: tokens.Identity, value: object) -> str:
    """A customer code the caller's account holds: 400 if it is not a code, 403 CUSTOMER_NOT_LINKED if
    it is not one of theirs (every customer route over a code asks this first)."""
    code = customer_code(value)
    if not identity.owns(code):
        raise Forbidden(
            "this customer code is not linked to your account",
            "Mã khách hàng này chưa được liên kết với tài khoản của bạn.",
            code="CUSTOMER_NOT_LINKED",
        )
    return code


def normalize_phone(value: str) -> str:
    digits = re.sub(r"[\s.\-()]", "", value)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    if not PHONE_RE.match(digits):
        raise ValidationError("phone must be a Vietnamese phone number", "Số điện thoại không hợp lệ.", field="phone")
    return digits


def _otp_invalid(remaining: int | None = None) -> ValidationError:
    if remaining is None:
        return ValidationError(
            "the one-time code has expired or was used up; request a new one",
            "Mã xác thực đã hết hạn hoặc đã dùng hết số lần nhập. Vui lòng lấy mã mới.",
            field="otp",
            code="OTP_EXPIRED",
        )
    return ValidationError(
        f"wrong one-time code; {remaining} attempts left",
        f"Mã xác thực không đúng, còn {remaining} lần thử.",
        field="otp",
        code="OTP_INVALID",
    )


class AuthService:
    def __init__(
        self,
        *,
        settings: Settings,
        customers: Customers,
        accounts: Accounts,
        sessions: Sessions,
        otps: OneTimeCodes,
        counters: Counters,
        sms: Sms,
        clock: Clock,
        signing_key: Callable[[], str],
    ) -> None:
        self.s = settings
        self.customers = customers
        self.accounts = accounts
        self.sessions = sessions
        self.otps = otps
        self.counters = counters
        self.sms = sms
        self.clock = clock
        self._key = signing_key

    # -- rate limits -------------------------------------------------------

    def _limit(self, name: str, subject: str, limit: int, window: int) -> None:
        now = self.clock.now()
        bucket = now // window
        hits = self.counters.hit(f"{name}:{subject}:{bucket}", expires_at=(bucket + 1) * window + 60)
        if hits > limit:
            raise RateLimited(retry_after=(bucket + 1) * window - now)

    # -- look-up -----------------------------------------------------------

    def lookup(
        self, ip: str, *, phone: object = None, ledger_no: object = None, house_no: object = None
    ) -> dict[str, Any]:
        asked = parse(CodeLookup, {"ledger_no": ledger_no, "house_no": house_no, "phone": phone})
        ledger_no, house_no = asked.ledger_no, asked.house_no
        if asked.phone is not None:
            phone = normalize_phone(asked.phone)
            self._limit("lookup-ip", ip, self.s.lookup_per_ip_per_hour, 3600)
            found = self.customers.find_by_phone(phone)
        elif ledger_no is not None and house_no is not None:
            if not LEDGER_NO_RE.fullmatch(ledger_no):
                raise ValidationError("ledger_no is not valid", "Số danh bộ không hợp lệ.", field="ledger_no")
            if not 0 < len(house_no.strip()) <= 20:
                raise ValidationError("house_no is not valid", "Số nhà không hợp lệ.", field="house_no")
            self._limit("lookup-ip", ip, self.s.lookup_per_ip_per_hour, 3600)
            wanted = _norm_house(house_no)
            found = [
                c
                for c in self.customers.find_by_ledger(ledger_no.upper())
                if c.house_no and _norm_house(c.house_no) == wanted
            ]
        else:
            raise ValidationError(
                "give either phone, or ledger_no and house_no",
                "Vui lòng nhập số điện thoại, hoặc số danh bộ và số nhà.",
                field="phone",
            )
        masked = [
            MaskedCustomer(customer_code=c.code, name=mask_name(c.name), address=mask_address(c.address)) for c in found
        ]
        return _json(LookupAnswer(customers=masked))

    # -- one-time codes ----------------------------------------------------

    def _send_otp(self, ip: str, purpose: str, code: str, phone: str | None = None) -> dict[str, Any]:
        """A one-time code to the phone on file (`phone`, if the caller has read it already)."""
        if phone is None:
            phone = self._phone_on_file(code)
        self._limit("otp-ip", ip, 20, 3600)
        self._limit("otp-code", code, self.s.otp_requests_per_code_per_hour, 3600)
        now = self.clock.now()
        value = otp_rules.new_code()
        digest = otp_rules.code_hash(self._key(), purpose, code, value)
        stored = self.otps.put(
            f"{purpose}#{code}", digest, tokens.new_token_id(), now, self.s.otp_ttl, self.s.otp_resend_after
        )
        if not stored:
            raise RateLimited(
                retry_after=self.s.otp_resend_after,
                code="OTP_RECENTLY_SENT",
                message_en="a code was sent moments ago; wait before asking again",
                message_vi="Mã xác thực vừa được gửi. Vui lòng chờ trước khi yêu cầu lại.",
            )
        self.sms.send_sms(code, phone, otp_rules.sms_text(purpose, value, self.s.otp_ttl))
        sent = OtpSent(otp_sent_to=mask_phone(phone), expires_in=self.s.otp_ttl, resend_after=self.s.otp_resend_after)
        return _json(sent)

    def _check_otp(self, purpose: str, code: str, value: str) -> tuple[str, str]:
        """`value` is a well-formed code (the body's shape said so): is it the one sent?"""
        key = f"{purpose}#{code}"
        item = self.otps.take_attempt(key, self.clock.now(), self.s.otp_max_attempts)
        if item is None:
            raise _otp_invalid()
        if not otp_rules.matches(self._key(), purpose, code, value, item.code_hash):
            left = self.s.otp_max_attempts - int(item.attempts or 0)
            raise _otp_invalid(left) if left > 0 else _otp_invalid()
        return key, item.nonce

    def _phone_on_file(self, code: str) -> str:
        customer = self.customers.get(code)
        if customer is None:
            raise NotFound("no customer has this code", "Không tìm thấy mã khách hàng.", code="CUSTOMER_NOT_FOUND")
        if not customer.phone:
            raise Conflict(
                "no phone number is on file for this customer; call the hotline",
                "Chưa có số điện thoại đăng ký cho mã khách hàng này. Vui lòng liên hệ tổng đài.",
                code="NO_PHONE_ON_FILE",
            )
        return customer.phone

    # -- registration ------------------------------------------------------

    def start_registration(self, ip: str, code: object) -> dict[str, Any]:
        code = parse(CustomerCode, {"customer_code": code}).customer_code
        phone = self._phone_on_file(code)  # an unknown code is told before a registered one
        if self.accounts.holder_of(code) is not None:
            raise Conflict(*ALREADY_REGISTERED, code="ALREADY_REGISTERED")
        return self._send_otp(ip, "register", code, phone)

    def confirm_registration(self, code: object, otp_value: object, password: object) -> dict[str, Any]:
        body = parse(Register, {"customer_code": code, "password": password, "otp": otp_value})
        code = body.customer_code
        password = passwords.check_policy(body.password, login=code, min_length=self.s.password_min_length)
        otp_ref = self._check_otp("register", code, body.otp)
        now = self.clock.now()
        try:
            account = self.accounts.create(
                f"customer:{code}",
                role="customer",
                login=code,
                password_hash=passwords.hash_password(password, n=self.s.scrypt_n),
                customer_codes=[code],
                now=now,
                link_code=code,
                consume_otp=otp_ref,
            )
        except ConditionFailed:
            raise Conflict(*ALREADY_REGISTERED, code="ALREADY_REGISTERED") from None
        return self._issue(account)

    # -- login, tokens -----------------------------------------------------

    @functools.cached_property
    def _dummy_hash(self) -> str:
        return passwords.hash_password("not-a-real-password", n=self.s.scrypt_n)

    def login(self, ip: str, code: object, password: object) -> dict[str, Any]:
        body = parse(CustomerLogin, {"customer_code": code, "password": password})
        return self._password_login(ip, f"customer:{body.customer_code}", body.password)

    def admin_login(self, ip: str, username: object, password: object) -> dict[str, Any]:
        body = parse(UserLogin, {"username": username, "password": password})
        return self._password_login(ip, f"admin:{body.username}", body.password)

    def staff_login(
        self,
        ip: str,
        username: object,
        password: object,
        device_imei: str,
        app_version: str,
        *,
        bind_device: Callable[[AccountRecord, str, str], None] | None = None,
    ) -> dict[str, Any]:
        """Field staff: the same lockout and IP limits as every password login.
        Once the password is right, `bind_device` (the staff service) binds a
        first device or refuses another one; the tokens then carry the device."""
        body = parse(UserLogin, {"username": username, "password": password})
        account = self._authenticate(ip, f"staff:{body.username}", body.password)
        if bind_device is not None:
            bind_device(account, device_imei, app_version)
        return self._issue(account, device=device_imei)

    def _password_login(self, ip: str, account_id: str, password: str) -> dict[str, Any]:
        return self._issue(self._authenticate(ip, account_id, password))

    def _authenticate(self, ip: str, account_id: str, password: str) -> AccountRecord:
        """`password` is as a login's body gives it (shapes_auth.GIVEN_PASSWORD): is it the account's?"""
        now = self.clock.now()
        ip_key = f"login-fail-ip:{ip}:{now // 900}"
        if self.counters.peek(ip_key) >= LOGIN_FAILURES_PER_IP:
            raise RateLimited(retry_after=900 - now % 900)
        account = self.accounts.get(account_id)
        locked_until = int(account.locked_until or 0) if account is not None else 0
        if locked_until > now:
            raise Locked(headers={"Retry-After": str(locked_until - now)})
        # Hash even for an unknown login, so timing does not tell which codes have accounts.
        ok = passwords.verify_password(password, account.password_hash if account else self._dummy_hash)
        if not ok or account is None:
            self.counters.hit(ip_key, expires_at=now + 1000)
            if account is not None:
                self.accounts.record_failure(account_id, self.s.login_max_failures, now + self.s.login_lock_seconds)
            raise (
                InvalidCredentials()
                if account_id.startswith("customer:")
                else InvalidCredentials("wrong username or password", "Tên đăng nhập hoặc mật khẩu không đúng.")
            )
        if account.failed_logins:
            self.accounts.clear_failures(account_id)
        return account

    def _issue(self, account: AccountRecord, device: str | None = None) -> dict[str, Any]:
        now = self.clock.now()
        family, token_id = tokens.new_token_id(), tokens.new_token_id()
        self.sessions.create(
            family,
            account.account_id,
            token_id,
            now,
            now + self.s.refresh_token_ttl,
            account_epoch=int(account.session_epoch or 0),
        )
        return self._token_pair(account, family, token_id, now, device)

    def _access(self, account: AccountRecord, family: str, now: int, device: str | None = None) -> str:
        # A staff token carries the device the account is bound to (Identity.device, claim 'dev').
        if device is None:
            device = (account.device_imei or "") if account.role == "staff" else ""
        identity = tokens.Identity(
            account.account_id, account.role, tuple(account.customer_codes), family, device=device
        )
        return tokens.encode_access(self._key(), self.s.jwt_issuer, identity, now, self.s.access_token_ttl)

    def _token_pair(
        self, account: AccountRecord, family: str, token_id: str, now: int, device: str | None = None
    ) -> dict[str, Any]:
        pair = TokenPair(
            access_token=self._access(account, family, now, device),
            refresh_token=tokens.encode_refresh(
                self._key(), self.s.jwt_issuer, account.account_id, family, token_id, now, self.s.refresh_token_ttl
            ),
            token_type="Bearer",
            expires_in=self.s.access_token_ttl,
            role=cast(Role, account.role),  # the accounts this service creates have one of these roles
        )
        return _json(pair)

    def _refresh_claims(self, token: object) -> dict[str, Any]:
        token = parse(RefreshToken, {"refresh_token": token}).refresh_token
        try:
            return tokens.decode(self._key(), self.s.jwt_issuer, token, "refresh")
        except tokens.TokenError:
            raise Unauthorized(
                "the refresh token is not valid", "Phiên đăng nhập không hợp lệ.", code="INVALID_REFRESH_TOKEN"
            ) from None

    def refresh(self, token: object) -> dict[str, Any]:
        claims = self._refresh_claims(token)
        now = self.clock.now()
        new_id = tokens.new_token_id()
        session = self.sessions.rotate(claims["fam"], claims["jti"], new_id, now, now + self.s.refresh_token_ttl)
        if session is None:
            # A refresh token that is not the family's current one has been used
            # before, by someone: end the whole session (reuse detection).
            self.sessions.revoke(claims["fam"])
            raise Unauthorized(
                "this session has ended; log in again", "Phiên đăng nhập đã kết thúc.", code="SESSION_ENDED"
            )
        account = self.accounts.get(claims["sub"])
        if (
            account is None
            or session.account_id != account.account_id
            or (session.account_epoch or 0) != (account.session_epoch or 0)
        ):
            self.sessions.revoke(claims["fam"])
            raise Unauthorized(
                "this session has ended; log in again", "Phiên đăng nhập đã kết thúc.", code="SESSION_ENDED"
            )
        return self._token_pair(account, claims["fam"], new_id, now)

    def logout(self, token: object) -> None:
        claims = self._refresh_claims(token)
        self.sessions.revoke(claims["fam"])

    # -- password reset ----------------------------------------------------

    def forgot_password(self, ip: str, code: object) -> dict[str, Any]:
        code = parse(CustomerCode, {"customer_code": code}).customer_code
        if self.accounts.get(f"customer:{code}") is None:
            raise NotFound(*NOT_REGISTERED, code="NOT_REGISTERED")
        return self._send_otp(ip, "reset", code)

    def reset_password(self, code: object, otp_value: object, password: object) -> dict[str, Any]:
        body = parse(ResetPassword, {"customer_code": code, "new_password": password, "otp": otp_value})
        code = body.customer_code
        password = passwords.check_policy(body.new_password, login=code, min_length=self.s.password_min_length)
        otp_ref = self._check_otp("reset", code, body.otp)
        try:
            self.accounts.set_password(
                f"customer:{code}",
                passwords.hash_password(password, n=self.s.scrypt_n),
                self.clock.now(),
                consume_otp=otp_ref,
            )
        except ConditionFailed:
            raise _otp_invalid() from None
        return _json(PasswordChanged(password_changed=True))

    # -- the account and its customer codes --------------------------------

    def me(self, identity: tokens.Identity) -> dict[str, Any]:
        account = self.accounts.get(identity.account_id)
        if account is None:
            raise Unauthorized()
        customers = self.customers.get_many(account.customer_codes)
        shown = Account(
            account_id=account.account_id,
            role=cast(Role, account.role),
            login=account.login,
            customers=[_customer_view(customers[c]) for c in account.customer_codes if c in customers],
        )
        return _json(shown)

    def start_link(self, ip: str, identity: tokens.Identity, code: object) -> dict[str, Any]:
        code = parse(CustomerCode, {"customer_code": code}).customer_code
        if identity.owns(code):
            raise Conflict(*LINKED_ALREADY, code="ALREADY_LINKED")
        return self._send_otp(ip, "link", code)

    def confirm_link(self, identity: tokens.Identity, code: object, otp_value: object) -> dict[str, Any]:
        body = parse(LinkCustomer, {"customer_code": code, "otp": otp_value})
        code = body.customer_code
        otp_ref = self._check_otp("link", code, body.otp)
        try:
            self.accounts.link_customer(identity.account_id, code, self.clock.now(), otp_ref)
        except ConditionFailed:
            raise Conflict(
                "this customer code is already held by an account",
                "Mã khách hàng này đã thuộc một tài khoản khác.",
                code="ALREADY_LINKED",
            ) from None
        account = self.accounts.get(identity.account_id)
        if account is None:
            raise Unauthorized()
        # A fresh access token carries the new code; the refresh token stays valid.
        linked = Linked(
            customer_codes=list(account.customer_codes),
            access_token=self._access(account, identity.family_id, self.clock.now()),
            expires_in=self.s.access_token_ttl,
        )
        return _json(linked)

    # -- managers ----------------------------------------------------------

    def create_admin(self, username: str, password: str) -> None:
        if not USERNAME_RE.match(username or ""):
            raise ValidationError("username: 3-32 of a-z, 0-9, '.', '_', '-'", field="username")
        passwords.check_policy(password, login=username, min_length=max(12, self.s.password_min_length))
        try:
            self.accounts.create(
                f"admin:{username}",
                role="admin",
                login=username,
                password_hash=passwords.hash_password(password, n=self.s.scrypt_n),
                customer_codes=[],
                now=self.clock.now(),
            )
        except ConditionFailed:
            raise Conflict("an admin with this username exists", code="ALREADY_EXISTS") from None


def _norm_house(value: str) -> str:
    return re.sub(r"[^0-9a-z/]", "", value.lower())


def _customer_view(c: CustomerRecord) -> LinkedCustomer:
    return LinkedCustomer(
        customer_code=c.code,
        name=c.name,
        address=c.address,
        ledger_no=c.ledger_no,
        customer_class=c.customer_class,
        payment_channel=cast(PaymentChannel, c.payment_channel),  # the customer book holds only these
        phone=mask_phone(c.phone) if c.phone else None,
    )


def _json(shape: object) -> dict[str, Any]:
    """An answer's shape (services/shapes_auth.py) as the JSON object it is sent as."""
    out: dict[str, Any] = to_json(shape)
    return out
