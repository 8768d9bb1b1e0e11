"""Periodic work of the quality app (Celery beat)."""

from celery import shared_task


@shared_task(name="quality.draw_audit_samples", ignore_result=True, soft_time_limit=600, time_limit=660)
def draw_audit_samples() -> int:
    """Draw last week's internal-audit sample of every center that has none yet (quality.audits)."""
    from .audits import draw_due_samples

    return draw_due_samples()
