"""Data kept only as long as it is useful: old outbox rows, log-in logs, expired sessions.

Run daily by Celery beat (ops.purge_old_data) and by `manage.py purge_old_data`. Deletes go in small
batches, so a first run on years of history never holds a long lock. What is kept and for how long is
set in settings (NOTIFICATIONS_RETENTION_DAYS, LOGIN_LOG_RETENTION_DAYS) and stated in docs/deploy.md.
The order timeline, payments and issued documents are records of the business: never purged here.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

BATCH = 1000


def _delete_in_batches(queryset: models.QuerySet) -> int:
    deleted = 0
    while True:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            return deleted
        queryset.model._base_manager.filter(pk__in=ids).delete()
        deleted += len(ids)


def purge_notifications(days: int) -> int:
    """Outbox rows that were sent or failed more than `days` ago (their messages left long ago);
    rows still queued, in flight or waiting for a person's decision are kept whatever their age."""
    from notifications.models import Notification, State

    cutoff = timezone.now() - timedelta(days=days)
    return _delete_in_batches(
        Notification.objects.filter(state__in=[State.SENT, State.FAILED], created_at__lt=cutoff)
    )


def purge_login_logs(days: int) -> int:
    """django-axes' log-in records (successes, failures, old attempt counters) older than `days`."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    cutoff = timezone.now() - timedelta(days=days)
    return sum(
        _delete_in_batches(model.objects.filter(attempt_time__lt=cutoff))
        for model in (AccessLog, AccessFailureLog, AccessAttempt)
    )


def purge_sessions() -> None:
    from importlib import import_module

    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


def purge_old_data() -> dict[str, int]:
    counts = {
        "notifications": purge_notifications(settings.NOTIFICATIONS_RETENTION_DAYS),
        "login_logs": purge_login_logs(settings.LOGIN_LOG_RETENTION_DAYS),
    }
    purge_sessions()
    return counts
