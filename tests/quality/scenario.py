"""A small, known history for the managers' dashboard, made through the real services at pinned instants (the
rollups are filled by the order-event listener as in production). Every figure the tests expect is worked out
by hand in the comments below; the dashboard tests pin "now" at Friday 2026-04-17 12:00 on the centers' wall
clock, so the default 30 days are 2026-03-19 .. 2026-04-17. April 2026 has no public holiday in Russia.

Locations: X works round the clock (working time = elapsed time), Y the standard week (Mon-Fri 9-13, 14-19,
Sat 10-16). Services: Phone, Laptop. Technicians: T1 (no profile: available = the standard week, every day),
T2 (profile: home workshop X, Monday to Friday).

    order  service loc  taken in          handed over / cancelled     tech  failed  rating  work logged
    O1     Phone   X    Mon 04-06 10:00   handed over Tue 04-07 14:00 T1    0       5       2 h (04-06)
    O2     Phone   X    Mon 04-06 12:00   handed over Wed 04-08 10:00 T2    1       2       2 h + 2 h (04-07)
    O3     Laptop  X    Tue 04-07 09:00   cancelled   Tue 04-07 10:00 -
    O4     Laptop  X    Wed 04-08 09:00   handed over Thu 04-09 15:00 T1    0
    O5     Phone   X    Thu 04-09 10:00   open (planned)              T1
    O6     Phone   Y    Fri 04-10 18:00   handed over Tue 04-14 10:00 T2    0

Working time (hours), per measure:
    order  request planning execution handover  e2e   repair wait_client wait_parts pickup
    O1     1       2        20        5         28    20     0           0          4
    O2     0.5     1.5      24        20        46    6      18          0          18
    O4     0.5     0.5      27        2         30    3      0           24         1
    O6     0.5     6.5      6         4         17    6      0           0          3.5
O6 in Y's hours: request Fri 18:00-18:30; planning Fri 18:30-19:00 + Sat 10-16; work Mon 9-13 + 14-16;
check Mon 16:00-16:30; ready Mon 16:30-19:00 + Tue 9-10.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

from orders import services
from orders.lifecycle import transition
from orders.models import Order
from quality import hours
from quality import services as quality_services
from quality.calendar import parse_hours
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from technicians import worklog
from tests.factories import (
    IntakeOrderFactory,
    LocationFactory,
    MembershipFactory,
    ServiceTypeFactory,
    TechnicianProfileFactory,
    UserFactory,
)

H = 3600


def member(tenant, role: Role, users) -> Membership:
    return Membership.objects.select_related("user", "tenant").get(tenant=tenant, user=users[role])


def build(tenant, users, clock) -> SimpleNamespace:
    manager = member(tenant, Role.MANAGER, users)
    reception = member(tenant, Role.RECEPTION, users)
    t1 = member(tenant, Role.TECHNICIAN, users)
    t2_user = UserFactory(email="t2@alpha.test", full_name="Tanya Second")
    MembershipFactory(tenant=tenant, user=t2_user, role=Role.TECHNICIAN)
    t2 = Membership.objects.select_related("user", "tenant").get(tenant=tenant, user=t2_user)
    x = LocationFactory(tenant=tenant, name="X round the clock")
    y = LocationFactory(tenant=tenant, name="Y standard week")
    hours.set_week(x, [parse_hours("00:00-24:00")] * 7)
    TechnicianProfileFactory(tenant=tenant, membership=t2, home_workshop=x, working_days=[0, 1, 2, 3, 4])
    phone = ServiceTypeFactory(tenant=tenant, name="Phone")
    laptop = ServiceTypeFactory(tenant=tenant, name="Laptop")

    def at(text: str):
        return clock.set(f"2026-04-{text}")

    def take_in(when: str, service_type, location) -> Order:
        at(when)
        return IntakeOrderFactory(
            tenant=tenant,
            by=reception,
            without_item=True,
            client_name="Client",
            client_phone=f"+7916{Order.objects.count():07d}",
            service_type=service_type,
            intake_location=location,
            problem="Broken",
            estimate=Decimal("1000"),
        )

    def act(order: Order, when: str, action: str, by=manager, **kwargs) -> Order:
        at(when)
        order.refresh_from_db()
        if action == "hand_over" and order.amount_due:
            services.add_payment(order, amount=order.amount_due, method="cash", by=by)
            order.refresh_from_db()
        transition(order, action, by=by, expected_version=order.version, **kwargs)
        order.refresh_from_db()
        return order

    def plan(order: Order, when: str, technician) -> Order:
        at(when)
        order.refresh_from_db()
        services.assign(
            order,
            technician=technician,
            workshop=order.intake_location,
            by=manager,
            expected_version=order.version,
        )
        return act(order, when, "plan")

    def log(order: Order, technician, start: str, end: str) -> None:
        at(end)
        order.refresh_from_db()
        local = [datetime.fromisoformat(f"2026-04-{text}").replace(tzinfo=clock.tz) for text in (start, end)]
        worklog.add_manual(
            order, technician=technician, start=local[0], end=local[1], reason="On paper", by=manager
        )

    def rate(order: Order, when: str, rating: int) -> None:
        at(when)
        order.refresh_from_db()
        quality_services.leave_feedback(order, rating=rating)

    o1 = take_in("06 10:00", phone, x)
    o2 = take_in("06 12:00", phone, x)
    plan(o1, "06 11:00", t1)
    plan(o2, "06 12:30", t2)
    act(o1, "06 13:00", "start_work")
    act(o2, "06 14:00", "start_diagnostics")
    log(o1, t1, "06 13:00", "06 15:00")
    act(o2, "06 16:00", "request_approval")
    o3 = take_in("07 09:00", laptop, x)
    act(o1, "07 09:00", "finish_work")
    act(o3, "07 10:00", "cancel", reason="Changed their mind")
    act(o1, "07 10:00", "pass_check")
    act(o2, "07 10:00", "approve")
    log(o2, t2, "07 10:00", "07 12:00")
    act(o2, "07 12:00", "finish_work")
    act(o2, "07 13:00", "return_to_work", reason="Still crackles")
    act(o1, "07 14:00", "hand_over", by=reception)
    log(o2, t2, "07 13:00", "07 15:00")
    rate(o1, "07 15:00", 5)
    act(o2, "07 15:00", "finish_work")
    act(o2, "07 16:00", "pass_check")
    o4 = take_in("08 09:00", laptop, x)
    plan(o4, "08 09:30", t1)
    act(o2, "08 10:00", "hand_over", by=reception)
    act(o4, "08 10:00", "start_work")
    rate(o2, "08 11:00", 2)
    act(o4, "08 11:00", "wait_for_parts")
    o5 = take_in("09 10:00", phone, x)
    plan(o5, "09 10:30", t1)
    act(o4, "09 11:00", "parts_arrived")
    act(o4, "09 13:00", "finish_work")
    act(o4, "09 14:00", "pass_check")
    act(o4, "09 15:00", "hand_over", by=reception)
    o6 = take_in("10 18:00", phone, y)
    plan(o6, "10 18:30", t2)
    act(o6, "13 09:00", "start_work")
    act(o6, "13 16:00", "finish_work")
    act(o6, "13 16:30", "pass_check")
    act(o6, "14 10:00", "hand_over", by=reception)
    at("17 12:00")
    return SimpleNamespace(
        manager=manager,
        reception=reception,
        t1=t1,
        t2=t2,
        x=x,
        y=y,
        phone=phone,
        laptop=laptop,
        orders=[o1, o2, o3, o4, o5, o6],
    )


# Whole seconds per measure of each handed-over order (the table above).
EXPECTED_SECONDS = {
    "O1": {
        "request": 1 * H,
        "planning": 2 * H,
        "execution": 20 * H,
        "handover": 5 * H,
        "e2e": 28 * H,
        "repair": 20 * H,
        "wait_client": 0,
        "wait_parts": 0,
        "pickup": 4 * H,
    },
    "O2": {
        "request": H // 2,
        "planning": 3 * H // 2,
        "execution": 24 * H,
        "handover": 20 * H,
        "e2e": 46 * H,
        "repair": 6 * H,
        "wait_client": 18 * H,
        "wait_parts": 0,
        "pickup": 18 * H,
    },
    "O4": {
        "request": H // 2,
        "planning": H // 2,
        "execution": 27 * H,
        "handover": 2 * H,
        "e2e": 30 * H,
        "repair": 3 * H,
        "wait_client": 0,
        "wait_parts": 24 * H,
        "pickup": 1 * H,
    },
    "O6": {
        "request": H // 2,
        "planning": 13 * H // 2,
        "execution": 6 * H,
        "handover": 4 * H,
        "e2e": 17 * H,
        "repair": 6 * H,
        "wait_client": 0,
        "wait_parts": 0,
        "pickup": 7 * H // 2,
    },
}


def add_orders(tenant, history: SimpleNamespace, clock, count: int) -> None:
    """`count` more orders over 1-16 April, alternating services, locations and technicians, each handed over
    the next day (more rows for the query-count test)."""
    from orders.lifecycle import transition

    types, locations, technicians = (
        [history.phone, history.laptop],
        [history.x, history.y],
        [history.t1, history.t2],
    )
    for i in range(count):
        clock.set(f"2026-04-{1 + i % 15:02d} 10:{i % 60:02d}")
        order = IntakeOrderFactory(
            tenant=tenant,
            by=history.reception,
            without_item=True,
            client_name=f"More {i}",
            client_phone=f"+7926{i:07d}",
            service_type=types[i % 2],
            intake_location=locations[i % 2],
            problem="More",
        )
        services.assign(
            order,
            technician=technicians[i % 2],
            workshop=order.intake_location,
            by=history.manager,
            expected_version=order.version,
        )
        for hours_later, action in (
            (1, "plan"),
            (2, "start_work"),
            (20, "finish_work"),
            (21, "pass_check"),
            (24, "hand_over"),
        ):
            clock.set(f"2026-04-{1 + i % 15:02d} 10:{i % 60:02d}")
            clock.shift(hours=hours_later)
            order.refresh_from_db()
            transition(
                order,
                action,
                by=history.reception if action == "hand_over" else history.manager,
                expected_version=order.version,
            )
