"""Periodic upkeep of the reception queue (Celery beat, settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from . import services


@shared_task(name="reception.close_stale_visits")
def close_stale_visits() -> int:
    """Close visits still waiting long after the day ended (forgotten on the board)."""
    return services.close_stale_visits()
