"""Errors a client can act on. Each has a stable code, an HTTP status and a
message in Vietnamese and English; the API layer turns them into responses.
Nothing here knows about Chalice or AWS."""

from __future__ import annotations


class AppError(Exception):
    status = 400
    code = "BAD_REQUEST"
    message_vi = "Yêu cầu không hợp lệ."
    message_en = "The request is not valid."

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


class ValidationError(AppError):
    status = 400
    code = "VALIDATION_ERROR"
    message_vi = "Dữ liệu gửi lên không hợp lệ."
    message_en = "The request body is not valid."


def invalid_cursor(message_en: str = "cursor is not valid") -> ValidationError:
    """The `cursor` of a paged list is not one this API issued (for this query): 400 INVALID_CURSOR."""
    return ValidationError(message_en, "Tham số cursor không hợp lệ.", field="cursor", code="INVALID_CURSOR")


class Unauthorized(AppError):
    status = 401
    code = "UNAUTHORIZED"
    message_vi = "Chưa đăng nhập hoặc phiên đã hết hạn."
    message_en = "Not signed in, or the session has expired."


class InvalidCredentials(AppError):
    status = 401
    code = "INVALID_CREDENTIALS"
    message_vi = "Mã khách hàng hoặc mật khẩu không đúng."
    message_en = "Wrong customer code or password."


class Forbidden(AppError):
    status = 403
    code = "FORBIDDEN"
    message_vi = "Bạn không có quyền truy cập dữ liệu này."
    message_en = "You may not access this resource."


class NotFound(AppError):
    status = 404
    code = "NOT_FOUND"
    message_vi = "Không tìm thấy."
    message_en = "Not found."


class Conflict(AppError):
    status = 409
    code = "CONFLICT"
    message_vi = "Yêu cầu xung đột với dữ liệu hiện có."
    message_en = "The request conflicts with the current state."


class Locked(AppError):
    status = 423
    code = "ACCOUNT_LOCKED"
    message_vi = "Tài khoản tạm khoá do nhập sai nhiều lần. Vui lòng thử lại sau."
    message_en = "Too many failed attempts; the account is locked for a while."


class RateLimited(AppError):
    status = 429
    code = "RATE_LIMITED"
    message_vi = "Bạn thao tác quá nhiều lần. Vui lòng thử lại sau."
    message_en = "Too many requests; try again later."

    def __init__(self, retry_after: int, **kw: str | None) -> None:
        super().__init__(headers={"Retry-After": str(max(1, int(retry_after)))}, **kw)
        self.retry_after = retry_after


class ServiceUnavailable(AppError):
    status = 503
    code = "SERVICE_UNAVAILABLE"
    message_vi = "Hệ thống đang bận. Vui lòng thử lại sau ít phút."
    message_en = "The service is busy; try again in a few minutes."
