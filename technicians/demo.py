"""Demo planning: technicians with skills and hours, and, once demo orders exist, visits spread over the
visiting technicians and work logged on the orders under way or done. Idempotent: each part runs once.
The parts store's demo is stock/demo.py."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from orders.demo import CLOSES, HISTORY_RECENT_DAYS, demo_data_for
from orders.models import EventKind, Order, OrderEvent, OrderStatus, ServiceFormat, ServiceType
from servicedesk.accounts.models import User
from servicedesk.tenancy.demo import DEMO_PASSWORD
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role

from . import planning, worklog
from .models import (
    TechnicianProfile,
    TechnicianSkill,
    WorkLog,
)

EXTRA_TECHNICIANS = [
    ("ivan.visits@demo.servicedesk.test", "Ivan Visitov"),
    ("sofia.bench@demo.servicedesk.test", "Sofia Benchova"),
]


def _member(tenant, email: str, name: str) -> Membership:
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email, DEMO_PASSWORD, full_name=name
    )
    member, _ = Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": Role.TECHNICIAN})
    return member


def _types(tenant, fragments: list[str]) -> list[ServiceType]:
    return [
        st
        for st in ServiceType.objects.for_tenant(tenant)
        if any(f.lower() in st.name.lower() for f in fragments)
    ]


def seed_profiles(staff) -> dict[str, Membership]:
    tenant = staff.tenant
    members = {m.role: m for m in Membership.objects.for_tenant(tenant).select_related("user")}
    tech = members[Role.TECHNICIAN]
    ivan = _member(tenant, *EXTRA_TECHNICIANS[0])
    sofia = _member(tenant, *EXTRA_TECHNICIANS[1])
    manager = members[Role.MANAGER]
    setups = [
        (
            tech,
            staff.workshop,
            False,
            [0, 1, 2, 3, 4],
            time(9),
            time(18),
            "1200",
            ["Phone", "Laptop", "Data"],
        ),
        (
            ivan,
            staff.workshop,
            True,
            [0, 1, 2, 3, 4, 5],
            time(8),
            time(17),
            "1400",
            ["Washing", "Smart-home", "Car"],
        ),
        (sofia, staff.head_office, False, [1, 2, 3, 4, 5], time(10), time(19), "1100", ["Phone", "Laptop"]),
        (
            manager,
            staff.head_office,
            True,
            [0, 1, 2, 3, 4],
            time(10),
            time(14),
            "1800",
            ["Smart-home", "Car"],
        ),
    ]
    for member, home, visits, days, start, end, rate, skills in setups:
        profile, created = TechnicianProfile.objects.get_or_create(
            tenant=tenant,
            membership=member,
            defaults={
                "home_workshop": home,
                "does_visits": visits,
                "working_days": days,
                "day_start": start,
                "day_end": end,
                "hourly_rate": Decimal(rate),
                "break_minutes": 60 if end.hour - start.hour > 6 else 0,
            },
        )
        if created:
            TechnicianSkill.objects.bulk_create(
                [
                    TechnicianSkill(tenant=tenant, profile=profile, service_type=st)
                    for st in _types(tenant, skills)
                ]
            )
    return {"tech": tech, "ivan": ivan, "sofia": sofia, "manager": manager}


def _spread_visits(staff, people: dict[str, Membership]) -> None:
    """On-site orders go to the visiting technicians, in slots that never overlap."""
    tenant = staff.tenant
    visitors = [people["ivan"], people["manager"]]
    now = timezone.localtime(timezone.now(), tenant.tz)
    orders = list(
        Order.objects.for_tenant(tenant)
        .filter(format__in=[ServiceFormat.ON_SITE, ServiceFormat.COMBINED])
        .open()
        .select_related("service_type", "technician")
        .order_by("number")
    )
    for index, order in enumerate(orders):
        order.tenant = tenant
        who = visitors[index % len(visitors)]
        day = (now + timedelta(days=index // 2)).date()
        if day.weekday() >= 5:
            day += timedelta(days=7 - day.weekday())
        hour = 10 if who == people["manager"] else 9 + 2 * (index % 4)
        start = timezone.make_aware(timezone.datetime.combine(day, time(hour)), tenant.tz)
        if planning.visit_conflicts(order, who, start, start + timedelta(hours=2)):
            start += timedelta(days=1)
        try:
            planning.plan(
                order,
                technician=who,
                workshop=order.workshop,
                by=people["manager"],
                expected_version=order.version,
                visit_address=order.visit_address or f"Moscow, Mira ave. {10 + index}",
                visit_start=start,
                visit_end_at=start + timedelta(hours=2),
                accept_warnings=True,
            )
        except Exception:  # noqa: BLE001 - a demo slot that does not fit is simply skipped
            continue


def _rebalance(staff, people: dict[str, Membership]) -> None:
    """Give Sofia some of the in-shop phone and laptop jobs, so the board shows more than one person busy."""
    tenant = staff.tenant
    jobs = (
        Order.objects.for_tenant(tenant)
        .filter(technician=people["tech"], format=ServiceFormat.IN_SHOP)
        .open()
        .select_related("service_type", "workshop")
        .order_by("number")
    )
    for index, order in enumerate(jobs):
        if index % 3 != 1:
            continue
        order.tenant = tenant
        planning.plan(
            order,
            technician=people["sofia"],
            workshop=staff.head_office,
            by=people["manager"],
            expected_version=order.version,
            accept_warnings=True,
        )


def seed_work_logs(staff) -> None:
    tenant = staff.tenant
    if WorkLog.objects.for_tenant(tenant).exists():
        return
    tz = tenant.tz
    today = timezone.localtime(timezone.now(), tz).date()
    entries = []
    worked = (
        Order.objects.for_tenant(tenant)
        .filter(technician__isnull=False)
        .exclude(status__in=[OrderStatus.NEW, OrderStatus.PLANNED, OrderStatus.CANCELLED])
        .select_related("technician")
        .order_by("number")
    )
    for index, order in enumerate(worked):
        for piece in range(1 + index % 3):
            day = today - timedelta(days=1 + (index + piece) % 6)
            start = timezone.make_aware(
                timezone.datetime.combine(day, time(9 + (index % 4) * 2, 15 * piece)), tz
            )
            entries.append(
                WorkLog(
                    tenant=tenant,
                    order=order,
                    technician=order.technician,
                    started_at=start,
                    ended_at=start + timedelta(minutes=35 + 20 * ((index + piece) % 4)),
                    source=WorkLog.Source.TIMER if piece else WorkLog.Source.MANUAL,
                    reason="" if piece else "Logged after the visit",
                    created_by=order.technician.user,
                )
            )
    # Avoid overlaps per technician: keep the first entry of any clash.
    kept, busy = [], {}
    for entry in sorted(entries, key=lambda e: (e.technician_id, e.started_at)):
        last_end = busy.get(entry.technician_id)
        if last_end and entry.started_at < last_end:
            continue
        kept.append(entry)
        busy[entry.technician_id] = entry.ended_at
    WorkLog.objects.bulk_create(kept)


@transaction.atomic
def seed_demo_planning(staff) -> None:
    """Called by seed_demo after the demo orders. Safe to run again."""
    from orders.demo import seed_catalogue

    seed_catalogue(staff.tenant)  # skills and parts refer to the catalogue (idempotent)
    people = seed_profiles(staff)
    if not Order.objects.for_tenant(staff.tenant).exists():
        return
    if not WorkLog.objects.for_tenant(staff.tenant).exists():  # first run over the orders
        _spread_visits(staff, people)
        _rebalance(staff, people)
    seed_work_logs(staff)


def seed_history_work_logs(staff) -> int:
    """The history's technicians logged their repairs: for each stretch of work on a handed-over order (from
    "work started" to "work finished", twice after a failed check), most of it up to closing time, entered by
    hand through the work log (as a technician does after the fact) and dated back to when it was done. An
    entry that would overlap the technician's other work is left out. Returns how many entries it made; none
    on a second run (orders with work logged are skipped)."""
    tenant = staff.tenant
    tz = tenant.tz
    reason = demo_data_for(tenant).reasons["work_log"]
    history = (
        Order.objects.for_tenant(tenant)
        .filter(
            status=OrderStatus.HANDED_OVER,
            technician__isnull=False,
            created_at__lt=timezone.now() - timedelta(days=HISTORY_RECENT_DAYS),
            work_logs__isnull=True,
        )
        .select_related("technician__user", "tenant")
        .order_by("created_at")
    )
    made = 0
    for order in history:
        technician = order.technician
        assert technician is not None  # filtered above
        started = None
        for event in order.events.filter(kind=EventKind.STATUS).order_by("created_at", "id"):
            if event.to_status == OrderStatus.IN_PROGRESS:
                started = event.created_at
            elif event.to_status == OrderStatus.QUALITY_CHECK and started is not None:
                # Written up a few minutes before closing at the latest.
                closing = timezone.localtime(started, tz).replace(
                    hour=CLOSES, minute=0, second=0, microsecond=0
                ) - timedelta(minutes=5)
                # Hands-on time: about three quarters of the stretch, 20 minutes to 4 hours, before closing.
                length = min(
                    max((event.created_at - started) * 0.75, timedelta(minutes=20)), timedelta(hours=4)
                )
                end = min(started + length, event.created_at, closing)
                if end - started >= timedelta(minutes=10):
                    try:
                        entry = worklog.add_manual(
                            order,
                            technician=technician,
                            start=started,
                            end=end,
                            reason=reason,
                            by=technician,
                        )
                    except ValidationError:
                        entry = None  # the technician was busy with another order then
                    if entry is not None:
                        OrderEvent.objects.filter(
                            order=order, kind=EventKind.WORK_LOG, data__work_log=entry.pk
                        ).update(created_at=end)
                        WorkLog.objects.filter(pk=entry.pk).update(created_at=end)
                        made += 1
                started = None
    return made
