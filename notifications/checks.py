"""System checks: the notification settings must keep the outbox's guarantees."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


@register()
def notification_settings(app_configs, **kwargs) -> list[Error]:
    errors = []
    if settings.NOTIFICATIONS_MAX_ATTEMPTS < 1:
        errors.append(Error("NOTIFICATIONS_MAX_ATTEMPTS must be at least 1.", id="notifications.E001"))
    if settings.NOTIFICATIONS_CLAIM_TTL_SECONDS < 60:
        errors.append(
            Error(
                "NOTIFICATIONS_CLAIM_TTL_SECONDS must be at least 60: a worker must finish a send well within it, "
                "or the relay would hand the row to a second worker while the first is still sending.",
                id="notifications.E002",
            )
        )
    slowest = max(settings.SMS_TIMEOUT, settings.EMAIL_TIMEOUT or 0)
    if settings.NOTIFICATIONS_CLAIM_TTL_SECONDS < 4 * slowest:
        errors.append(
            Error(
                f"NOTIFICATIONS_CLAIM_TTL_SECONDS ({settings.NOTIFICATIONS_CLAIM_TTL_SECONDS}) must be at least four "
                f"times the slowest send timeout (SMS_TIMEOUT / EMAIL_TIMEOUT: {slowest} s): a send may start in the "
                "first half of the lease and must end well inside it.",
                id="notifications.E006",
            )
        )
    if settings.NOTIFICATIONS_BATCH_SIZE < 1 or settings.NOTIFICATIONS_RETRY_BASE_SECONDS < 1:
        errors.append(
            Error(
                "NOTIFICATIONS_BATCH_SIZE and NOTIFICATIONS_RETRY_BASE_SECONDS must be positive.",
                id="notifications.E003",
            )
        )
    try:
        backend = import_string(settings.SMS_BACKEND)
    except ImportError as error:
        errors.append(
            Error(
                f"SMS_BACKEND={settings.SMS_BACKEND!r} cannot be imported: {error}", id="notifications.E004"
            )
        )
    else:
        try:
            backend()
        except ImproperlyConfigured as error:
            errors.append(Error(str(error), id="notifications.E005"))
    return errors
