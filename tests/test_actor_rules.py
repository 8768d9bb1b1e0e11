"""Who may change what: every state-changing URL, posted as each role, against a table written out by hand.

The table is the rule as people state it, not a copy of roles.MATRIX: if the code and the table disagree,
one of them is wrong and someone has to decide which. A technician is tried twice: on an order assigned to
them, and on the same kind of order assigned to someone else.

Each cell gets a fresh order (a new test), posts valid data, and checks:
  allowed -> the change really happened (the row, the event, the new value), not just "status < 400";
  refused -> 403 or a refusal message, and nothing in the database changed (rows counted, order reloaded).

Left out: GET-only pages, the client's public pages (/s/<token>/...), and pages that change no order
(stock receipts and corrections, catalogue, members, settings, templates): their door is `tenant_view`
alone and tests/tenancy covers the roles.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from documents import services as document_services
from documents.models import Document
from notifications.models import Channel, Notification, State
from orders.models import (
    EventKind,
    LineItem,
    Order,
    OrderEvent,
    OrderPhoto,
    OrderStatus,
    Payment,
    ServiceFormat,
)
from quality.models import Complaint
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role
from stock import services as stock
from stock.models import Part, PartReservation
from technicians.models import WorkLog
from tests.factories import (
    ClientFactory,
    ComplaintFactory,
    LineItemFactory,
    LocationFactory,
    MembershipFactory,
    NotificationFactory,
    OrderFactory,
    PartFactory,
    ServiceTypeFactory,
    TechnicianProfileFactory,
    UserFactory,
    VisitFactory,
    WorkLogFactory,
)

S = OrderStatus
ROLES = ("owner", "manager", "reception", "technician_assigned", "technician_not_assigned")

# case -> may each role do it?       owner  manager reception tech.assigned tech.not_assigned
MAY: dict[str, tuple[bool, bool, bool, bool, bool]] = {
    "orders:intake": (True, True, True, False, False),
    "orders:edit": (True, True, True, False, False),
    "orders:transition (start work)": (True, True, False, True, False),
    "orders:assign": (True, True, True, False, False),
    "orders:estimate": (True, True, False, True, False),
    "orders:line_add": (True, True, False, True, False),
    "orders:line_remove": (True, True, False, True, False),
    "orders:payment_add": (True, True, True, False, False),
    "orders:note_add (internal)": (True, True, True, True, True),
    "orders:note_add (public)": (True, True, True, True, False),
    "orders:photo_add": (True, True, True, True, True),
    "orders:public_link_replace": (True, True, True, False, False),
    "technicians:plan": (True, True, True, False, False),
    "technicians:job_action": (True, True, False, True, False),
    "technicians:timer (start)": (True, True, False, True, False),
    "technicians:timer_stop": (True, True, False, True, True),
    "technicians:job_note": (True, True, False, True, True),
    "technicians:worklog_add": (True, True, False, True, False),
    "technicians:bill_labour": (True, True, False, False, False),
    "technicians:parts_reserve": (True, True, True, True, False),
    "technicians:parts_use": (True, True, False, True, False),
    "technicians:parts_release": (True, True, True, True, False),
    "documents:issue": (True, True, True, False, False),
    "documents:email": (True, True, True, False, False),
    "notifications:resend": (True, True, False, False, False),
    "reception:intake": (True, True, True, False, False),
    "quality:answer (intake)": (True, True, True, True, False),
    "quality:answer (diagnostics)": (True, True, False, True, False),
    "quality:answer (quality)": (True, True, False, True, False),
    "quality:answer (handover)": (True, True, True, True, False),
    "quality:complaint_new": (True, True, True, False, False),
    "quality:complaint_compensate": (True, True, False, False, False),
    "quality:claim_new": (True, True, True, False, False),
    "orders:item_edit": (True, True, True, False, False),
}


# --- The shop: tenant A with a member per role, a second technician, a part in stock -----------------
@dataclass
class Shop:
    tenant: object
    location: object
    workshop2: object
    service: object
    part: Part
    members: dict[str, Membership]  # by ROLES name
    tech: Membership  # the assigned technician
    other_tech: Membership

    def order(self, status: str = S.IN_PROGRESS, **fields) -> Order:
        defaults = {
            "tenant": self.tenant,
            "service_type": self.service,
            "intake_location": self.location,
            "workshop": self.location,
            "technician": self.tech,
            "estimate": Decimal("1000"),
            "status": status,
            "client": ClientFactory(tenant=self.tenant),
        }
        defaults.update(fields)
        order = OrderFactory(**defaults)
        order.tenant = self.tenant
        return order


def _member(tenant, user) -> Membership:
    return Membership.objects.select_related("user", "tenant").get(tenant=tenant, user=user)


@pytest.fixture
def shop(tenant_a, users_a, location_a, settings, tmp_path) -> Shop:
    settings.MEDIA_ROOT = tmp_path / "media"
    tech = _member(tenant_a, users_a[Role.TECHNICIAN])
    user = UserFactory(email="second-tech@alpha.test", full_name="Second Technician")
    MembershipFactory(tenant=tenant_a, user=user, role=Role.TECHNICIAN)
    other_tech = _member(tenant_a, user)
    for member in (tech, other_tech):
        TechnicianProfileFactory(
            tenant=tenant_a,
            membership=member,
            home_workshop=location_a,
            hourly_rate=Decimal("1200"),
            working_days=[0, 1, 2, 3, 4, 5, 6],
        )
    manager = _member(tenant_a, users_a[Role.MANAGER])
    part = PartFactory(
        tenant=tenant_a,
        sku="P-1",
        name="Battery",
        unit=Part.Unit.PIECE,
        sale_price=Decimal("900"),
        cost_price=Decimal("500"),
    )
    stock.receive(tenant_a, part=part, location=location_a, quantity=10, by=manager)
    return Shop(
        tenant=tenant_a,
        location=location_a,
        workshop2=LocationFactory(tenant=tenant_a, name="Second workshop"),
        service=ServiceTypeFactory(
            tenant=tenant_a, name="Phone repair", formats=[ServiceFormat.IN_SHOP, ServiceFormat.ON_SITE]
        ),
        part=part,
        tech=tech,
        other_tech=other_tech,
        members={
            "owner": _member(tenant_a, users_a[Role.OWNER]),
            "manager": manager,
            "reception": _member(tenant_a, users_a[Role.RECEPTION]),
            "technician_assigned": tech,
            "technician_not_assigned": other_tech,
        },
    )


# --- One case per row: set up, then the URL, the data, and "did the change happen?" --------------------
@dataclass
class Post:
    url: str
    data: dict
    happened: Callable[[], bool]


def _url(name: str, order: Order, *args) -> str:
    return reverse(name, args=[order.tenant.slug, order.number, *args])


def _event(order: Order, kind: str, text: str = "") -> bool:
    """An event of `kind` whose text, as the reader sees it (the stored data and what a person wrote),
    contains `text`."""
    return any(text in event.display_text for event in OrderEvent.objects.filter(order=order, kind=kind))


def _reloaded(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def case_intake(shop: Shop, me: Membership) -> Post:
    before = Order.objects.filter(tenant=shop.tenant).count()
    data = {
        "client_name": "Ivan Petrov",
        "client_phone": "8 (916) 123-45-67",
        "client_email": "ivan@example.test",
        "consent": "on",
        "service_type": shop.service.pk,
        "format": ServiceFormat.IN_SHOP,
        "intake_location": shop.location.pk,
        "item_kind": "Phone",
        "item_brand": "Apple",
        "item_model": "iPhone 13",
        "problem": "Does not turn on",
        "priority": "1",
        "prepayment_method": "cash",
    }
    return Post(
        reverse("orders:intake", args=[shop.tenant.slug]),
        data,
        lambda: Order.objects.filter(tenant=shop.tenant).count() == before + 1,
    )


def case_reception_intake(shop: Shop, me: Membership) -> Post:
    """The intake opened from a walk-in client's visit: the same order, linked to the visit."""
    from reception.models import Purpose, Visit, VisitState

    visit = VisitFactory(
        tenant=shop.tenant,
        location=shop.location,
        day=shop.tenant.local_date(),
        ticket=1,
        purpose=Purpose.DROP_OFF,
        state=VisitState.WAITING,
    )
    post = case_intake(shop, me)
    return Post(
        reverse("reception:intake", args=[shop.tenant.slug, visit.pk]),
        post.data,
        lambda: post.happened() and Visit.objects.get(pk=visit.pk).order_id is not None,
    )


def case_edit(shop: Shop, me: Membership) -> Post:
    order = shop.order(S.NEW)
    return Post(
        _url("orders:edit", order),
        {"version": order.version, "problem": "Cracked screen", "priority": "1"},
        lambda: _reloaded(order).problem == "Cracked screen",
    )


def case_transition(shop: Shop, me: Membership) -> Post:
    order = shop.order(S.PLANNED)
    return Post(
        _url("orders:transition", order, "start_work"),
        {"version": order.version},
        lambda: _reloaded(order).status == S.IN_PROGRESS,
    )


def case_assign(shop: Shop, me: Membership) -> Post:
    order = shop.order(S.NEW)
    return Post(
        _url("orders:assign", order),
        {"version": order.version, "technician": shop.other_tech.pk, "workshop": shop.location.pk},
        lambda: _reloaded(order).technician_id == shop.other_tech.pk,
    )


def case_estimate(shop: Shop, me: Membership) -> Post:
    order = shop.order(S.DIAGNOSTICS)
    return Post(
        _url("orders:estimate", order),
        {"version": order.version, "amount": "1.00"},
        lambda: _reloaded(order).estimate == Decimal("1.00"),
    )


def case_line_add(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    return Post(
        _url("orders:line_add", order),
        {"kind": "work", "description": "Screen", "quantity": "1", "unit_price": "99999"},
        lambda: LineItem.objects.filter(order=order, unit_price=Decimal("99999")).exists(),
    )


def case_line_remove(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    line = LineItemFactory(
        tenant=shop.tenant,
        order=order,
        kind="work",
        description="Screen",
        quantity=Decimal("1"),
        unit_price=Decimal("500"),
    )
    return Post(
        _url("orders:line_remove", order, line.pk),
        {},
        lambda: not LineItem.objects.filter(pk=line.pk).exists(),
    )


def case_payment_add(shop: Shop, me: Membership) -> Post:
    order = shop.order(S.READY)
    return Post(
        _url("orders:payment_add", order),
        {"kind": "payment", "method": "cash", "amount": "100"},
        lambda: Payment.objects.filter(order=order, amount=Decimal("100")).exists(),
    )


def case_note_internal(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    return Post(
        _url("orders:note_add", order),
        {"text": "Smells of coffee"},
        lambda: _event(order, EventKind.NOTE, "Smells of coffee"),
    )


def case_note_public(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    return Post(
        _url("orders:note_add", order),
        {"text": "Your part is ordered", "public": "on"},
        lambda: _event(order, EventKind.NOTE, "Your part is ordered"),
    )


def case_photo_add(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    return Post(
        _url("orders:photo_add", order),
        {"photos": _png(), "caption": "Back"},
        lambda: OrderPhoto.objects.filter(order=order).exists(),
    )


def case_public_link_replace(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    return Post(
        _url("orders:public_link_replace", order),
        {},
        lambda: _reloaded(order).public_token != order.public_token,
    )


def case_plan(shop: Shop, me: Membership) -> Post:
    order = shop.order(S.NEW)
    return Post(
        _url("technicians:plan", order),
        {
            "version": order.version,
            "technician": shop.other_tech.pk,
            "workshop": shop.location.pk,
            "accept_warnings": "on",
        },
        lambda: _reloaded(order).technician_id == shop.other_tech.pk,
    )


def case_job_action(shop: Shop, me: Membership) -> Post:
    order = shop.order(S.PLANNED)
    return Post(
        _url("technicians:job_action", order),
        {"action": "start_work", "version": order.version},
        lambda: _reloaded(order).status == S.IN_PROGRESS,
    )


def case_timer_start(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    return Post(
        _url("technicians:timer", order),
        {"command": "start"},
        lambda: WorkLog.objects.filter(order=order, technician=me, ended_at__isnull=True).exists(),
    )


def case_timer_stop(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    entry = WorkLogFactory(
        tenant=shop.tenant, order=order, technician=me, started_at=timezone.now() - timedelta(minutes=30)
    )
    return Post(
        reverse("technicians:timer_stop", args=[shop.tenant.slug]),
        {},
        lambda: WorkLog.objects.get(pk=entry.pk).ended_at is not None,
    )


def case_job_note(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    return Post(
        _url("technicians:job_note", order),
        {"text": "Board is wet"},
        lambda: _event(order, EventKind.NOTE, "Board is wet"),
    )


def case_worklog_add(shop: Shop, me: Membership) -> Post:
    order = shop.order(created_at=timezone.now() - timedelta(days=2))
    # 10:00-11:00 on the center's clock two days ago: always past, never in a DST gap (those are at night).
    day = timezone.localtime(timezone.now() - timedelta(days=2), ZoneInfo(shop.tenant.time_zone)).date()
    return Post(
        _url("technicians:worklog_add", order),
        {
            "technician": me.pk,
            "started_at": f"{day}T10:00",
            "ended_at": f"{day}T11:00",
            "reason": "Forgot the timer",
        },
        lambda: WorkLog.objects.filter(order=order, source=WorkLog.Source.MANUAL).exists(),
    )


def case_bill_labour(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    now = timezone.now()
    WorkLogFactory(
        tenant=shop.tenant,
        order=order,
        technician=shop.tech,
        started_at=now - timedelta(hours=2),
        ended_at=now - timedelta(hours=1),
    )
    return Post(
        _url("technicians:bill_labour", order),
        {"rate": "technician"},
        lambda: LineItem.objects.filter(order=order, kind=LineItem.Kind.WORK).exists(),
    )


def case_parts_reserve(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    return Post(
        _url("technicians:parts_reserve", order),
        {"part": shop.part.pk, "quantity": "1"},
        lambda: PartReservation.objects.filter(order=order, reserved=1).exists(),
    )


def case_parts_use(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    return Post(
        _url("technicians:parts_use", order),
        {"part": shop.part.pk, "quantity": "1"},
        lambda: LineItem.objects.filter(order=order, kind=LineItem.Kind.PART).exists(),
    )


def case_parts_release(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    stock.reserve(order, part=shop.part, quantity=2, by=shop.members["manager"])
    reservation = PartReservation.objects.get(order=order)
    return Post(
        _url("technicians:parts_release", order, reservation.pk),
        {"quantity": "1"},
        lambda: not PartReservation.objects.filter(order=order, reserved=2).exists(),
    )


def case_document_issue(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    return Post(
        reverse("documents:issue", args=[shop.tenant.slug, order.number]),
        {"kind": "intake_receipt", "language": "en"},
        lambda: Document.objects.filter(order=order).exists(),
    )


def case_document_email(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    document = document_services.issue(order, "intake_receipt", "en", by=shop.members["manager"])
    return Post(
        reverse("documents:email", args=[shop.tenant.slug, document.pk]),
        {},
        lambda: Notification.objects.filter(order=order, attachment=document.file.name).exists(),
    )


def case_resend(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    row = NotificationFactory(
        tenant=shop.tenant,
        order=order,
        source_key="test:1",
        kind="ready_for_pickup",
        channel=Channel.EMAIL,
        recipient="client@example.test",
        language="en",
        subject="Ready",
        body="Ready",
        state=State.FAILED,
        attempts=6,
        last_error="gone",
    )
    return Post(
        reverse("notifications:resend", args=[shop.tenant.slug, row.pk]),
        {},
        lambda: Notification.objects.get(pk=row.pk).state != State.FAILED,
    )


def _checklist_answer(stage: str, status: str) -> Callable[[Shop, Membership], Post]:
    """Tick the one item of a checklist at `stage`, on an order in `status` (where that stage is open)."""

    def case(shop: Shop, me: Membership) -> Post:
        from quality import checklists
        from quality.models import ChecklistAnswer, ItemKind

        manager = shop.members["manager"]
        current = checklists.current_version(shop.service)
        checklists.save_checklist(
            shop.service,
            [checklists.ItemData(stage, ItemKind.TICK, f"Check at {stage}")],
            by=manager,
            expected_version=current.number if current else 0,
        )
        order = shop.order(status)
        checklists.pin(order)
        item = checklists.load_state(order).entries[0].item
        return Post(
            _url("quality:answer", order, item.pk),
            {"revision": "0", "done": "on"},
            lambda: ChecklistAnswer.objects.filter(order=order, item=item, done=True).exists(),
        )

    return case


def _handed_over(shop: Shop) -> Order:
    return shop.order(
        S.HANDED_OVER,
        closed_at=timezone.now(),
        warranty_until=timezone.localdate() + timedelta(days=90),
        total_amount=Decimal("1000"),
    )


def case_complaint_new(shop: Shop, me: Membership) -> Post:
    order = _handed_over(shop)
    return Post(
        reverse("quality:complaint_new", args=[shop.tenant.slug, order.number]),
        {"source": "phone", "description": "Still broken"},
        lambda: Complaint.objects.filter(order=order).exists(),
    )


def case_complaint_compensate(shop: Shop, me: Membership) -> Post:
    order = _handed_over(shop)
    complaint = ComplaintFactory(tenant=shop.tenant, order=order, description="Late", due_at=timezone.now())
    return Post(
        reverse("quality:complaint_compensate", args=[shop.tenant.slug, complaint.pk]),
        {"version": complaint.version, "kind": "discount", "amount": "100"},
        lambda: LineItem.objects.filter(order=order, kind=LineItem.Kind.DISCOUNT).exists(),
    )


def case_claim_new(shop: Shop, me: Membership) -> Post:
    order = _handed_over(shop)
    return Post(
        reverse("quality:claim_new", args=[shop.tenant.slug, order.number]),
        {"source": "order", "problem": "No sound", "override_reason": ""},
        lambda: Order.objects.filter(warranty_of=order).exists(),
    )


def case_item_edit(shop: Shop, me: Membership) -> Post:
    order = shop.order()
    return Post(
        reverse("orders:item_edit", args=[shop.tenant.slug, order.item_id]),
        {
            "kind": "Phone",
            "brand": "Apple",
            "model": "iPhone 13",
            "serial": "CORRECTED",
            "order": order.number,
        },
        lambda: _event(order, EventKind.ITEM, "CORRECTED"),
    )


CASES: dict[str, Callable[[Shop, Membership], Post]] = {
    "orders:intake": case_intake,
    "orders:edit": case_edit,
    "orders:transition (start work)": case_transition,
    "orders:assign": case_assign,
    "orders:estimate": case_estimate,
    "orders:line_add": case_line_add,
    "orders:line_remove": case_line_remove,
    "orders:payment_add": case_payment_add,
    "orders:note_add (internal)": case_note_internal,
    "orders:note_add (public)": case_note_public,
    "orders:photo_add": case_photo_add,
    "orders:public_link_replace": case_public_link_replace,
    "technicians:plan": case_plan,
    "technicians:job_action": case_job_action,
    "technicians:timer (start)": case_timer_start,
    "technicians:timer_stop": case_timer_stop,
    "technicians:job_note": case_job_note,
    "technicians:worklog_add": case_worklog_add,
    "technicians:bill_labour": case_bill_labour,
    "technicians:parts_reserve": case_parts_reserve,
    "technicians:parts_use": case_parts_use,
    "technicians:parts_release": case_parts_release,
    "documents:issue": case_document_issue,
    "documents:email": case_document_email,
    "notifications:resend": case_resend,
    "reception:intake": case_reception_intake,
    "quality:answer (intake)": _checklist_answer("intake", S.NEW),
    "quality:answer (diagnostics)": _checklist_answer("diagnostics", S.DIAGNOSTICS),
    "quality:answer (quality)": _checklist_answer("quality", S.IN_PROGRESS),
    "quality:answer (handover)": _checklist_answer("handover", S.READY),
    "quality:complaint_new": case_complaint_new,
    "quality:complaint_compensate": case_complaint_compensate,
    "quality:claim_new": case_claim_new,
    "orders:item_edit": case_item_edit,
}


def _snapshot(tenant) -> tuple:
    """Everything a refused post could have touched: row counts and every order's changeable fields."""
    counts = tuple(
        model.objects.filter(tenant=tenant).count()
        for model in (
            Order,
            OrderEvent,
            LineItem,
            Payment,
            OrderPhoto,
            WorkLog,
            PartReservation,
            Document,
            Notification,
        )
    )
    running = WorkLog.objects.filter(tenant=tenant, ended_at__isnull=True).count()
    reserved = tuple(
        PartReservation.objects.filter(tenant=tenant).order_by("pk").values_list("reserved", flat=True)
    )
    failed = Notification.objects.filter(tenant=tenant, state=State.FAILED).count()
    orders = tuple(
        Order.objects.filter(tenant=tenant)
        .order_by("pk")
        .values_list(
            "version",
            "status",
            "estimate",
            "technician_id",
            "workshop_id",
            "problem",
            "public_token",
            "total_amount",
            "paid_amount",
        )
    )
    return counts, running, reserved, failed, orders


def test_the_table_covers_every_case():
    assert set(MAY) == set(CASES)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", list(MAY))
def test_who_may_post(case, role, shop, client_for):
    me = shop.members[role]
    post = CASES[case](shop, me)
    before = _snapshot(shop.tenant)
    response = client_for(me.user).post(post.url, post.data, follow=True)
    allowed = MAY[case][ROLES.index(role)]
    assert response.status_code in ({200} if allowed else {200, 403}), response.status_code
    if allowed:
        assert post.happened(), f"{role} should be able to do {case}, but nothing happened"
    else:
        assert not post.happened(), f"{role} must not be able to do {case}"
        assert _snapshot(shop.tenant) == before, f"{role} was refused {case}, yet something changed"
        if response.status_code == 200:
            refusals = ("may not do this", "Only the technician assigned to this order can do this.")
            assert any(text in response.content.decode() for text in refusals), response.content.decode()[
                :2000
            ]
