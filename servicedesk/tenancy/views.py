"""Pages of the tenant itself: staff, locations, settings. (Its front page is the orders app's dashboard.)"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from .access import TENANT_SESSION_KEY, TenantRequest, get_for_tenant_or_404, tenant_view
from .forms import InviteForm, LocationForm, MemberRoleForm, TenantSettingsForm
from .landing import landing_url
from .models import Invitation, Location, Membership, Tenant
from .roles import MATRIX, Perm, Role, can_manage_member


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """After log-in: straight into the last (or only) service center, else a chooser."""
    memberships = list(
        Membership.objects.filter(user=request.user, is_active=True, tenant__is_active=True)
        .select_related("tenant")
        .order_by("tenant__name")
    )
    last = request.session.get(TENANT_SESSION_KEY)
    for membership in memberships:
        if membership.tenant.slug == last or len(memberships) == 1:
            return redirect(landing_url(membership))  # the front page, or a role's own (tenancy.landing)
    return render(request, "tenancy/choose_tenant.html", {"memberships": memberships})


@tenant_view(Perm.MEMBERS_VIEW)
@require_GET
def members(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    member_list = (
        Membership.objects.for_tenant(tenant).select_related("user").order_by("-is_active", "user__full_name")
    )
    invitations = Invitation.objects.for_tenant(tenant).select_related("invited_by")[:50]
    matrix = [(label, [role in roles for role in Role]) for roles, label in MATRIX.values()]
    return render(
        request,
        "tenancy/members.html",
        {
            "members": member_list,
            "invitations": invitations,
            "roles": list(Role),
            "matrix": matrix,
            "invite_form": InviteForm(actor=request.membership),
        },
    )


@tenant_view(Perm.MEMBERS_MANAGE)
@require_http_methods(["GET", "POST"])
def invite(request: TenantRequest) -> HttpResponse:
    form = InviteForm(request.POST or None, actor=request.membership)
    if request.method == "POST" and form.is_valid():
        try:
            services.invite_member(
                tenant=request.tenant,
                actor=request.membership,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            form.add_error("email", error)
        except PermissionDenied as refused:  # e.g. the owner has not confirmed their e-mail address yet
            form.add_error(None, str(refused))
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("tenancy:members", tenant_slug=request.tenant.slug)
    return render(request, "tenancy/invite.html", {"form": form})


@tenant_view(Perm.MEMBERS_MANAGE)
@require_POST
def revoke_invitation(request: TenantRequest, invitation_id: int) -> HttpResponse:
    invitation = get_for_tenant_or_404(Invitation, request.tenant, pk=invitation_id)
    services.revoke_invitation(actor=request.membership, invitation=invitation)
    messages.success(request, _("Invitation to %(email)s withdrawn.") % {"email": invitation.email})
    return redirect("tenancy:members", tenant_slug=request.tenant.slug)


@tenant_view(Perm.MEMBERS_MANAGE)
@require_http_methods(["GET", "POST"])
def member_edit(request: TenantRequest, membership_id: int) -> HttpResponse:
    target = get_for_tenant_or_404(
        Membership.objects.select_related("user"), request.tenant, pk=membership_id
    )
    can_manage = target.pk != request.membership.pk and can_manage_member(
        request.membership.role, target.role
    )
    form = MemberRoleForm(request.POST or None, actor=request.membership, initial={"role": target.role})
    if request.method == "POST":
        action = request.POST.get("action", "role")
        try:
            if action == "deactivate":
                services.set_member_active(actor=request.membership, target=target, active=False)
                messages.success(
                    request, _("%(name)s can no longer open this service center.") % {"name": target.user}
                )
                return redirect("tenancy:members", tenant_slug=request.tenant.slug)
            if action == "activate":
                services.set_member_active(actor=request.membership, target=target, active=True)
                messages.success(request, _("%(name)s is active again.") % {"name": target.user})
                return redirect("tenancy:members", tenant_slug=request.tenant.slug)
            if form.is_valid():
                services.change_role(actor=request.membership, target=target, role=form.cleaned_data["role"])
                messages.success(request, _("Role of %(name)s changed.") % {"name": target.user})
                return redirect("tenancy:members", tenant_slug=request.tenant.slug)
        except (PermissionDenied, ValidationError) as problem:
            messages.error(request, " ".join(getattr(problem, "messages", [str(problem)])))
    return render(
        request, "tenancy/member_edit.html", {"target": target, "form": form, "can_manage": can_manage}
    )


@tenant_view(Perm.LOCATIONS_MANAGE)
@require_GET
def locations(request: TenantRequest) -> HttpResponse:
    location_list = Location.objects.for_tenant(request.tenant).order_by("-is_active", "name")
    return render(request, "tenancy/locations.html", {"locations": location_list})


@tenant_view(Perm.LOCATIONS_MANAGE)
@require_http_methods(["GET", "POST"])
def location_edit(request: TenantRequest, location_id: int | None = None) -> HttpResponse:
    location = get_for_tenant_or_404(Location, request.tenant, pk=location_id) if location_id else None
    form = LocationForm(request.POST or None, instance=location, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        services.save_location(form.save(commit=False), by=request.membership)
        messages.success(request, _("Location saved."))
        return redirect("tenancy:locations", tenant_slug=request.tenant.slug)
    return render(request, "tenancy/location_form.html", {"form": form, "location": location})


@tenant_view(Perm.TENANT_SETTINGS)
@require_http_methods(["GET", "POST"])
def tenant_settings(request: TenantRequest) -> HttpResponse:
    # A fresh copy: an invalid form must not rename the tenant shown in the page's header.
    form = TenantSettingsForm(request.POST or None, instance=Tenant.objects.get(pk=request.tenant.pk))
    if request.method == "POST" and form.is_valid():
        services.save_settings(form.save(commit=False), by=request.membership)
        messages.success(request, _("Settings saved."))
        return redirect("tenancy:settings", tenant_slug=request.tenant.slug)
    return render(request, "tenancy/settings.html", {"form": form})
