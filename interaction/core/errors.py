"""Errors with one shape.

Services raise the :class:`DomainError` subclasses below; the API answers
them (and every HTTP error) as ``{"error": {"code", "message", "fields"?}}``
with the right status, and HTML pages show a friendly error page. Bad input
never becomes a 500 or, in the API, an HTML page.
"""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A rule of the domain refused the request; carries its HTTP status and code."""

    status = 400
    code = "bad_request"
    default_message = _l("请求无效。")

    def __init__(self, message=None, *, code=None, fields=None):
        super().__init__(str(message or self.default_message))
        self.message = str(message or self.default_message)
        if code:
            self.code = code
        self.fields = fields


class ValidationFailed(DomainError):
    status = 422
    code = "invalid_fields"
    default_message = _l("提交的内容有误，请检查后重试。")

    def __init__(self, fields: dict, message=None):
        super().__init__(message, fields={k: str(v) for k, v in fields.items()})


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _l("找不到您要的内容。")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = _l("您没有权限执行此操作。")


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    default_message = _l("请先登录。")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _l("该操作与当前状态冲突。")


class InvalidTransition(Conflict):
    code = "invalid_state"
    default_message = _l("当前状态下不能执行此操作。")


HTTP_CODES = {
    400: ("bad_request", _l("请求格式有误。")),
    401: ("unauthorized", _l("请先登录。")),
    403: ("forbidden", _l("您没有权限执行此操作。")),
    404: ("not_found", _l("找不到您要的内容。")),
    405: ("method_not_allowed", _l("不支持该请求方法。")),
    409: ("conflict", _l("该操作与当前状态冲突。")),
    413: ("too_large", _l("提交的内容过大。")),
    415: ("unsupported_media_type", _l("请以 JSON 格式提交。")),
    422: ("invalid_fields", _l("提交的内容有误，请检查后重试。")),
    429: ("rate_limited", _l("操作过于频繁，请稍后再试。")),
    500: ("server_error", _l("服务器出现错误，请稍后再试。")),
}


def wants_json() -> bool:
    """True for API requests: they are answered in JSON whatever happens."""
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    body = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = fields
    return jsonify(error=body), status


def _render_error(status: int, message: str):
    return render_template("errors/error.html", status=status, message=message), status


def handle_domain_error(exc: DomainError):
    if wants_json():
        return error_response(exc.status, exc.code, exc.message, exc.fields)
    return _render_error(exc.status, exc.message)


def _protocol_headers(exc: HTTPException) -> dict:
    """Headers the status needs besides its body: Allow on 405, Retry-After on 429 and 503."""
    headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
    if exc.response is not None and "Retry-After" in exc.response.headers:
        headers["Retry-After"] = exc.response.headers["Retry-After"]
    return headers


def handle_http_error(exc: HTTPException):
    status = exc.code or 500
    code, message = HTTP_CODES.get(status, ("error", exc.description or ""))
    if wants_json():
        response, status = error_response(status, code, str(message))
    else:
        response, status = _render_error(status, str(message))
    return response, status, _protocol_headers(exc)


def handle_csrf_error(_exc: CSRFError):
    """A form or cookie-authenticated API call without a valid CSRF token (often an expired page)."""
    message = _("页面已过期或来源无法确认，请刷新页面后重试。")
    if wants_json():
        return error_response(400, "csrf_failed", message)
    return _render_error(400, message)


def handle_unexpected(exc: Exception):
    from flask import current_app

    current_app.logger.exception("unhandled error")
    if wants_json():
        return error_response(500, "server_error", _("服务器出现错误，请稍后再试。"))
    return _render_error(500, _("服务器出现错误，请稍后再试。"))


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
