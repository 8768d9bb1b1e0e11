"""The service catalogue: a member's changes to it (save_service_type, recorded in the audit log with the
fields before and after), and the ready-made catalogues a new center starts from (issue 14): service types with usual prices, terms and
warranty, named in the center's language. Chosen at sign-up (tenancy.signals.tenant_created carries the key
of tenancy.starter) or from the first dashboard's setup checklist (orders.setup).

Prices are in roubles; other currencies get them converted by a rough rate and rounded, a starting point the
center edits anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, models, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from servicedesk.tenancy.audit import Action, changes, record, snapshot
from servicedesk.tenancy.models import Membership, Tenant
from servicedesk.tenancy.roles import Perm, has_perm
from servicedesk.tenancy.starter import STARTER_CATALOGUES, STARTER_KEYS

from .models import ServiceFormat, ServiceType

IN_SHOP, ON_SITE, ONLINE, COMBINED = (
    ServiceFormat.IN_SHOP,
    ServiceFormat.ON_SITE,
    ServiceFormat.ONLINE,
    ServiceFormat.COMBINED,
)


@dataclass(frozen=True)
class Service:
    name: object  # a lazy translation: named in the center's language when created
    formats: tuple[str, ...]
    minutes: int
    price_rub: int
    warranty_days: int
    target_days: int
    needs_item: bool = True


CATALOGUES: dict[str, tuple[Service, ...]] = {
    "phones": (
        Service(_("Phone screen replacement"), (IN_SHOP,), 90, 4500, 180, 2),
        Service(_("Phone battery replacement"), (IN_SHOP,), 45, 2500, 180, 1),
        Service(_("Charging port repair"), (IN_SHOP,), 60, 2000, 90, 2),
        Service(_("Tablet repair"), (IN_SHOP,), 120, 3500, 90, 5),
        Service(_("Diagnostics of a phone or tablet"), (IN_SHOP,), 30, 800, 0, 1),
        Service(_("Data transfer and setup"), (IN_SHOP, ONLINE), 45, 1500, 0, 1),
    ),
    "appliances": (
        Service(_("Washing machine repair"), (ON_SITE, IN_SHOP), 120, 3000, 365, 3),
        Service(_("Refrigerator repair"), (ON_SITE,), 120, 3500, 365, 3),
        Service(_("Dishwasher repair"), (ON_SITE, IN_SHOP), 120, 3000, 365, 3),
        Service(_("Microwave oven repair"), (IN_SHOP,), 60, 1500, 180, 3),
        Service(_("Appliance diagnostics at home"), (ON_SITE,), 60, 1200, 0, 2),
    ),
    "cars": (
        Service(_("Car diagnostics"), (IN_SHOP,), 60, 2500, 30, 1),
        Service(_("Oil and filter change"), (IN_SHOP,), 60, 1500, 180, 1),
        Service(_("Brake pads replacement"), (IN_SHOP,), 90, 2500, 365, 1),
        Service(_("Tyre change and balancing"), (IN_SHOP,), 60, 2400, 30, 1),
        Service(_("Suspension repair"), (IN_SHOP,), 240, 6000, 365, 3),
    ),
    "it": (
        Service(_("Laptop diagnostics and repair"), (IN_SHOP,), 180, 2500, 365, 5),
        Service(_("Computer cleaning and thermal paste"), (IN_SHOP,), 90, 2000, 90, 2),
        Service(_("Operating system installation"), (IN_SHOP, ON_SITE, ONLINE), 120, 2500, 30, 2),
        Service(_("Data recovery"), (IN_SHOP,), 240, 6000, 30, 7),
        Service(_("Network and Wi-Fi setup"), (ON_SITE, ONLINE), 90, 3000, 30, 3),
        Service(_("Remote help"), (ONLINE,), 60, 1500, 0, 1, needs_item=False),
    ),
    "consulting": (
        Service(_("Consultation"), (IN_SHOP, ONLINE, ON_SITE), 60, 2000, 0, 3, needs_item=False),
        Service(_("Individual training session"), (IN_SHOP, ONLINE), 90, 3000, 0, 7, needs_item=False),
        Service(_("Group training"), (IN_SHOP, ONLINE), 180, 8000, 0, 14, needs_item=False),
        Service(_("Device setup with instruction"), (IN_SHOP, ON_SITE), 60, 2000, 0, 2),
    ),
}
assert set(CATALOGUES) == STARTER_KEYS  # one list of keys (tenancy.starter), one of services

# Roughly how many units of the currency a rouble buys: a starting price, not accounting.
RATES = {
    "RUB": Decimal("1"),
    "EUR": Decimal("0.01"),
    "USD": Decimal("0.011"),
    "KZT": Decimal("5"),
    "BYN": Decimal("0.035"),
    "IDR": Decimal("190"),
}


def choices() -> list[tuple[str, object]]:
    return list(STARTER_CATALOGUES)


_STEPS = ((100_000, 1000), (10_000, 100), (100, 10))


def price_in(currency: str, price_rub: int) -> Decimal:
    """The price in the center's currency, rounded to a price people write: whole units, tens above 100,
    hundreds above 10 000, thousands above 100 000 (rupiah: Rp 855.000). A currency without a rate keeps the
    rouble numbers."""
    value = Decimal(price_rub) * RATES.get(currency, Decimal("1"))
    step = next((Decimal(step) for limit, step in _STEPS if value >= limit), Decimal("1"))
    return ((value / step).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * step).quantize(Decimal("0.01"))


class CatalogueRefused(ValueError):
    pass


def apply_catalogue(tenant: Tenant, key: str, *, by: Membership | None = None) -> int:
    """Add the catalogue's services the center does not have yet (by name); the number added.

    `by` is who asked (None: the sign-up itself); they need CATALOGUE_MANAGE. An unknown key is refused.
    Applying twice adds nothing the second time."""
    if by is not None and (
        by.tenant_id != tenant.pk or not by.is_active or not has_perm(by.role, Perm.CATALOGUE_MANAGE)
    ):
        raise CatalogueRefused(_("You may not change the service catalogue."))
    if key not in CATALOGUES:
        raise CatalogueRefused(_("Unknown catalogue."))
    with translation.override(tenant.language):
        wanted = [(str(service.name), service) for service in CATALOGUES[key]]
    have = set(
        ServiceType.objects.for_tenant(tenant)
        .filter(name__in=[n for n, _s in wanted])
        .values_list("name", flat=True)
    )
    added = 0
    for name, service in wanted:
        if name in have:
            continue
        try:
            with transaction.atomic():  # a concurrent apply may have added it: skip, not fail
                ServiceType.objects.create(
                    tenant=tenant,
                    name=name,
                    formats=list(service.formats),
                    needs_item=service.needs_item,
                    default_duration_minutes=service.minutes,
                    base_price=price_in(tenant.currency, service.price_rub),
                    warranty_days=service.warranty_days,
                    target_days=service.target_days,
                )
        except IntegrityError:
            continue
        added += 1
    if by is not None and added:
        record(by, Action.CATALOGUE_APPLIED, key, {"catalogue": key, "added": added})
    return added


@transaction.atomic
def save_service_type(service_type: ServiceType, *, by: Membership) -> ServiceType:
    """Add a service (no pk yet) or store one as changed in `service_type` (the form filled it). The audit
    log says which: added, withdrawn (no longer offered), offered again, or changed; with the changed
    fields before and after (the price among them)."""
    if service_type.pk is None:
        service_type.save()
        record(by, Action.SERVICE_CREATED, service_type.name, {"after": snapshot(service_type)})
        return service_type
    stored = (
        ServiceType.objects.for_tenant(service_type.tenant_id).select_for_update().get(pk=service_type.pk)
    )
    service_type.save()
    changed = changes(snapshot(stored), snapshot(service_type))
    if not changed["after"]:
        return service_type
    if stored.is_active and not service_type.is_active:
        action = Action.SERVICE_ARCHIVED
    elif not stored.is_active and service_type.is_active:
        action = Action.SERVICE_RESTORED
    else:
        action = Action.SERVICE_CHANGED
    record(by, action, service_type.name, changed)
    return service_type


def on_tenant_created(sender, *, tenant: Tenant, starter_catalogue: str = "", **kwargs) -> None:
    """tenancy.signals.tenant_created: the catalogue chosen at sign-up (nothing when none was chosen)."""
    if starter_catalogue in CATALOGUES:
        apply_catalogue(tenant, starter_catalogue)


def set_service_links(
    link: type[models.Model], owner_field: str, owner: models.Model, service_types: Iterable[ServiceType]
) -> None:
    """Make the tenant's `link` rows (PartServiceType, TechnicianSkill ...) of `owner` name exactly these
    services: rows of others are deleted, missing ones added, the rest left as they are."""
    wanted = list(service_types)
    tenant_id = owner.tenant_id  # type: ignore[attr-defined]
    rows = link._default_manager.filter(tenant_id=tenant_id, **{owner_field: owner})
    rows.exclude(service_type__in=wanted).delete()
    have = set(rows.values_list("service_type_id", flat=True))
    link._default_manager.bulk_create(
        [
            link(tenant_id=tenant_id, service_type=service_type, **{owner_field: owner})
            for service_type in wanted
            if service_type.pk not in have
        ]
    )
