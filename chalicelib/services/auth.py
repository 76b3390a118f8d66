"""Customer and manager accounts: look-up, registration with proof of
ownership, login with lockout, rotating refresh tokens, password reset and
linking further customer codes. No Chalice, no boto3: the stores and the SMS
sender are handed in (ports.customers)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain import otp as otp_rules
from chalicelib.domain import passwords, tokens
from chalicelib.domain.identifiers import CUSTOMER_CODE_RE, LEDGER_NO_RE, OTP_RE, PHONE_RE, USERNAME_RE
from chalicelib.domain.masking import mask_address, mask_name, mask_phone
from chalicelib.errors import (
    Conflict,
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

LOGIN_FAILURES_PER_IP = 30  # per 15 minutes, across all codes: stops spraying one password over many codes


def customer_code(value: object, field: str = "customer_code") -> str:
    if not isinstance(value, str) or not CUSTOMER_CODE_RE.match(value):
        raise ValidationError(f"{field} must be 6 to 12 digits", "Mã khách hàng phải gồm 6 đến 12 chữ số.", field=field)
    return value


def normalize_phone(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError("phone must be a string", "Số điện thoại không hợp lệ.", field="phone")
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
        for name, value in (("ledger_no", ledger_no), ("house_no", house_no)):
            if value is not None and not isinstance(value, str):
                raise ValidationError(f"{name} must be a string", f"{name} phải là chuỗi ký tự.", field=name)
        if phone is not None:
            phone = normalize_phone(phone)
            self._limit("lookup-ip", ip, self.s.lookup_per_ip_per_hour, 3600)
            found = self.customers.find_by_phone(phone)
        elif ledger_no is not None and house_no is not None:
            if not isinstance(ledger_no, str) or not LEDGER_NO_RE.fullmatch(ledger_no):
                raise ValidationError("ledger_no is not valid", "Số danh bộ không hợp lệ.", field="ledger_no")
            if not isinstance(house_no, str) or not 0 < len(house_no.strip()) <= 20:
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
        return {
            "customers": [
                {"customer_code": c.code, "name": mask_name(c.name), "address": mask_address(c.address)} for c in found
            ]
        }

    # -- one-time codes ----------------------------------------------------

    def _send_otp(self, ip: str, purpose: str, code: str, phone: str) -> dict[str, Any]:
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
        return {"otp_sent_to": mask_phone(phone), "expires_in": self.s.otp_ttl, "resend_after": self.s.otp_resend_after}

    def _check_otp(self, purpose: str, code: str, value: object) -> tuple[str, str]:
        if not isinstance(value, str) or not OTP_RE.fullmatch(value):
            raise ValidationError("otp must be 6 digits", "Mã xác thực gồm 6 chữ số.", field="otp")
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
        code = customer_code(code)
        phone = self._phone_on_file(code)
        if self.accounts.holder_of(code) is not None:
            raise _already_registered()
        return self._send_otp(ip, "register", code, phone)

    def confirm_registration(self, code: object, otp_value: object, password: object) -> dict[str, Any]:
        code = customer_code(code)
        password = passwords.check_policy(password, login=code, min_length=self.s.password_min_length)
        otp_ref = self._check_otp("register", code, otp_value)
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
            raise _already_registered() from None
        return self._issue(account)

    # -- login, tokens -----------------------------------------------------

    @functools.cached_property
    def _dummy_hash(self) -> str:
        return passwords.hash_password("not-a-real-password", n=self.s.scrypt_n)

    def login(self, ip: str, code: object, password: object) -> dict[str, Any]:
        code = customer_code(code)
        return self._password_login(ip, f"customer:{code}", password)

    def admin_login(self, ip: str, username: object, password: object) -> dict[str, Any]:
        if not isinstance(username, str) or not USERNAME_RE.match(username):
            raise ValidationError("username is not valid", "Tên đăng nhập không hợp lệ.", field="username")
        return self._password_login(ip, f"admin:{username}", password)

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
        if not isinstance(username, str) or not USERNAME_RE.match(username):
            raise ValidationError("username is not valid", "Tên đăng nhập không hợp lệ.", field="username")
        account = self._authenticate(ip, f"staff:{username}", password)
        if bind_device is not None:
            bind_device(account, device_imei, app_version)
        return self._issue(account, device=device_imei)

    def _password_login(self, ip: str, account_id: str, password: object) -> dict[str, Any]:
        return self._issue(self._authenticate(ip, account_id, password))

    def _authenticate(self, ip: str, account_id: str, password: object) -> AccountRecord:
        if not isinstance(password, str) or not 0 < len(password) <= 128:
            raise ValidationError("password is required", "Vui lòng nhập mật khẩu.", field="password")
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
        return {
            "access_token": self._access(account, family, now, device),
            "refresh_token": tokens.encode_refresh(
                self._key(), self.s.jwt_issuer, account.account_id, family, token_id, now, self.s.refresh_token_ttl
            ),
            "token_type": "Bearer",
            "expires_in": self.s.access_token_ttl,
            "role": account.role,
        }

    def _refresh_claims(self, token: object) -> dict[str, Any]:
        if not isinstance(token, str) or not token:
            raise ValidationError("refresh_token is required", "Thiếu refresh_token.", field="refresh_token")
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
        code = customer_code(code)
        if self.accounts.get(f"customer:{code}") is None:
            raise NotFound(
                "this customer code has no account yet; register first",
                "Mã khách hàng này chưa đăng ký tài khoản.",
                code="NOT_REGISTERED",
            )
        phone = self._phone_on_file(code)
        return self._send_otp(ip, "reset", code, phone)

    def reset_password(self, code: object, otp_value: object, password: object) -> dict[str, Any]:
        code = customer_code(code)
        password = passwords.check_policy(password, login=code, min_length=self.s.password_min_length)
        otp_ref = self._check_otp("reset", code, otp_value)
        try:
            self.accounts.set_password(
                f"customer:{code}",
                passwords.hash_password(password, n=self.s.scrypt_n),
                self.clock.now(),
                consume_otp=otp_ref,
            )
        except ConditionFailed:
            raise _otp_invalid() from None
        return {"password_changed": True}

    # -- the account and its customer codes --------------------------------

    def me(self, identity: tokens.Identity) -> dict[str, Any]:
        account = self.accounts.get(identity.account_id)
        if account is None:
            raise Unauthorized()
        customers = self.customers.get_many(account.customer_codes)
        return {
            "account_id": account.account_id,
            "role": account.role,
            "login": account.login,
            "customers": [_customer_view(customers[c]) for c in account.customer_codes if c in customers],
        }

    def start_link(self, ip: str, identity: tokens.Identity, code: object) -> dict[str, Any]:
        code = customer_code(code)
        if identity.owns(code):
            raise Conflict(
                "this customer code is already linked to your account",
                "Mã khách hàng đã được liên kết với tài khoản của bạn.",
                code="ALREADY_LINKED",
            )
        phone = self._phone_on_file(code)
        return self._send_otp(ip, "link", code, phone)

    def confirm_link(self, identity: tokens.Identity, code: object, otp_value: object) -> dict[str, Any]:
        code = customer_code(code)
        otp_ref = self._check_otp("link", code, otp_value)
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
        return {
            "customer_codes": list(account.customer_codes),
            "access_token": self._access(account, identity.family_id, self.clock.now()),
            "expires_in": self.s.access_token_ttl,
        }

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


def _already_registered() -> Conflict:
    return Conflict(
        "this customer code already has an account; log in or reset the password",
        "Mã khách hàng đã có tài khoản. Vui lòng đăng nhập hoặc lấy lại mật khẩu.",
        code="ALREADY_REGISTERED",
    )


def _norm_house(value: str) -> str:
    return re.sub(r"[^0-9a-z/]", "", value.lower())


def _customer_view(c: CustomerRecord) -> dict[str, Any]:
    return {
        "customer_code": c.code,
        "name": c.name,
        "address": c.address,
        "ledger_no": c.ledger_no,
        "customer_class": c.customer_class,
        "payment_channel": c.payment_channel,
        "phone": mask_phone(c.phone) if c.phone else None,
    }
