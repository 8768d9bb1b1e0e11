"""The link that confirms a new owner's e-mail address, and the mails sign-up sends.

The token is django.core.signing with its own salt: the user's id and address, signed and timestamped.
It expires after EMAIL_CONFIRMATION_DAYS, and it stops working if the address changes. Confirming twice is
harmless, so the link may be used again until it expires (a mail scanner that opens it first does no harm).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import User

SALT = "servicedesk.accounts.email-confirmation"


class LinkExpired(Exception):
    pass


def make_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=SALT, compress=True)


def user_for_token(token: str) -> User | None:
    """The user the token was made for; None for a tampered or unknown one; LinkExpired when too old."""
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(days=settings.EMAIL_CONFIRMATION_DAYS))
    except signing.SignatureExpired:
        raise LinkExpired() from None
    except (signing.BadSignature, ValueError, UnicodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("e"), str):
        return None
    return User.objects.filter(pk=data["u"], email=data["e"], is_active=True).first()


def confirmation_url(user: User) -> str:
    return settings.SITE_URL + reverse("accounts:confirm_email", args=[make_token(user)])


def _mail(user: User, subject: str, template: str, context: dict) -> None:
    send_mail(
        subject=subject,
        message=render_to_string(template, {"user": user, **context}),
        from_email=None,
        recipient_list=[user.email],
        fail_silently=False,
    )


def send_confirmation(user: User) -> None:
    _mail(
        user,
        _("Confirm your e-mail address for ServiceDesk"),
        "emails/confirm_email.txt",
        {
            "url": confirmation_url(user),
            "days": settings.EMAIL_CONFIRMATION_DAYS,
            "login_url": settings.SITE_URL + reverse("accounts:login"),
        },
    )


def send_signup_attempt_notice(user: User) -> None:
    """Someone used this (existing) address to sign up: tell its owner instead of telling the visitor."""
    _mail(
        user,
        _("Someone tried to sign up to ServiceDesk with your address"),
        "emails/signup_attempt.txt",
        {
            "login_url": settings.SITE_URL + reverse("accounts:login"),
            "reset_url": settings.SITE_URL + reverse("accounts:password_reset"),
        },
    )
