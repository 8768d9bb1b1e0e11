"""Celery tasks of orders: the centers' retention rule for clients' personal data (orders.personal_data)."""

from __future__ import annotations

from celery import shared_task

from . import personal_data


@shared_task(
    name="orders.anonymise_inactive_clients", ignore_result=True, soft_time_limit=1800, time_limit=1900
)
def anonymise_inactive_clients() -> dict[str, int]:
    """Beat, daily: each center that set "anonymise clients inactive for N years", a bounded batch each."""
    return personal_data.anonymise_inactive_everywhere()
