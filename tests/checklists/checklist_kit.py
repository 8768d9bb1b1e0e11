"""Helpers of the checklist tests: a phone-repair checklist, orders taken in through the real intake (so the
listener pins their checklist), walked through the real lifecycle, and photos made in memory."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from orders import services as order_services
from orders.lifecycle import transition
from orders.models import Order, ServiceFormat, ServiceType
from quality import checklists
from quality.checklists import Answer, ItemData
from quality.models import ChecklistItem, ChecklistStage, ItemKind
from servicedesk.tenancy.models import Location, Membership
from servicedesk.tenancy.roles import Role
from tests.factories import IntakeOrderFactory, ServiceTypeFactory

Stage = ChecklistStage

PHONE_CHECKLIST = [
    ItemData(Stage.INTAKE, ItemKind.TICK, "No cracks on the body"),
    ItemData(Stage.INTAKE, ItemKind.PHOTO, "Photo of the item", required=False),
    ItemData(
        Stage.DIAGNOSTICS,
        ItemKind.NUMBER,
        "Battery capacity",
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        unit="%",
    ),
    ItemData(Stage.DIAGNOSTICS, ItemKind.TEXT, "Fault found", required=False),
    ItemData(Stage.QUALITY, ItemKind.TICK, "Screen responds to touch"),
    ItemData(Stage.QUALITY, ItemKind.PHOTO, "Photo after the repair"),
    ItemData(Stage.HANDOVER, ItemKind.TICK, "The client checked it works"),
]


def member(tenant, user) -> Membership:
    return Membership.objects.select_related("user", "tenant").get(tenant=tenant, user=user)


@dataclass
class Shop:
    tenant: object
    location: Location
    service: ServiceType
    owner: Membership
    manager: Membership
    reception: Membership
    tech: Membership

    def take_in(self, service: ServiceType | None = None) -> Order:
        order = IntakeOrderFactory(
            tenant=self.tenant,
            by=self.reception,
            client_name="Anna Smith",
            client_phone=f"+7916{Order.objects.count():07d}",
            service_type=service or self.service,
            intake_location=self.location,
            problem="Cracked screen",
        )
        order_services.assign(
            order,
            technician=self.tech,
            workshop=self.location,
            by=self.manager,
            expected_version=order.version,
        )
        order.refresh_from_db()
        order.tenant = self.tenant
        return order

    def move(self, order: Order, action: str, by: Membership | None = None, reason: str = "") -> None:
        order.refresh_from_db()
        actor = by or {"plan": self.manager, "hand_over": self.reception}.get(action, self.tech)
        transition(order, action, by=actor, expected_version=order.version, reason=reason)
        order.refresh_from_db()

    def item(self, order: Order, label: str) -> ChecklistItem:
        return next(e.item for e in checklists.load_state(order).entries if e.item.label == label)

    def answer(self, order: Order, label: str, by: Membership | None = None, **value):
        item = self.item(order, label)
        entry = checklists.load_state(order).entry(item.pk)
        return checklists.answer_item(
            order, item, Answer(**value), by=by or self.tech, expected_revision=entry.revision
        )

    def fill(self, order: Order, stage: str) -> None:
        """Answer every required item of the stage."""
        for entry in checklists.load_state(order).stage(stage).entries:
            if not entry.item.required:
                continue
            kind = entry.item.kind
            value = {
                ItemKind.TICK: {"done": True},
                ItemKind.NUMBER: {"number": "87"},
                ItemKind.TEXT: {"text": "ok"},
                ItemKind.PHOTO: {"photo": photo()},
            }[kind]
            self.answer(order, entry.item.label, **value)


def make_shop(tenant_a, users_a, location_a) -> Shop:
    """Tenant A with a "Phone repair" service whose checklist is PHONE_CHECKLIST (version 1)."""
    manager = member(tenant_a, users_a[Role.MANAGER])
    service = ServiceTypeFactory(
        tenant=tenant_a,
        name="Phone repair",
        formats=[ServiceFormat.IN_SHOP],
        base_price=Decimal("0"),
        warranty_days=90,
    )
    checklists.save_checklist(service, PHONE_CHECKLIST, by=manager, expected_version=0)
    return Shop(
        tenant=tenant_a,
        location=location_a,
        service=service,
        owner=member(tenant_a, users_a[Role.OWNER]),
        manager=manager,
        reception=member(tenant_a, users_a[Role.RECEPTION]),
        tech=member(tenant_a, users_a[Role.TECHNICIAN]),
    )


def photo(name: str = "photo.jpg", size: tuple[int, int] = (40, 30), fmt: str = "JPEG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")
