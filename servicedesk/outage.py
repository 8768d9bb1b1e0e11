"""While the database is unreachable, every page answers 503 "back in a minute", logged in one line.

Without this, a PostgreSQL outage made every page a 500 with a traceback, often followed by a second
exception from a middleware on the way out (the session, the auth user). DatabaseUnavailableMiddleware is
the first (outermost) middleware and catches the database's connection errors from the whole stack:

- raised by a view: `process_exception` answers 503 at once (the inner middlewares' process_response
  still run, so the page gets the security headers);
- raised by another middleware: Django has already turned it into a 500 at that layer. The
  `got_request_exception` signal notes the error on the request and the middleware replaces the 500
  with the 503 page on the way out; `QuietDatabaseErrors` (a logging filter on django.request, see
  settings.LOGGING) drops Django's traceback for it, so the log gets one line per failed request.

Nothing else is needed to recover: Django closes an unusable connection at the end of the request
(close_old_connections), and the next request connects again.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils import translation

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30

DATABASE_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
try:  # Django wraps the driver's errors, but a few paths (health checks, raw connections) let them through.
    import psycopg
except ImportError:  # pragma: no cover - SQLite-only installs
    pass
else:
    DATABASE_ERRORS += (psycopg.OperationalError, psycopg.InterfaceError)

_ATTRIBUTE = "_database_unavailable"
# Copied from the inner response when the 503 replaces it (the page itself needs none of them loosened).
_KEPT_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Strict-Transport-Security",
)


def _note_database_error(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """got_request_exception: Django is turning an exception into a 500; remember a database one."""
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, DATABASE_ERRORS) and not hasattr(request, _ATTRIBUTE):
        setattr(request, _ATTRIBUTE, error)


got_request_exception.connect(_note_database_error, dispatch_uid="servicedesk.outage")


class QuietDatabaseErrors(logging.Filter):
    """Drops django.request's traceback for a database outage: the middleware logs its own single line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DATABASE_ERRORS))


def _loggable_path(path: str) -> str:
    # The public status link carries its secret token in the path: never log it.
    return "/s/…/" if path.startswith("/s/") else path


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        error = getattr(request, _ATTRIBUTE, None)
        if error is None or getattr(response, "_database_unavailable_page", False):
            return response
        unavailable = self._answer(request, error)
        for header in _KEPT_HEADERS:
            if header in response and header not in unavailable:
                unavailable[header] = response[header]
        return unavailable

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        setattr(request, _ATTRIBUTE, exception)
        return self._answer(request, exception)

    def _answer(self, request: HttpRequest, error: BaseException) -> HttpResponse:
        reason = (str(error).strip().splitlines() or [""])[0][:200]
        if getattr(
            request, "_database_unavailable_logged", False
        ):  # answered once, failed again on the way out
            return self._page(request)
        request._database_unavailable_logged = True  # type: ignore[attr-defined]
        logger.error(
            "Database unavailable: %s %s answered 503 (%s: %s)",
            request.method,
            _loggable_path(request.path),
            type(error).__name__,
            reason,
        )
        return self._page(request)

    def _page(self, request: HttpRequest) -> HttpResponse:
        language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language_from_request(request)
        with translation.override(language):
            # No request, so no context processors: nothing here may touch the database or the session.
            body = loader.render_to_string("503.html", {"LANGUAGE_CODE": language})
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        response._database_unavailable_page = True  # type: ignore[attr-defined]
        response._has_been_logged = True  # type: ignore[attr-defined] - Django's flag: our line above is the log
        return response
