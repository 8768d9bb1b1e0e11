"""Per-IP limits on the anonymous account pages (django-ratelimit, counted in the shared cache).

django-axes locks a username on one IP after a few failed log-ins, but one IP could still try a password
on any number of usernames; and sign-up would let one IP create centers in bulk. Both are counted per
client IP (the same helper the public status pages use, so PROXY_COUNT applies alike).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from servicedesk.public import client_ip


def _by_ip(group: str, request: HttpRequest) -> str:
    return client_ip(request)


def _usage(request: HttpRequest, group: str, rate: str, *, increment: bool) -> dict | None:
    return get_usage(request, group=group, key=_by_ip, rate=rate, method="POST", increment=increment)


def _reached(usage: dict | None) -> bool:
    return usage is not None and usage["count"] >= usage["limit"]


def login_failures_reached(request: HttpRequest) -> bool:
    """This IP has failed LOGIN_IP_FAILURE_RATE log-ins, whatever the usernames: refuse before trying another."""
    return _reached(_usage(request, "login-ip-failures", settings.LOGIN_IP_FAILURE_RATE, increment=False))


def count_login_failure(request: HttpRequest) -> None:
    _usage(request, "login-ip-failures", settings.LOGIN_IP_FAILURE_RATE, increment=True)


def _over(usage: dict | None) -> bool:
    return usage is not None and usage["should_limit"]


def signup_burst_limited(request: HttpRequest) -> bool:
    """Count one sign-up POST (valid or not) from this IP; True once over SIGNUP_BURST_RATE."""
    return _over(_usage(request, "signup-burst", settings.SIGNUP_BURST_RATE, increment=True))


def signup_limited(request: HttpRequest) -> bool:
    """Count one valid sign-up from this IP; True once over SIGNUP_RATE. New and existing addresses count
    alike, so the limit says nothing about whether an address has an account."""
    return _over(_usage(request, "signup", settings.SIGNUP_RATE, increment=True))
