"""SMS backends, chosen by settings.SMS_BACKEND (a dotted path), like Django's e-mail backends.

    ConsoleBackend      prints each SMS to standard output (the default: development and the demo)
    LogBackend          writes a line per SMS to the log, with the number masked
    LocmemBackend       keeps them in `sms.outbox` (tests)
    HttpGatewayBackend  POSTs to an HTTP SMS gateway (SMS_GATEWAY_URL, _LOGIN, _PASSWORD, SMS_SENDER)

A backend's send() returns the provider's message id ("" if none) or raises SmsError; `permanent`
says whether trying again could help (a refused number: no; a timeout or a 5xx: yes).
"""

from __future__ import annotations

import base64
import json
import logging
import sys
import threading
import urllib.error
import urllib.request
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# LocmemBackend appends here; tests empty it.
outbox: list[dict] = []


class SmsError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def mask(phone: str) -> str:
    return f"{phone[:2]}…{phone[-2:]}" if len(phone) > 4 else "…"


class BaseSmsBackend:
    def send(self, *, to: str, text: str, reference: str) -> str:
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


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A gateway that redirects is misconfigured: never follow (and re-send credentials) elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class HttpGatewayBackend(BaseSmsBackend):
    """A JSON-over-HTTPS SMS gateway.

    POST SMS_GATEWAY_URL with HTTP basic auth (SMS_GATEWAY_LOGIN / SMS_GATEWAY_PASSWORD) and the body
    {"sender": SMS_SENDER, "to": "+7916...", "text": "...", "reference": "sd-<notification id>"};
    a 2xx answer is success, its JSON "id" (if any) the gateway's message id. 4xx (but 408 and 429)
    is a permanent refusal; 5xx, 408, 429, timeouts and connection errors are retried. The reference
    lets gateways that support it drop a duplicate (see docs/notifications.md, "at least once").
    """

    def __init__(self) -> None:
        self.url = settings.SMS_GATEWAY_URL
        if not self.url.startswith(("https://", "http://")):
            raise ImproperlyConfigured(
                "SMS_BACKEND is the HTTP gateway, so SMS_GATEWAY_URL must be set to its http(s):// address."
            )
        self.login = settings.SMS_GATEWAY_LOGIN
        self.password = settings.SMS_GATEWAY_PASSWORD
        self.sender = settings.SMS_SENDER
        self.timeout = settings.SMS_TIMEOUT
        self.opener = urllib.request.build_opener(_NoRedirects)

    def send(self, *, to: str, text: str, reference: str) -> str:
        payload = json.dumps({"sender": self.sender, "to": to, "text": text, "reference": reference}).encode()
        request = urllib.request.Request(self.url, data=payload, method="POST")
        request.add_header("Content-Type", "application/json; charset=utf-8")
        request.add_header("Accept", "application/json")
        if self.login or self.password:
            token = base64.b64encode(f"{self.login}:{self.password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                raw = response.read(65536)
        except urllib.error.HTTPError as error:
            permanent = 400 <= error.code < 500 and error.code not in {408, 429}
            raise SmsError(f"SMS gateway answered HTTP {error.code}", permanent=permanent) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise SmsError(f"SMS gateway unreachable: {reason}") from None
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            answer = {}
        return str(answer.get("id", ""))[:100] if isinstance(answer, dict) else ""


@cache
def _backend_class(path: str) -> type[BaseSmsBackend]:
    return import_string(path)


def get_backend() -> BaseSmsBackend:
    return _backend_class(settings.SMS_BACKEND)()
