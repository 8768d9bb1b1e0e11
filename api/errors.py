"""Every error of the API is JSON: {"code": "...", "detail": "<the sentence the web page would show>"}.

Form errors add "fields": {name: [sentences]}. The services' own refusals come through unchanged:
- TransitionRefused, and a service's ValidationError       -> 422 "refused"
- OrderChanged (a stale `version`)                          -> 409 "changed"
- ActorRefused / a role without the permission              -> 403 "forbidden"
- another center's id, an unknown one                       -> 404 "not_found"
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from orders.lifecycle import OrderChanged, TransitionRefused


class Invalid(exceptions.APIException):
    """The request's data did not pass the web's form: its errors, field by field."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, fields: dict[str, list[str]], labels: dict[str, str] | None = None) -> None:
        self.fields = fields
        labels = labels or {}
        sentences = []
        for name, errors in fields.items():
            label = labels.get(name, "")
            sentences += [f"{label}: {error}" if label else str(error) for error in errors]
        super().__init__(" ".join(sentences) or _("The data is not valid."))


DRF_CODES = {
    exceptions.NotAuthenticated: "unauthenticated",
    exceptions.AuthenticationFailed: "unauthenticated",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "invalid",
    exceptions.ValidationError: "invalid",
}


def body(code: str, detail: str, **extra) -> dict:
    return {"code": code, "detail": str(detail), **extra}


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):  # ActorRefused too: its sentence is the reason
        exc = exceptions.PermissionDenied(str(exc) or _("You may not do this."))
    if isinstance(exc, OrderChanged):
        set_rollback()
        return Response(body("changed", str(exc)), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, TransitionRefused):
        set_rollback()
        return Response(body("refused", str(exc)), status=422)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return Response(body("refused", " ".join(exc.messages)), status=422)
    if isinstance(exc, Invalid):
        return Response(body("invalid", exc.detail, fields=exc.fields), status=exc.status_code)
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500, with its traceback in the log
    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    code = next((code for kind, code in DRF_CODES.items() if isinstance(exc, kind)), "error")
    detail = exc.detail
    if isinstance(detail, list | dict):
        detail = " ".join(str(item) for item in (detail.values() if isinstance(detail, dict) else detail))
    return Response(body(code, detail), status=exc.status_code, headers=headers)
