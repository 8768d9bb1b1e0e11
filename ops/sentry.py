"""Optional error reporting to Sentry (SENTRY_DSN), with personal data kept out of the reports.

Staff pages carry clients' names and phones, and the client's status link is a secret in its URL: so no
request bodies, cookies, headers that authenticate, query strings or user details leave the server,
and /s/<token>/ paths are masked. Only the user's id is kept, to count how many people an error hit.
"""

from __future__ import annotations

import re
from typing import Any

_PUBLIC_TOKEN = re.compile(r"/s/[^/?#]+")
_KEEP_HEADERS = {"host", "user-agent", "accept-language", "content-type", "x-request-id", "hx-request"}


def _mask(text: Any) -> Any:
    return _PUBLIC_TOKEN.sub("/s/[token]", text) if isinstance(text, str) else text


def scrub(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sentry's before_send: drop what may hold personal data or secrets."""
    request = event.get("request") or {}
    if request:
        request.pop("data", None)
        request.pop("cookies", None)
        request.pop("query_string", None)
        request.pop("env", None)
        headers = request.get("headers") or {}
        request["headers"] = {key: value for key, value in headers.items() if key.lower() in _KEEP_HEADERS}
        if "url" in request:
            request["url"] = _mask(request["url"])
    if event.get("user"):
        event["user"] = {"id": event["user"].get("id")}
    if "transaction" in event:
        event["transaction"] = _mask(event["transaction"])
    for breadcrumb in (event.get("breadcrumbs") or {}).get("values", []):
        breadcrumb["message"] = _mask(breadcrumb.get("message"))
        breadcrumb.pop("data", None)  # SQL parameters, HTTP bodies
    return event


def init_sentry(dsn: str, *, environment: str, release: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=scrub,
        before_send_transaction=scrub,
    )
