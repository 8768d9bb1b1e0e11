"""Demo feedback (what clients said about the demo center's handed-over orders) and the demo locations'
business hours. Safe to run again."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from orders import services as order_services
from orders.demo import walk_to
from orders.models import Order, OrderStatus
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Role

from . import hours, services
from .calendar import parse_hours
from .models import AfterSalesSettings, Audit, AuditFinding, CalendarDay, Complaint, Feedback, WarrantyClaim

# rating, comment, "would you recommend us" (0-10, the NPS question the demo center asks)
SAYINGS = [
    (5, "Fast and polite, thank you!", 10),
    (2, "Promised for Friday, ready on Monday. Nobody called.", 4),
    (4, "Good work, but the pickup took a while.", 8),
    (5, "", 9),
]


def seed_demo_feedback(staff) -> None:
    if Feedback.objects.for_tenant(staff.tenant).exists():
        return
    done = Order.objects.for_tenant(staff.tenant).filter(status=OrderStatus.HANDED_OVER).select_related("tenant").order_by("number")
    settings, _created = AfterSalesSettings.objects.get_or_create(tenant=staff.tenant)
    if not settings.ask_recommendation:
        settings.ask_recommendation = True
        settings.save(update_fields=["ask_recommendation"])
    # A rating of 1-3 opens a complaint by itself (quality.complaints).
    for order, (rating, comment, recommend) in zip(done, SAYINGS, strict=False):
        services.leave_feedback(order, rating=rating, comment=comment, recommend=recommend)


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


# --- After-sales ----------------------------------------------------------------------------------


def seed_demo_aftersales(staff) -> None:
    """Complaints (the one a low rating opened, in progress; one by phone, resolved with a discount and the
    client told), warranty claims linked to their originals (one handed over again, one client's request
    waiting for reception), a device with several visits, and an internal audit in progress with findings.
    Each part runs once."""
    from . import audits, complaints, warranty

    tenant = staff.tenant
    people = {m.role: m for m in Membership.objects.for_tenant(tenant).filter(
        user__in=staff.users.values()).select_related("user", "tenant")}
    manager, reception, technician = people[Role.MANAGER], people[Role.RECEPTION], people[Role.TECHNICIAN]
    done = list(Order.objects.for_tenant(tenant).filter(status=OrderStatus.HANDED_OVER, warranty_of__isnull=True)
                .select_related("tenant", "client", "item", "intake_location").order_by("number"))
    if len(done) < 2:
        return
    first, second = done[0], done[1]

    with transaction.atomic():
        if not Complaint.objects.for_tenant(tenant).exclude(source=Complaint.Source.RATING).exists():
            rated = Complaint.objects.for_tenant(tenant).filter(source=Complaint.Source.RATING).first()
            if rated is not None:
                complaints.handle(rated, by=manager, expected_version=rated.version, handler=manager,
                                  status=Complaint.Status.IN_PROGRESS)
            called = complaints.open_complaint(
                first, description="Called: the new screen has a yellow tint in one corner.",
                source=Complaint.Source.PHONE, by=reception, handler=manager)
            complaints.compensate_with_discount(called, amount=Decimal("500"), by=manager,
                                                expected_version=called.version)
            complaints.handle(called, by=manager, expected_version=called.version, handler=manager,
                              status=Complaint.Status.RESOLVED,
                              resolution="We apologise for the delay: the part came late and we did not call. "
                                         "500 of the bill is returned.")
            complaints.tell_client(called, by=manager)

    with transaction.atomic():
        if not WarrantyClaim.objects.for_tenant(tenant).exists():
            claim = warranty.open_claim(first, problem="It stopped working again a week after the repair.",
                                        by=reception, source=WarrantyClaim.Source.DEVICE)
            claim_order = claim.order
            assert claim_order is not None  # inside the period: accepted at once
            if claim_order.needs_visit:  # the technician came yesterday morning
                start = (timezone.now() - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
                order_services.assign(claim_order, technician=technician, workshop=staff.workshop, by=manager,
                                      expected_version=claim_order.version, visit_start=start,
                                      visit_end=start + timedelta(hours=1),
                                      visit_address=claim_order.visit_address or "Moscow, Lenina st. 11")
                claim_order.refresh_from_db()
            walk_to(claim_order, "handed_over", manager=manager, technician=technician, reception=reception,
                    workshop=staff.workshop)
            warranty.request_claim(second, problem="It makes the same noise as before the repair.")
            # The same device once more, for something else: its page lists three visits.
            order_services.take_in(tenant, order_services.IntakeData(
                client=first.client, client_name=first.client.name, client_phone=first.client.phone,
                client_email="", consent=True, service_type=first.service_type, format=first.format,
                intake_location=first.intake_location, problem="Battery drains by noon.", item=first.item,
            ), by=reception)

    with transaction.atomic():
        if not Audit.objects.for_tenant(tenant).exists():
            # The weeks the two original orders were handed over (one week, or two).
            weeks = sorted({audits.week_start(tenant.local_date(order.closed_at)) for order in (first, second)})
            drawn = [audit for week in weeks for audit in audits.draw_sample(tenant, week, seed="demo", size=2)]
            drawn = [audit for audit in drawn if audit.order.warranty_of_id is None] or drawn
            if drawn:
                audit = drawn[0]
                answers = dict(audit.answers, photos_present=False)
                audits.save_answers(audit, by=manager, answers=answers, expected_version=audit.version,
                                    notes="No intake photos; the rest is in order.")
                today = tenant.local_date()
                audits.add_finding(audit, by=manager, severity=AuditFinding.Severity.MAJOR,
                                   description="No photos of the device's condition at intake.",
                                   corrective_action="Photograph every device at intake, front and back.",
                                   responsible=reception, due_date=today + timedelta(days=7))
                closed = audits.add_finding(audit, by=manager, severity=AuditFinding.Severity.MINOR,
                                            description="The completion act was not e-mailed to the client.",
                                            corrective_action="E-mail the act.", responsible=reception,
                                            due_date=today)
                audits.close_finding(closed, by=manager, note="Sent on the same day.")
            for done_audit in drawn[1:2]:  # a finished one, for the scores
                audits.save_answers(done_audit, by=manager, answers=dict(done_audit.answers, photos_present=True),
                                    expected_version=done_audit.version, notes="", complete=True)
