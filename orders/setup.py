"""The setup checklist on a new center's first dashboard (issue 14): what to do before taking in orders
comfortably. Each step links to its settings page and ticks itself when its condition holds; the owner or
manager dismisses the list once every step is done (Tenant.setup_dismissed_at).

Steps of apps above orders register themselves (`register_setup_step` in their AppConfig.ready()), like the
order page's panels: notifications adds the message texts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from servicedesk.tenancy.models import Invitation, Location, Membership, Tenant
from servicedesk.tenancy.roles import Perm, has_perm

from .models import ServiceType


@dataclass(frozen=True)
class SetupStep:
    key: str
    position: int  # the checklist's order
    title: object
    hint: object
    url_name: str  # a tenant URL: reverse(url_name, args=[slug])
    done: Callable[[Tenant], bool]  # one query at most
    perm: Perm = Perm.TENANT_SETTINGS  # who can do it (the step shows to them; the others see it read-only)


@dataclass
class StepState:
    step: SetupStep
    done: bool
    url: str
    can_do: bool


_STEPS: dict[str, SetupStep] = {}


def register_setup_step(step: SetupStep) -> None:
    _STEPS[step.key] = step


def steps() -> list[SetupStep]:
    return sorted(_STEPS.values(), key=lambda s: s.position)


def checklist(tenant: Tenant, membership: Membership) -> list[StepState] | None:
    """The checklist for this member's dashboard, or None: not for their role (reception, technicians),
    or dismissed. A fixed number of queries (one a step)."""
    if tenant.setup_dismissed_at is not None or not has_perm(membership.role, Perm.CATALOGUE_MANAGE):
        return None
    return [
        StepState(
            step=step,
            done=step.done(tenant),
            url=reverse(step.url_name, args=[tenant.slug]),
            can_do=has_perm(membership.role, step.perm),
        )
        for step in steps()
    ]


def _has_services(tenant: Tenant) -> bool:
    return ServiceType.objects.for_tenant(tenant).filter(is_active=True).exists()


def _locations_described(tenant: Tenant) -> bool:
    """Every active location has an address (clients read it on receipts and the status page)."""
    counts = (
        Location.objects.for_tenant(tenant)
        .active()
        .aggregate(total=Count("id"), without_address=Count("id", filter=Q(address="")))
    )
    return counts["total"] > 0 and counts["without_address"] == 0


def _has_staff(tenant: Tenant) -> bool:
    """Someone besides the owner: an active colleague, or an invitation sent."""
    return (
        Membership.objects.for_tenant(tenant).filter(is_active=True).count() > 1
        or Invitation.objects.for_tenant(tenant).exists()
    )


def _has_paper_details(tenant: Tenant) -> bool:
    return bool(tenant.legal_name and tenant.tax_id and tenant.legal_address and tenant.phone)


register_setup_step(
    SetupStep(
        key="locations",
        position=10,
        title=_("Locations"),
        hint=_("The address of each place you take in orders, for receipts and the client's status page."),
        url_name="tenancy:locations",
        done=_locations_described,
        perm=Perm.LOCATIONS_MANAGE,
    )
)
register_setup_step(
    SetupStep(
        key="services",
        position=20,
        title=_("Services"),
        hint=_("What you offer, for how much, with which warranty. Start from a ready-made catalogue below."),
        url_name="orders:catalogue",
        done=_has_services,
        perm=Perm.CATALOGUE_MANAGE,
    )
)
register_setup_step(
    SetupStep(
        key="staff",
        position=30,
        title=_("Staff"),
        hint=_("Invite reception, technicians and managers."),
        url_name="tenancy:members",
        done=_has_staff,
        perm=Perm.MEMBERS_MANAGE,
    )
)
register_setup_step(
    SetupStep(
        key="details",
        position=40,
        title=_("The center's details for documents"),
        hint=_("Legal name, tax number, address and phone printed on receipts, contracts and acts."),
        url_name="tenancy:settings",
        done=_has_paper_details,
    )
)
