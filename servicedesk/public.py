"""What every public page (no account: the client's status link, feedback, the reception ticket) shares:
the client's IP behind trusted proxies, the private response headers, the 429 answer, the language switch.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _


def client_ip(request: HttpRequest) -> str:
    """The client's address; behind PROXY_COUNT trusted proxies, taken from X-Forwarded-For."""
    proxies = settings.AXES_IPWARE_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


class TooMany(Exception):
    """Raised by a public page's guard when the client's IP went over the page's rate."""


def private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def too_many() -> HttpResponse:
    response = HttpResponse(
        _("Too many requests. Please wait a minute."), status=429, content_type="text/plain"
    )
    response["Retry-After"] = "60"
    return private(response)


def first_visit_language(request: HttpRequest, language: str) -> None:
    """A client's page speaks the client's language (Client.language, else the center's) until the client
    picks one with the switch (a cookie): the browser's Accept-Language says less than the client said
    at the counter. Staff pages never call this: they keep the staff member's language."""
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) in dict(settings.LANGUAGES):
        return
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language


def switch_language(request: HttpRequest, back: str) -> HttpResponse:
    """?language=ru: remember the client's language and come back to the clean link (`back`).

    A link, not a POST to Django's set_language: this page's no-referrer policy makes browsers send
    "Origin: null" with its forms, which Django's CSRF check refuses.
    """
    response = redirect(back)
    language = request.GET["language"]
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
