"""Errors a client can act on. Each has a stable code, an HTTP status and a
message in Vietnamese and English; the API layer turns them into responses.
Nothing here knows about Chalice or AWS."""

from __future__ import annotations

from typing import Any

# The default message of each code, (English, Vietnamese): what a client shows when the raise gives none.
MESSAGES = {
    "BAD_REQUEST": ("The request is not valid.", "Yêu cầu không hợp lệ."),
    "VALIDATION_ERROR": ("The request body is not valid.", "Dữ liệu gửi lên không hợp lệ."),
    "UNAUTHORIZED": ("Not signed in, or the session has expired.", "Chưa đăng nhập hoặc phiên đã hết hạn."),
    "INVALID_CREDENTIALS": ("Wrong customer code or password.", "Mã khách hàng hoặc mật khẩu không đúng."),
    "FORBIDDEN": ("You may not access this resource.", "Bạn không có quyền truy cập dữ liệu này."),
    "NOT_FOUND": ("Not found.", "Không tìm thấy."),
    "CONFLICT": ("The request conflicts with the current state.", "Yêu cầu xung đột với dữ liệu hiện có."),
    "ACCOUNT_LOCKED": (
        "Too many failed attempts; the account is locked for a while.",
        "Tài khoản tạm khoá do nhập sai nhiều lần. Vui lòng thử lại sau.",
    ),
    "RATE_LIMITED": ("Too many requests; try again later.", "Bạn thao tác quá nhiều lần. Vui lòng thử lại sau."),
    "SERVICE_UNAVAILABLE": (
        "The service is busy; try again in a few minutes.",
        "Hệ thống đang bận. Vui lòng thử lại sau ít phút.",
    ),
}


class AppError(Exception):
    status = 400
    code = "BAD_REQUEST"
    message_en, message_vi = MESSAGES["BAD_REQUEST"]

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None, **kw: Any) -> None:
        """A kind of error in one line, `class NotFound(AppError, status=404, code="NOT_FOUND")`, its
        default messages MESSAGES[code]; a subclass may still set the four attributes in its body."""
        super().__init_subclass__(**kw)
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code
            cls.message_en, cls.message_vi = MESSAGES[code]

    def __init__(
        self,
        message_en: str | None = None,
        message_vi: str | None = None,
        *,
        field: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message_en or self.message_en)
        if message_en:
            self.message_en = message_en
        if message_vi:
            self.message_vi = message_vi
        if code:
            self.code = code
        self.field = field
        self.headers = headers or {}

    def body(self, lang: str = "vi") -> dict[str, str]:
        out = {"code": self.code, "message": self.message_en if lang == "en" else self.message_vi}
        if self.field:
            out["field"] = self.field
        return out


class ValidationError(AppError, status=400, code="VALIDATION_ERROR"): ...


def invalid_cursor(message_en: str = "cursor is not valid") -> ValidationError:
    """The `cursor` of a paged list is not one this API issued (for this query): 400 INVALID_CURSOR."""
    return ValidationError(message_en, "Tham số cursor không hợp lệ.", field="cursor", code="INVALID_CURSOR")


class Unauthorized(AppError, status=401, code="UNAUTHORIZED"): ...


class InvalidCredentials(AppError, status=401, code="INVALID_CREDENTIALS"): ...


class Forbidden(AppError, status=403, code="FORBIDDEN"): ...


class NotFound(AppError, status=404, code="NOT_FOUND"): ...


class Conflict(AppError, status=409, code="CONFLICT"): ...


class Locked(AppError, status=423, code="ACCOUNT_LOCKED"): ...


class RateLimited(AppError, status=429, code="RATE_LIMITED"):
    def __init__(self, retry_after: int, **kw: str | None) -> None:
        super().__init__(headers={"Retry-After": str(max(1, int(retry_after)))}, **kw)
        self.retry_after = retry_after


class ServiceUnavailable(AppError, status=503, code="SERVICE_UNAVAILABLE"): ...
