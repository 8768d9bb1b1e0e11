"""The setup checklist's actions (orders.setup, orders.catalogues): add a ready-made catalogue, put the
finished checklist away."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from servicedesk.tenancy.access import TenantRequest, tenant_view
from servicedesk.tenancy.models import Tenant
from servicedesk.tenancy.roles import Perm
from servicedesk.tenancy.starter import STARTER_CATALOGUES

from . import setup
from .catalogues import CatalogueRefused, apply_catalogue

# Where a form may send the user back to (never a URL from the request: no open redirect).
BACK = {"dashboard": "orders:dashboard", "catalogue": "orders:catalogue", "intake": "orders:intake"}


class CatalogueForm(forms.Form):
    catalogue = forms.ChoiceField(choices=STARTER_CATALOGUES)
    next = forms.ChoiceField(choices=[(key, key) for key in BACK], required=False)


def _back(request: TenantRequest, where: str) -> HttpResponse:
    return redirect(BACK.get(where, BACK["dashboard"]), tenant_slug=request.tenant.slug)


@tenant_view(Perm.CATALOGUE_MANAGE)
@require_POST
def add_catalogue(request: TenantRequest) -> HttpResponse:
    form = CatalogueForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the ready-made catalogues."))
        return _back(request, request.POST.get("next", ""))
    try:
        added = apply_catalogue(request.tenant, form.cleaned_data["catalogue"], by=request.membership)
    except CatalogueRefused as refused:
        messages.error(request, str(refused))
    else:
        if added:
            messages.success(
                request,
                ngettext(
                    "%(n)s service added to the catalogue. Edit prices and terms any time.",
                    "%(n)s services added to the catalogue. Edit prices and terms any time.",
                    added,
                )
                % {"n": added},
            )
        else:
            messages.info(request, _("The catalogue already has these services."))
    return _back(request, form.cleaned_data["next"])


@tenant_view(Perm.CATALOGUE_MANAGE)
@require_POST
def dismiss(request: TenantRequest) -> HttpResponse:
    steps = setup.checklist(request.tenant, request.membership) or []
    if not all(state.done for state in steps):
        messages.error(request, _("Finish the remaining setup steps first."))
    else:
        Tenant.objects.filter(pk=request.tenant.pk, setup_dismissed_at__isnull=True).update(
            setup_dismissed_at=timezone.now()
        )
    return _back(request, "dashboard")
