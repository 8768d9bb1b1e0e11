"""The demo reception queue: eight weeks of walk-in clients at the head office (most served within five
minutes, a few not), clients served earlier today, and people waiting at the desk now (two of them longer
than the standard). Safe to run again: a center that has visits is left alone.

Today's clients go through the real services (check-in, serving, the day's ticket counter); the weeks
before are written as finished rows, as their services would have left them.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role

from . import services
from .models import Purpose, ServedAs, Visit, VisitSource, VisitState

HISTORY_WEEKS = 8
# The share of past clients who waited longer than five minutes: mostly under the standard's 10 %.
SLOW_SHARE = 0.05
FIRST_NAMES = [
    "Anna",
    "Boris",
    "Vera",
    "Gleb",
    "Daria",
    "Egor",
    "Zoya",
    "Ilya",
    "Kira",
    "Lev",
    "Maya",
    "Nikita",
    "",
]
# Served earlier today: (purpose, served as, minutes waited, minutes ago). The second one waited too long.
EARLIER_TODAY = [
    (Purpose.PICKUP, ServedAs.PICKUP, 2, 95),
    (Purpose.DROP_OFF, ServedAs.INTAKE, 9, 70),
    (Purpose.QUESTION, ServedAs.QUESTION, 3, 45),
]
# Waiting now: (purpose, name, phone, minutes waiting, source).
WAITING_NOW = [
    (Purpose.DROP_OFF, "Pavel", "+79035550123", 12, VisitSource.DESK),
    (Purpose.CONSULTATION, "", "", 7, VisitSource.QR),
    (Purpose.PICKUP, "Marina", "", 3, VisitSource.QR),
    (Purpose.DROP_OFF, "", "", 1, VisitSource.DESK),
]


def _past_visits(staff, reception: Membership, today) -> list[Visit]:
    """Mondays to Saturdays of the last weeks, 10:00-20:00 (the head office's hours), 3 to 9 clients a day."""
    rng = random.Random(2026)
    tz = staff.tenant.tz
    rows = []
    for days_ago in range(HISTORY_WEEKS * 7, 0, -1):
        day = today - timedelta(days=days_ago)
        if day.weekday() == 6:
            continue
        minutes = sorted(rng.sample(range(0, 600, 5), rng.randint(3, 9)))
        for ticket, minute in enumerate(minutes, start=1):
            arrived = datetime.combine(day, time(10), tzinfo=tz) + timedelta(
                minutes=minute, seconds=rng.randint(0, 59)
            )
            purpose = rng.choice(
                [
                    Purpose.DROP_OFF,
                    Purpose.DROP_OFF,
                    Purpose.PICKUP,
                    Purpose.PICKUP,
                    Purpose.CONSULTATION,
                    Purpose.QUESTION,
                ]
            )
            left = rng.random() < 0.03
            waited = rng.randint(360, 900) if rng.random() < SLOW_SHARE else rng.randint(20, 290)
            if (
                days_ago <= 21
            ):  # the last three weeks: the desk got quicker (a second receptionist at peak hours)
                waited = int(waited * (0.7 + 0.3 * days_ago / 21))
            served_as = "" if left else ServedAs.INTAKE if purpose == Purpose.DROP_OFF else purpose
            rows.append(
                Visit(
                    tenant=staff.tenant,
                    location=staff.head_office,
                    day=day,
                    ticket=ticket,
                    purpose=purpose,
                    name=rng.choice(FIRST_NAMES),
                    source=rng.choice([VisitSource.DESK, VisitSource.DESK, VisitSource.QR]),
                    state=VisitState.LEFT if left else VisitState.SERVED,
                    checked_in_at=arrived,
                    ended_at=arrived + timedelta(seconds=waited),
                    wait_seconds=waited,
                    served_as=served_as,
                    served_by=None if left else reception,
                    checked_in_by=reception,
                )
            )
    return rows


def _shift(visit: Visit, *, arrived: datetime, waited_minutes: int | None) -> None:
    """Move a visit made now back to when it happened (the demo is made in a second)."""
    fields: dict = {"checked_in_at": arrived}
    if waited_minutes is not None:
        fields.update(ended_at=arrived + timedelta(minutes=waited_minutes), wait_seconds=waited_minutes * 60)
    Visit.objects.filter(pk=visit.pk).update(**fields)


@transaction.atomic
def seed_demo_queue(staff) -> None:
    tenant = staff.tenant
    if Visit.objects.for_tenant(tenant).exists():
        return
    reception = Membership.objects.for_tenant(tenant).get(user=staff.users[Role.RECEPTION])
    now = timezone.now()
    today = tenant.local_date(now)
    Visit.objects.bulk_create(_past_visits(staff, reception, today))
    # Today: nothing before the center's midnight, however early the demo is made.
    midnight = services.day_start(tenant, now)

    def minutes_ago(minutes: int) -> datetime:
        return max(now - timedelta(minutes=minutes), midnight + timedelta(seconds=1))

    location = staff.head_office
    location.tenant = tenant
    for purpose, served_as, waited, ago in EARLIER_TODAY:
        visit = services.check_in(location, by=reception, purpose=purpose)
        services.start_service(visit, by=reception, served_as=served_as)
        arrived = minutes_ago(ago)
        _shift(visit, arrived=arrived, waited_minutes=min(waited, int((now - arrived).total_seconds() // 60)))
    desk = services.desk_for(location)
    for purpose, name, phone, waiting, source in WAITING_NOW:
        if source == VisitSource.QR:
            desk.tenant = tenant
            visit = services.take_ticket(desk, purpose=purpose, name=name)
        else:
            visit = services.check_in(location, by=reception, purpose=purpose, name=name, phone=phone)
        _shift(visit, arrived=minutes_ago(waiting), waited_minutes=None)
