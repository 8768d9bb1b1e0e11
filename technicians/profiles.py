"""A technician's profile (working days and hours, home workshop, labour rate, skills): saved here, not in
the view, so each change is written to the audit log (tenancy.audit) in its transaction, the labour rate
among the fields before and after."""

from __future__ import annotations

from django.db import transaction

from orders.catalogues import set_service_links
from orders.models import ServiceType
from servicedesk.tenancy.audit import Action, changes, record, snapshot
from servicedesk.tenancy.models import Membership

from .models import TechnicianProfile, TechnicianSkill


def _profile_record(profile: TechnicianProfile) -> dict:
    skills = (
        TechnicianSkill.objects.for_tenant(profile.tenant_id)
        .filter(profile_id=profile.pk)
        .order_by("service_type__name")
        .values_list("service_type__name", flat=True)
    )
    return {**snapshot(profile), "skills": list(skills) if profile.pk else []}


@transaction.atomic
def save_profile(
    profile: TechnicianProfile, skills: list[ServiceType], *, by: Membership
) -> TechnicianProfile:
    """Store the profile as changed in `profile` (the form filled it; no pk: the first one) and its skills.
    A first profile is compared with the defaults, so the log names what was set."""
    if profile.pk is None:
        before = _profile_record(
            TechnicianProfile(tenant_id=profile.tenant_id, membership=profile.membership)
        )
    else:
        before = _profile_record(
            TechnicianProfile.objects.select_for_update().get(pk=profile.pk, tenant_id=profile.tenant_id)
        )
    profile.save()
    set_service_links(TechnicianSkill, "profile", profile, skills)
    if (changed := changes(before, _profile_record(profile)))["after"]:
        record(by, Action.TECHNICIAN_CHANGED, profile.membership.user, changed)
    return profile
