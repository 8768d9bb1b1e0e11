"""The demo center's audit log: half a year of the owner's and the manager's changes (the center's details,
quiet hours, a price, a part's minimum, a message text, staff invitations), each made through the service
function the page calls, so the log holds exactly what those functions write (never an AuditEntry written
here). The seeding runs today: each change's entries are then dated back to the working day it stands for,
as the other demos date their history. Safe to run again: a center whose log already has a settings change
is left alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone

from notifications import texts
from notifications.defaults import default_texts
from notifications.models import Kind as MessageKind
from notifications.models import NotificationSettings
from orders import catalogues
from orders.models import ServiceType
from servicedesk.tenancy import services as tenancy
from servicedesk.tenancy.demo import DemoStaff
from servicedesk.tenancy.models import AuditEntry, Invitation, Membership, Tenant
from servicedesk.tenancy.roles import Role
from stock import services as stock
from stock.models import StockLevel

# (days ago, hour, what was done): in this order, oldest first.
Change = tuple[int, int, Callable[[Tenant, dict[Role, Membership]], None]]


def _details(tenant: Tenant, members: dict[Role, Membership]) -> None:
    """The owner fills in the center's website and e-mail a few weeks after opening."""
    changed = Tenant.objects.get(pk=tenant.pk)
    changed.website = changed.website or f"https://{tenant.slug}.servicedesk.test"
    changed.email = changed.email or f"hello@{tenant.slug}.servicedesk.test"
    tenancy.save_settings(changed, by=members[Role.OWNER])


def _quiet_hours(tenant: Tenant, members: dict[Role, Membership]) -> None:
    """No messages to clients after 20:00 (the default is later)."""
    row = NotificationSettings.for_tenant(tenant)
    row.quiet_from = time(20, 0)
    texts.save_quiet_hours(row, by=members[Role.OWNER])


def _price(tenant: Tenant, members: dict[Role, Membership]) -> None:
    """The manager raises the dearest service's price by a tenth (suppliers put theirs up)."""
    service = (
        ServiceType.objects.for_tenant(tenant).filter(is_active=True).order_by("-base_price", "id").first()
    )
    if service is not None:
        service.base_price = (service.base_price * Decimal("1.1")).quantize(Decimal("1"))
        catalogues.save_service_type(service, by=members[Role.MANAGER])


def _minimum(tenant: Tenant, members: dict[Role, Membership]) -> None:
    """The manager keeps two more of the first stocked part at its location."""
    level = (
        StockLevel.objects.for_tenant(tenant)
        .select_related("part", "location")
        .filter(part__is_active=True)
        .order_by("id")
        .first()
    )
    if level is not None:
        stock.set_min_level(
            tenant,
            part=level.part,
            location=level.location,
            min_level=level.min_level + 2,
            by=members[Role.MANAGER],
        )


def _ready_text(tenant: Tenant, members: dict[Role, Membership]) -> None:
    """The manager adds the opening hours' reminder to the "ready for pickup" SMS."""
    shipped = default_texts(MessageKind.READY_FOR_PICKUP, tenant.language)
    texts.save_texts(
        tenant,
        MessageKind.READY_FOR_PICKUP,
        tenant.language,
        email_subject=shipped.email_subject,
        email_body=shipped.email_body,
        sms_body=shipped.sms_body + " {{ tenant.phone }}",
        by=members[Role.MANAGER],
    )


def _invitations(tenant: Tenant, members: dict[Role, Membership]) -> None:
    """The owner invites a second technician, withdraws it (a typo in the address), invites again; the new
    invitation is still waiting."""
    owner = members[Role.OWNER]
    wrong = tenancy.invite_member(
        tenant=tenant, actor=owner, email=f"new.tech@{tenant.slug}.servicedesk.tst", role=Role.TECHNICIAN
    )
    tenancy.revoke_invitation(actor=owner, invitation=wrong.invitation)
    tenancy.invite_member(
        tenant=tenant, actor=owner, email=f"new.tech@{tenant.slug}.servicedesk.test", role=Role.TECHNICIAN
    )


CHANGES: list[Change] = [
    (160, 10, _details),
    (130, 18, _quiet_hours),
    (75, 11, _price),
    (40, 15, _minimum),
    (21, 12, _ready_text),
    (2, 17, _invitations),
]


def seed_demo_audit(staff: DemoStaff) -> None:
    tenant = Tenant.objects.get(pk=staff.tenant.pk)
    log = AuditEntry.objects.for_tenant(tenant)
    if log.filter(action=AuditEntry.Action.SETTINGS_CHANGED).exists():
        return  # seeded before
    members = {
        role: Membership.objects.select_related("user", "tenant").get(tenant=tenant, user=user)
        for role, user in staff.users.items()
    }
    today = timezone.localdate(timezone=tenant.tz)
    for days, hour, change in CHANGES:
        last = log.aggregate(last=Max("id"))["last"] or 0
        change(tenant, members)
        moment = timezone.make_aware(datetime.combine(today - timedelta(days=days), time(hour, 5)), tenant.tz)
        log.filter(id__gt=last).update(created_at=moment)
        if change is _invitations:  # the invitations themselves were sent that day too
            Invitation.objects.filter(tenant=tenant, email__startswith="new.tech@").update(created_at=moment)
