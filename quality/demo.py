"""Demo feedback (what clients said about the demo center's handed-over orders) and the demo locations'
business hours. Safe to run again."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from orders.models import Order, OrderStatus

from . import hours, services
from .calendar import parse_hours
from .models import CalendarDay, Feedback

SAYINGS = [
    (5, "Fast and polite, thank you!"),
    (2, "Promised for Friday, ready on Monday. Nobody called."),
    (4, "Good work, but the pickup took a while."),
    (5, ""),
]


def seed_demo_feedback(staff) -> None:
    if Feedback.objects.for_tenant(staff.tenant).exists():
        return
    done = Order.objects.for_tenant(staff.tenant).filter(status=OrderStatus.HANDED_OVER).select_related("tenant").order_by("number")
    for order, (rating, comment) in zip(done, SAYINGS, strict=False):
        services.leave_feedback(order, rating=rating, comment=comment)


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


# --- Checklists --------------------------------------------------------------------------------------
# Service name -> items (stage, kind, label, required, min, max, unit). Saved through the real editor's
# service, so each is version 1 of its service's checklist.
DEMO_CHECKLISTS: dict[str, list[tuple]] = {
    "Phone screen replacement": [
        ("intake", "tick", "No cracks on the back or the frame", True, None, None, ""),
        ("intake", "photo", "Photo of the phone as received", False, None, None, ""),
        ("diagnostics", "number", "Battery health", True, 0, 100, "%"),
        ("diagnostics", "tick", "Touch tested outside the cracked area", False, None, None, ""),
        ("quality", "tick", "Touch works over the whole screen", True, None, None, ""),
        ("quality", "tick", "Face ID / fingerprint works", True, None, None, ""),
        ("quality", "photo", "Photo of the screen switched on", True, None, None, ""),
        ("handover", "tick", "The client checked the screen", True, None, None, ""),
    ],
    "Laptop diagnostics and repair": [
        ("intake", "text", "Marks and dents on the case", False, None, None, ""),
        ("diagnostics", "number", "Battery cycle count", True, 0, 5000, ""),
        ("diagnostics", "text", "Fault found", True, None, None, ""),
        ("quality", "number", "CPU temperature after 15 minutes under load", True, 30, 90, "°C"),
        ("quality", "tick", "Keyboard and touchpad tested", True, None, None, ""),
        ("quality", "photo", "Photo of the test results", True, None, None, ""),
        ("handover", "tick", "The client logged in and found their files", True, None, None, ""),
    ],
    "Washing machine repair": [
        ("intake", "tick", "Water supply closed, hoses inspected", True, None, None, ""),
        ("diagnostics", "text", "Error code shown", False, None, None, ""),
        ("quality", "tick", "Test cycle with water completed", True, None, None, ""),
        ("quality", "photo", "Photo of the floor under the machine (no leaks)", True, None, None, ""),
        ("handover", "tick", "The client saw the machine run", True, None, None, ""),
    ],
    "Data recovery": [
        ("intake", "number", "Drive capacity", True, 1, 100000, "GB"),
        ("diagnostics", "text", "SMART status", True, None, None, ""),
        ("quality", "tick", "A sample of recovered files opens", True, None, None, ""),
        ("handover", "tick", "The client confirmed the files", True, None, None, ""),
    ],
    "Car diagnostics": [
        ("intake", "number", "Mileage", True, 0, 2000000, "km"),
        ("intake", "text", "Fuel level", False, None, None, ""),
        ("diagnostics", "text", "Error codes read", True, None, None, ""),
        ("quality", "tick", "Test drive done", True, None, None, ""),
        ("handover", "tick", "The client was shown the report", True, None, None, ""),
    ],
}

# Demo answers by item label (a tick is ticked, a photo is drawn).
DEMO_ANSWERS = {
    "Battery health": "86", "Battery cycle count": "412", "Fault found": "Fan clogged with dust, thermal paste dried",
    "CPU temperature after 15 minutes under load": "71", "Marks and dents on the case": "Scuffed lid corner",
    "Error code shown": "E18 (drain)", "Drive capacity": "1000", "SMART status": "Reallocated sectors: 312",
    "Mileage": "84210", "Fuel level": "About a quarter", "Error codes read": "P0171 (system too lean)",
}

# (service, path to walk, stages whose required items are answered on the way, extra optional answers)
# (service, the path it walks (answering each stage's checks before the move that needs them), the client,
# the item, the problem)
DEMO_CHECKLIST_ORDERS = [
    ("Phone screen replacement", ["plan", "start_diagnostics", "start_work", "finish_work", "pass_check",
                                  "hand_over"], "Elena Kuznetsova", ("Phone", "Apple", "iPhone 14"), "Cracked screen"),
    ("Laptop diagnostics and repair", ["plan", "start_diagnostics", "start_work", "finish_work", "return_to_work",
                                       "finish_work"], "Dmitry Volkov", ("Laptop", "HP", "EliteBook 840"),
     "Gets very hot and switches off"),
    ("Washing machine repair", ["plan", "start_diagnostics"], "Anna Morozova", ("Washing machine", "LG", "F2J3"),
     "Does not drain"),
    ("Phone screen replacement", [], "Sergey Lebedev", ("Phone", "Xiaomi", "Redmi Note 12"), "Screen flickers"),
]


def _demo_photo(label: str):
    """A 640×480 picture standing in for a phone photo: a gradient and the item's label."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), "#20324d")
    draw = ImageDraw.Draw(image)
    for y in range(0, 480, 8):
        draw.rectangle((0, y, 640, y + 8), fill=(32 + y // 8, 50 + y // 6, 77 + y // 5))
    draw.rectangle((40, 40, 600, 440), outline="#ffffff", width=4)
    draw.text((60, 220), label[:60], fill="#ffffff")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile("demo.jpg", buffer.getvalue(), content_type="image/jpeg")


def seed_demo_checklists(staff) -> None:
    """Checklists for the demo's services, and four orders that follow them (taken in after the checklists,
    walked through the real lifecycle, answered through the real services): one handed over with every
    check answered (and a photo on its completion act), one back at the quality check after a failed
    check, one in diagnostics, one just taken in. Safe to run again."""
    from decimal import Decimal

    from orders import services as order_services
    from orders.demo import CLIENTS, walk_to
    from orders.lifecycle import TRANSITIONS
    from orders.models import Client, ServiceFormat, ServiceType
    from servicedesk.tenancy.models import Membership
    from servicedesk.tenancy.roles import Role

    from . import checklists
    from .models import ChecklistVersion, OrderChecklist

    tenant = staff.tenant
    members = {m.role: m for m in Membership.objects.for_tenant(tenant).select_related("user", "tenant")}
    manager, reception = members[Role.MANAGER], members[Role.RECEPTION]
    # The demo's own technician (tech@), who logs in to try the phone page: not another technician.
    technician = Membership.objects.select_related("user", "tenant").get(tenant=tenant, user=staff.users[Role.TECHNICIAN])
    types = {t.name: t for t in ServiceType.objects.for_tenant(tenant)}
    for name, rows in DEMO_CHECKLISTS.items():
        service = types.get(name)
        if service is None or ChecklistVersion.objects.filter(tenant=tenant, service_type=service).exists():
            continue
        checklists.save_checklist(service, [
            checklists.ItemData(stage, kind, label, required, Decimal(low) if low is not None else None,
                                Decimal(high) if high is not None else None, unit)
            for stage, kind, label, required, low, high, unit in rows], by=manager, expected_version=0)
    if OrderChecklist.objects.filter(tenant=tenant).exists():
        return

    phones = {name: phone for name, phone, _email in CLIENTS}

    def fill(order, stage: str, *, everything: bool = False) -> None:
        state = checklists.load_state(order)
        found = state.stage(stage) if state else None
        for entry in found.entries if found else []:
            if entry.answered or not (entry.item.required or everything):
                continue
            by = reception if stage in {"intake", "handover"} else technician
            item = entry.item
            value = checklists.Answer(done=True, number=DEMO_ANSWERS.get(item.label),
                                      text=DEMO_ANSWERS.get(item.label, "OK"),
                                      photo=_demo_photo(item.label) if item.kind == "photo" else None)
            checklists.answer_item(order, item, value, by=by, expected_revision=entry.revision)

    for name, path, client_name, (kind, brand, model), problem in DEMO_CHECKLIST_ORDERS:
        service = types.get(name)
        if service is None:
            continue
        phone = phones.get(client_name, "+79161234599")
        order = order_services.take_in(tenant, order_services.IntakeData(
            client=Client.objects.for_tenant(tenant).filter(phone=phone).first(), client_name=client_name,
            client_phone=phone, client_email="", consent=True, service_type=service,
            format=ServiceFormat.IN_SHOP if ServiceFormat.IN_SHOP in service.formats else service.formats[0],
            intake_location=staff.head_office, problem=problem, item_kind=kind, item_brand=brand, item_model=model,
            estimate=service.base_price,
        ), by=reception)
        order.tenant = tenant
        everything = bool(path) and path[-1] == "hand_over"
        for action in path:
            order.refresh_from_db()
            stage = checklists.gate_stage(order, TRANSITIONS[action])
            if stage:
                fill(order, stage, everything=everything)
            reason = "The fan still rattles under load" if action == "return_to_work" else ""
            if action == "return_to_work":
                from orders.lifecycle import transition

                transition(order, action, by=manager, expected_version=order.version, reason=reason)
                continue
            walk_to(order, "", manager=manager, technician=technician, reception=reception, workshop=staff.workshop,
                    path=[action])
        order.refresh_from_db()
        if path and path[-1] == "finish_work":  # back at the check: a part answered, the photo still missing
            state = checklists.load_state(order)
            first = next((e for e in state.missing("quality") if e.item.kind != "photo"), None) if state else None
            if first is not None:
                checklists.answer_item(order, first.item, checklists.Answer(done=True, number="64"),
                                       by=technician, expected_revision=first.revision)
