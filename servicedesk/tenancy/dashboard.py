"""What each role sees first. Apps add their panels here as they arrive."""

from __future__ import annotations

from .models import Location, Membership, Tenant


def dashboard_context(tenant: Tenant, membership: Membership) -> dict:
    return {
        "location_count": Location.objects.for_tenant(tenant).filter(is_active=True).count(),
        "member_count": Membership.objects.for_tenant(tenant).filter(is_active=True).count(),
    }
