"""Demo feedback (what clients said about the demo center's handed-over orders) and the demo locations'
business hours. Safe to run again."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from orders.models import Order, OrderStatus

from . import hours, services
from .calendar import parse_hours
from .models import CalendarDay, Feedback

SAYINGS = [
    (5, "Fast and polite, thank you!"),
    (2, "Promised for Friday, ready on Monday. Nobody called."),
    (4, "Good work, but the pickup took a while."),
    (5, ""),
]


def seed_demo_feedback(staff) -> None:
    if Feedback.objects.for_tenant(staff.tenant).exists():
        return
    done = Order.objects.for_tenant(staff.tenant).filter(status=OrderStatus.HANDED_OVER).select_related("tenant").order_by("number")
    for order, (rating, comment) in zip(done, SAYINGS, strict=False):
        services.leave_feedback(order, rating=rating, comment=comment)


def seed_demo_hours(staff) -> None:
    """The head office receives Monday to Saturday 10:00-20:00; the workshop works weekdays with lunch; the
    center closes the workshop for stock-taking in two weeks and shortens New Year's Eve."""
    if hours.own_week(staff.head_office) is None:
        hours.set_week(staff.head_office, [parse_hours("10:00-20:00")] * 6 + [()])
    if hours.own_week(staff.workshop) is None:
        hours.set_week(staff.workshop, [parse_hours("09:00-13:00, 14:00-18:00")] * 5 + [(), ()])
    today = timezone.localdate()
    CalendarDay.objects.get_or_create(
        tenant=staff.tenant, location=None, date=date(today.year, 12, 31),
        defaults={"kind": CalendarDay.Kind.SHORTENED, "hours": "10:00-15:00", "note": "New Year's Eve"},
    )
    if not CalendarDay.objects.for_tenant(staff.tenant).filter(location=staff.workshop).exists():
        CalendarDay.objects.create(tenant=staff.tenant, location=staff.workshop, date=today + timedelta(days=14),
                                   note="Stock-taking")


def seed_demo_rollups(staff) -> None:
    """The dashboard's rollups of the demo center, recomputed from its history: the demo dates its orders back
    after making them through the services, so what the listener counted on the day of seeding is moved to
    the days the history says. Run last."""
    from .rollups import recompute

    recompute(staff.tenant)
