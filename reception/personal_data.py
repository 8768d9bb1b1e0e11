"""What the reception queue holds on a client (the name and phone given at check-in), for their data
report and their erasure (orders.personal_data)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Client
from orders.personal_data import DataHolder, Erasing, Row

from .models import Visit


def _visits(client: Client):
    # A visit that became one of the client's orders, or a ticket taken with the client's phone.
    mine = Q(order__client_id=client.pk)
    if client.phone:
        mine |= Q(phone=client.phone)
    return Visit.objects.for_tenant(client.tenant_id).filter(mine)


def collect(client: Client) -> list[Row]:
    return [
        {
            _("Day"): visit.day,
            _("Ticket"): visit.ticket,
            _("Name"): visit.name,
            _("Phone"): visit.phone,
            _("Checked in"): visit.checked_in_at,
        }
        for visit in _visits(client).order_by("checked_in_at", "id")
    ]


def erase(erasing: Erasing) -> int:
    """The visit stays (the queue's waiting times are statistics); the name and phone go."""
    return _visits(erasing.client).exclude(name="", phone="").update(name="", phone="")


HOLDER = DataHolder(
    key="reception",
    label=gettext_lazy("Visits to the reception queue"),
    collect=collect,
    erase=erase,
    kept=gettext_lazy("Kept: the visit and its waiting time, without the name and phone."),
    position=60,
)
