"""SMS backends, chosen by settings.SMS_BACKEND (a dotted path), like Django's e-mail backends.

    ConsoleBackend      prints each SMS to standard output (the default: development and the demo)
    LogBackend          writes a line per SMS to the log, with the number masked
    LocmemBackend       keeps them in `sms.outbox` (tests)
    HttpGatewayBackend  POSTs to an HTTP SMS gateway (SMS_GATEWAY_URL, _LOGIN, _PASSWORD, SMS_SENDER)

A backend's send() returns the provider's message id ("" if none) or raises SmsError; `permanent`
says whether trying again could help (a refused number: no; a 5xx: yes), `ambiguous` that the
request may have reached the provider and been taken (a timeout or a dropped connection after the
request was sent): such a message is not sent again blindly (outbox.py, docs/notifications.md).

A backend that can look a message up by its reference implements status(reference) -> one of
ACCEPTED (the provider has it: queued, sent or delivered), NOT_FOUND (it never arrived: safe to send
again) or UNKNOWN (say nothing; a person decides); `supports_status` tells the outbox whether to ask.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# LocmemBackend appends here; tests empty it.
outbox: list[dict] = []


# What status(reference) answers.
ACCEPTED = "accepted"
NOT_FOUND = "not_found"
UNKNOWN = "unknown"


class SmsError(Exception):
    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        ambiguous: bool = False,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.ambiguous = ambiguous
        self.status_code = status_code


def mask(phone: str) -> str:
    return f"{phone[:2]}…{phone[-2:]}" if len(phone) > 4 else "…"


class BaseSmsBackend:
    def send(self, *, to: str, text: str, reference: str) -> str:
        raise NotImplementedError

    @property
    def supports_status(self) -> bool:
        return type(self).status is not BaseSmsBackend.status

    def status(self, reference: str) -> str:
        """ACCEPTED, NOT_FOUND or UNKNOWN for the message sent with this reference; may raise SmsError."""
        raise NotImplementedError


class ConsoleBackend(BaseSmsBackend):
    _lock = threading.Lock()

    def __init__(self, stream=None) -> None:
        self.stream = stream

    def send(self, *, to: str, text: str, reference: str) -> str:
        stream = self.stream or sys.stdout
        with self._lock:
            stream.write(f"SMS to {to} (ref {reference}):\n{text}\n{'-' * 79}\n")
            stream.flush()
        return ""


class LogBackend(BaseSmsBackend):
    def send(self, *, to: str, text: str, reference: str) -> str:
        logger.info("SMS %s to %s, %d characters", reference, mask(to), len(text))
        return ""


class LocmemBackend(BaseSmsBackend):
    def send(self, *, to: str, text: str, reference: str) -> str:
        outbox.append({"to": to, "text": text, "reference": reference})
        return f"locmem-{len(outbox)}"

    def status(self, reference: str) -> str:
        return ACCEPTED if any(sms["reference"] == reference for sms in outbox) else NOT_FOUND


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A gateway that redirects is misconfigured: never follow (and re-send credentials) elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class HttpGatewayBackend(BaseSmsBackend):
    """A JSON-over-HTTPS SMS gateway.

    POST SMS_GATEWAY_URL with HTTP basic auth (SMS_GATEWAY_LOGIN / SMS_GATEWAY_PASSWORD) and the body
    {"sender": SMS_SENDER, "to": "+7916...", "text": "...", "reference": "<the row's reference>"}, the
    reference also as the `Idempotency-Key` header: a gateway that deduplicates drops a second request
    with the same reference. A 2xx answer is success, its JSON "id" (if any) the gateway's message id.

    Errors: 4xx (but 408 and 429) is a permanent refusal. A failure before the request was sent
    (connection refused, DNS, TLS, connect timeout) and 5xx, 408, 429 are retried. A timeout or a dropped
    connection *after* the request was sent, and 504 (a proxy gave up waiting for the gateway), are
    ambiguous: the gateway may have taken the message.

    With SMS_GATEWAY_STATUS_URL set, status(reference) GETs `<SMS_GATEWAY_STATUS_URL>?reference=<ref>`:
    404 or {"status": "not_found"} means the gateway never took it; {"status": "accepted" | "queued" |
    "sent" | "delivered" | ...} that it did; anything else is unknown.
    """

    ACCEPTED_STATUSES = frozenset({"accepted", "queued", "enroute", "submitted", "sent", "delivered"})
    NOT_FOUND_STATUSES = frozenset({"not_found", "unknown_reference"})

    def __init__(self) -> None:
        self.url = settings.SMS_GATEWAY_URL
        if not self.url.startswith(("https://", "http://")):
            raise ImproperlyConfigured(
                "SMS_BACKEND is the HTTP gateway, so SMS_GATEWAY_URL must be set to its http(s):// address."
            )
        self.status_url = settings.SMS_GATEWAY_STATUS_URL
        self.login = settings.SMS_GATEWAY_LOGIN
        self.password = settings.SMS_GATEWAY_PASSWORD
        self.sender = settings.SMS_SENDER
        self.timeout = settings.SMS_TIMEOUT
        self.opener = urllib.request.build_opener(_NoRedirects)

    @property
    def supports_status(self) -> bool:
        return bool(self.status_url)

    def _request(self, url: str, *, data: bytes | None = None, reference: str = "") -> bytes:
        request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
        if data is not None:
            request.add_header("Content-Type", "application/json; charset=utf-8")
        request.add_header("Accept", "application/json")
        if reference:
            request.add_header("Idempotency-Key", reference)
        if self.login or self.password:
            token = base64.b64encode(f"{self.login}:{self.password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.read(65536)
        except urllib.error.HTTPError as error:
            permanent = 400 <= error.code < 500 and error.code not in {408, 429}
            raise SmsError(
                f"SMS gateway answered HTTP {error.code}",
                permanent=permanent,
                ambiguous=error.code == 504,
                status_code=error.code,
            ) from None
        except urllib.error.URLError as error:
            # urllib raises URLError only while connecting and sending the request: the gateway cannot
            # have acted on a request it did not receive in full, so this is an ordinary retry.
            raise SmsError(f"SMS gateway unreachable: {error.reason}") from None
        except (TimeoutError, http.client.HTTPException, OSError) as error:
            # The request went out; waiting for or reading the answer failed. The gateway may have it.
            raise SmsError(
                f"No answer from the SMS gateway after sending ({type(error).__name__}: {error})",
                ambiguous=True,
            ) from None

    def send(self, *, to: str, text: str, reference: str) -> str:
        payload = json.dumps({"sender": self.sender, "to": to, "text": text, "reference": reference}).encode()
        raw = self._request(self.url, data=payload, reference=reference)
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            answer = {}
        return str(answer.get("id", ""))[:100] if isinstance(answer, dict) else ""

    def status(self, reference: str) -> str:
        if not self.status_url:
            return UNKNOWN
        separator = "&" if "?" in self.status_url else "?"
        try:
            raw = self._request(
                f"{self.status_url}{separator}{urllib.parse.urlencode({'reference': reference})}"
            )
        except SmsError as error:
            if error.status_code == 404:
                return NOT_FOUND
            raise
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            return UNKNOWN
        value = str(answer.get("status", "")).strip().lower() if isinstance(answer, dict) else ""
        if value in self.ACCEPTED_STATUSES:
            return ACCEPTED
        if value in self.NOT_FOUND_STATUSES:
            return NOT_FOUND
        return UNKNOWN


@cache
def _backend_class(path: str) -> type[BaseSmsBackend]:
    return import_string(path)


def get_backend() -> BaseSmsBackend:
    return _backend_class(settings.SMS_BACKEND)()
