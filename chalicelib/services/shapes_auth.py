"""The shapes of the sign-in routes (api/auth.py) and of the signed-in account (api/me.py), declared
once (chalicelib/domain/shapes.py): the bodies AuthService parses, the answers it builds, and the
schemas api/openapi_auth.py and api/openapi_me.py state from here.

A body's fields are declared in the order the service has always checked them, so a body with two
faults is told of the same one first; a field's `message` is the one clients already know, word for
word, whatever failed in it. The password policy (length, common passwords, the login inside) is
domain/passwords.py's, checked after the body is parsed, with its own code (WEAK_PASSWORD)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain import passwords
from chalicelib.domain.shapes import spec

Role = Literal["customer", "staff", "admin"]
PaymentChannel = Literal["cash", "bank_transfer", "authorised_debit"]


def code_message(name: str = "customer_code") -> tuple[str, str]:
    """What a malformed customer code is told (services.auth.customer_code raises the same)."""
    return f"{name} must be 6 to 12 digits", "Mã khách hàng phải gồm 6 đến 12 chữ số."


# The metadata of fields several shapes share: `field(metadata=...)` (`message` is for bodies only).
CODE = spec(pattern=ids.CUSTOMER_CODE, example="01031059", message=code_message())
OTP = spec(pattern=ids.OTP, fullmatch=True, message=("otp must be 6 digits", "Mã xác thực gồm 6 chữ số."))
# A password being chosen: a string here; its policy is checked after the body (400 WEAK_PASSWORD).
NEW_PASSWORD = spec(
    schema={"minLength": passwords.MIN_LENGTH, "maxLength": passwords.MAX_LENGTH},
    description="not a common password, nor one containing the customer code (400 WEAK_PASSWORD)",
    message=("password must be a string", "Mật khẩu phải là chuỗi ký tự."),
)
# The password of a login: any string up to the policy's longest.
GIVEN_PASSWORD = spec(min=1, max=passwords.MAX_LENGTH, message=("password is required", "Vui lòng nhập mật khẩu."))


def _text(name: str) -> dict[str, Any]:
    return spec(message=(f"{name} must be a string", f"{name} phải là chuỗi ký tự."))


# -- bodies -----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CodeLookup:
    """POST /v1/auth/customer-code-lookup: the phone if given (the other two are then not read), else
    ledger_no and house_no; null is the same as absent. Which of them and their formats are
    AuthService.lookup's rules (api/openapi_auth.py states them as the body's anyOf)."""

    ledger_no: str | None = field(default=None, metadata=_text("ledger_no"))
    house_no: str | None = field(default=None, metadata=_text("house_no"))
    phone: str | None = field(
        default=None,
        metadata=spec(example="0913 123 456", message=("phone must be a string", "Số điện thoại không hợp lệ.")),
    )


@dataclass(frozen=True, kw_only=True)
class CustomerCode:
    """POST /v1/auth/register, /v1/auth/password/forgot, /v1/me/customers: a code whose phone on file
    gets a one-time code."""

    customer_code: str = field(metadata=CODE)


# The bodies below start with the customer code (a subclass's fields follow its parent's).


@dataclass(frozen=True, kw_only=True)
class Register(CustomerCode):
    """POST /v1/auth/register/confirm."""

    password: str = field(metadata=NEW_PASSWORD)
    otp: str = field(metadata=OTP)


@dataclass(frozen=True, kw_only=True)
class ResetPassword(CustomerCode):
    """POST /v1/auth/password/reset."""

    new_password: str = field(metadata=NEW_PASSWORD)
    otp: str = field(metadata=OTP)


@dataclass(frozen=True, kw_only=True)
class LinkCustomer(CustomerCode):
    """POST /v1/me/customers/confirm."""

    otp: str = field(metadata=OTP)


@dataclass(frozen=True, kw_only=True)
class CustomerLogin(CustomerCode):
    """POST /v1/auth/login."""

    password: str = field(metadata=GIVEN_PASSWORD)


@dataclass(frozen=True, kw_only=True)
class UserLogin:
    """POST /v1/admin/login, and the username and password of the staff app's login."""

    username: str = field(
        metadata=spec(
            pattern=ids.USERNAME, example="ghithu01", message=("username is not valid", "Tên đăng nhập không hợp lệ.")
        )
    )
    password: str = field(metadata=GIVEN_PASSWORD)


@dataclass(frozen=True, kw_only=True)
class RefreshToken:
    """POST /v1/auth/refresh, /v1/auth/logout."""

    refresh_token: str = field(metadata=spec(min=1, message=("refresh_token is required", "Thiếu refresh_token.")))


# -- answers ----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MaskedCustomer:
    """A customer a look-up found: the name and address masked."""

    customer_code: str = field(metadata=CODE)
    name: str
    address: str


@dataclass(frozen=True, kw_only=True)
class LookupAnswer:
    customers: list[MaskedCustomer]


@dataclass(frozen=True, kw_only=True)
class OtpSent:
    """A one-time code went to the phone on file."""

    otp_sent_to: str = field(metadata=spec(description="the phone, masked: the last digits only"))
    expires_in: int = field(metadata=spec(description="seconds"))
    resend_after: int = field(metadata=spec(description="seconds before another code may be asked for"))


@dataclass(frozen=True, kw_only=True)
class TokenPair:
    """What a login or a refresh answers."""

    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: int = field(metadata=spec(description="seconds the access token lasts"))
    role: Role


@dataclass(frozen=True, kw_only=True)
class PasswordChanged:
    password_changed: bool


@dataclass(frozen=True, kw_only=True)
class LinkedCustomer:
    """A customer code the account holds, as GET /v1/me shows it."""

    customer_code: str = field(metadata=CODE)
    name: str
    address: str
    ledger_no: str
    customer_class: str
    payment_channel: PaymentChannel
    phone: str | None = field(metadata=spec(description="masked: the last digits only"))


@dataclass(frozen=True, kw_only=True)
class Account:
    """GET /v1/me: the account and its linked customer codes."""

    account_id: str
    role: Role
    login: str
    customers: list[LinkedCustomer]


@dataclass(frozen=True, kw_only=True)
class Linked:
    """POST /v1/me/customers/confirm: the codes now held, and an access token that carries them (the
    refresh token stays valid)."""

    customer_codes: list[str] = field(metadata=spec(pattern=ids.CUSTOMER_CODE))
    access_token: str
    expires_in: int = field(metadata=spec(description="seconds the access token lasts"))
