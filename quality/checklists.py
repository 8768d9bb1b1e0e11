"""Checklists: each service type's list of checks, versioned, and each order's answers.

- A manager edits a service type's checklist (`save_checklist`): every save makes a new version; the
  newest is in force. An order follows the version its service had when it was taken in (`pin`, from
  the `created` event), so editing a checklist never changes an order under way.
- Items are answered with a tick, a number within its range, a short text or a photo (stored as an
  OrderPhoto through servicedesk.images, like every photo of the order). Each belongs to a stage.
- A stage's required items must be answered before the order leaves the stage (`gate_stage`, enforced by a
  guard the lifecycle asks: `checklist_guard`); the refusal names what is missing. Once the order is past
  a stage its answers are frozen (`frozen_reason`).

Pages load the state of many orders in three queries (`load_states`), so lists stay constant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.lifecycle import Transition, prepared
from orders.models import Order, OrderStatus, ServiceType
from orders.money import lock_order
from orders.permissions import check_actor
from orders.services import add_photo
from servicedesk.images import NormalisedImage
from servicedesk.tenancy.audit import Action, record
from servicedesk.tenancy.models import Membership
from servicedesk.tenancy.roles import Perm

from .models import (
    MAX_ANSWER_TEXT,
    STAGE_ORDER,
    ChecklistAnswer,
    ChecklistItem,
    ChecklistStage,
    ChecklistVersion,
    ItemKind,
    OrderChecklist,
)

S = OrderStatus
Stage = ChecklistStage
MAX_ITEMS = 60
NUMBER_LIMIT = Decimal("999999999")  # what the answer column holds (12 digits, 3 after the point)

# Who answers a stage's items. Each perm with the assignment rule (orders.permissions): a technician
# answers only on orders assigned to them; reception fills in the intake and handover checks at the counter.
ANSWER_PERMS: dict[str, tuple[Perm, ...]] = {
    Stage.INTAKE: (Perm.ORDERS_CREATE, Perm.ORDERS_WORK),
    Stage.DIAGNOSTICS: (Perm.ORDERS_WORK,),
    Stage.QUALITY: (Perm.ORDERS_WORK,),
    Stage.HANDOVER: (Perm.ORDERS_HANDOVER, Perm.ORDERS_WORK),
}

# The moves each stage's required items must be answered before. Diagnostics: any move from planned or
# diagnostics into the work itself (starting work straight from "planned" does not skip the
# diagnostics checks); hold and cancel are never blocked.
_DIAGNOSTICS_EXITS = frozenset({"start_work", "request_approval", "wait_for_parts"})
# The statuses (an order on hold counts as the status it was put on hold in) in which a stage is passed.
_PASSED: dict[str, frozenset[str]] = {
    Stage.INTAKE: frozenset(S) - {S.NEW},
    Stage.DIAGNOSTICS: frozenset(
        {
            S.AWAITING_APPROVAL,
            S.AWAITING_PARTS,
            S.IN_PROGRESS,
            S.QUALITY_CHECK,
            S.READY,
            S.HANDED_OVER,
            S.CANCELLED,
        }
    ),
    Stage.QUALITY: frozenset({S.READY, S.HANDED_OVER, S.CANCELLED}),
    Stage.HANDOVER: frozenset({S.HANDED_OVER, S.CANCELLED}),
}


def gate_stage(order: Order, t: Transition) -> str | None:
    """The stage whose required items this move needs, or None."""
    if t.action == "plan":
        return Stage.INTAKE
    if t.action in _DIAGNOSTICS_EXITS and order.status in {S.PLANNED, S.DIAGNOSTICS}:
        return Stage.DIAGNOSTICS
    if t.action == "pass_check":
        return Stage.QUALITY
    if t.action == "hand_over":
        return Stage.HANDOVER
    return None


def _effective_status(order: Order) -> str:
    return (
        order.status_before_hold if order.status == S.ON_HOLD and order.status_before_hold else order.status
    )


def stage_passed(order: Order, stage: str) -> bool:
    return _effective_status(order) in _PASSED[stage]


def stage_label(stage: str) -> str:
    return str(Stage(stage).label)


# --- State: an order's items and answers ------------------------------------------------------------
@dataclass
class Entry:
    item: ChecklistItem
    answer: ChecklistAnswer | None

    @property
    def answered(self) -> bool:
        return self.answer is not None and self.answer.is_answered

    @property
    def revision(self) -> int:
        return self.answer.revision if self.answer else 0


@dataclass
class StageState:
    stage: str
    entries: list[Entry]
    passed: bool

    @property
    def label(self) -> str:
        return stage_label(self.stage)

    @property
    def missing(self) -> list[Entry]:
        return [e for e in self.entries if e.item.required and not e.answered]

    @property
    def answered_count(self) -> int:
        return sum(1 for e in self.entries if e.answered)

    @property
    def required_count(self) -> int:
        return sum(1 for e in self.entries if e.item.required)


@dataclass
class ChecklistState:
    version: ChecklistVersion
    stages: list[StageState] = field(default_factory=list)

    def stage(self, stage: str) -> StageState | None:
        return next((s for s in self.stages if s.stage == stage), None)

    def missing(self, stage: str) -> list[Entry]:
        found = self.stage(stage)
        return found.missing if found else []

    @property
    def entries(self) -> list[Entry]:
        return [e for s in self.stages for e in s.entries]

    @property
    def answered_count(self) -> int:
        return sum(s.answered_count for s in self.stages)

    @property
    def total(self) -> int:
        return sum(len(s.entries) for s in self.stages)

    @property
    def current(self) -> StageState | None:
        """The first stage not yet passed: where the order is now."""
        return next((s for s in self.stages if not s.passed), None)

    def entry(self, item_id: int) -> Entry | None:
        return next((e for e in self.entries if e.item.pk == item_id), None)


def load_states(orders: Iterable[Order]) -> dict[int, ChecklistState]:
    """The checklist state of each order that has one (three queries for any number of orders)."""
    orders = list(orders)
    if not orders:
        return {}
    tenant_ids = {o.tenant_id for o in orders}
    pins = list(
        OrderChecklist.objects.filter(
            tenant_id__in=tenant_ids, order__in=[o.pk for o in orders]
        ).select_related("version")
    )
    if not pins:
        return {}
    items_of: dict[int, list[ChecklistItem]] = {}
    for item in ChecklistItem.objects.filter(
        tenant_id__in=tenant_ids, version__in={p.version_id for p in pins}
    ):
        items_of.setdefault(item.version_id, []).append(item)
    answers: dict[tuple[int, int], ChecklistAnswer] = {
        (a.order_id, a.item_id): a
        for a in ChecklistAnswer.objects.filter(
            tenant_id__in=tenant_ids, order__in=[p.order_id for p in pins]
        ).select_related("photo", "answered_by")
    }
    by_id = {o.pk: o for o in orders}
    states = {}
    for pin in pins:
        order = by_id[pin.order_id]
        state = ChecklistState(version=pin.version)
        items = items_of.get(pin.version_id, [])
        for stage in STAGE_ORDER:
            entries = []
            for item in items:
                if item.stage == stage:
                    answer = answers.get((order.pk, item.pk))
                    if answer is not None:
                        answer.item = item
                    entries.append(Entry(item, answer))
            if entries:
                state.stages.append(StageState(stage, entries, stage_passed(order, stage)))
        states[order.pk] = state
    return states


def load_state(order: Order) -> ChecklistState | None:
    return load_states([order]).get(order.pk)


# --- The lifecycle's guard --------------------------------------------------------------------------
GUARD_KEY = "checklist"


def prepare(orders: list[Order]) -> None:
    states = load_states(orders)
    for order in orders:
        data = prepared(order)
        if data is not None:
            data[GUARD_KEY] = states.get(order.pk)


def state_of(order: Order) -> ChecklistState | None:
    """The prepared state (a page called orders.lifecycle.prepare_guards) or a fresh one."""
    data = prepared(order)
    if data is not None and GUARD_KEY in data:
        return data[GUARD_KEY]
    return load_state(order)


def missing_sentence(stage: str, missing: list[Entry]) -> str:
    return _("Fill in the checklist first (%(stage)s): %(items)s.") % {
        "stage": stage_label(stage),
        "items": ", ".join(f"“{e.item.label}”" for e in missing),
    }


def checklist_guard(order: Order, t: Transition, by: Membership | None) -> str | None:
    """The lifecycle asks this before every move: a stage's required items block leaving it."""
    stage = gate_stage(order, t)
    if stage is None:
        return None
    state = state_of(order)
    missing = state.missing(stage) if state else []
    return missing_sentence(stage, missing) if missing else None


# --- Pinning the version ----------------------------------------------------------------------------
def current_version(service_type: ServiceType) -> ChecklistVersion | None:
    return (
        ChecklistVersion.objects.filter(tenant_id=service_type.tenant_id, service_type=service_type)
        .order_by("-number")
        .first()
    )


def pin(order: Order) -> OrderChecklist | None:
    """Give a new order its service's checklist in force (none if the service has no items)."""
    version = current_version(order.service_type)
    if (
        version is None
        or not ChecklistItem.objects.filter(tenant_id=order.tenant_id, version=version).exists()
    ):
        return None
    pinned, _created = OrderChecklist.objects.get_or_create(
        tenant_id=order.tenant_id, order=order, defaults={"version": version}
    )
    return pinned


# --- Answering --------------------------------------------------------------------------------------
class AnswerChanged(ValidationError):
    """Someone else changed this answer since the page was loaded."""


def frozen_reason(order: Order, stage: str) -> str | None:
    """Why the stage's answers can no longer change, or None."""
    if not order.is_open:
        return _("The order is closed: its checklist answers are kept as they were.")
    if stage_passed(order, stage):
        return _("The order is past “%(stage)s” (now “%(status)s”): those answers are kept as they were.") % {
            "stage": stage_label(stage),
            "status": order.get_status_display(),
        }
    return None


def clean_number(item: ChecklistItem, value) -> Decimal | None:
    """The number for this item, or ValidationError with a sentence naming the item and its range."""
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("“%(item)s”: enter a number.") % {"item": item.label}) from None
    if not number.is_finite() or abs(number) > NUMBER_LIMIT:
        raise ValidationError(_("“%(item)s”: enter a number.") % {"item": item.label})
    low, high = item.min_value, item.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValidationError(
            _("“%(item)s”: %(value)s is outside the allowed range %(range)s.")
            % {"item": item.label, "value": plain_number(number), "range": range_text(item)}
        )
    return number.quantize(Decimal("0.001"))


def plain_number(number: Decimal) -> str:
    """87.500 -> "87.5", 100.000 -> "100" (never "1E+2")."""
    return format(number.normalize(), "f")


def range_text(item: ChecklistItem) -> str:
    unit = f" {item.unit}" if item.unit else ""
    if item.min_value is not None and item.max_value is not None:
        return f"{plain_number(item.min_value)}–{plain_number(item.max_value)}{unit}"
    if item.min_value is not None:
        return _("at least %(value)s") % {"value": f"{plain_number(item.min_value)}{unit}"}
    if item.max_value is not None:
        return _("at most %(value)s") % {"value": f"{plain_number(item.max_value)}{unit}"}
    return ""


@dataclass
class Answer:
    """What was entered for one item: the field of its kind (the others are ignored)."""

    done: bool = False
    number: Decimal | str | None = None
    text: str = ""
    photo: NormalisedImage | File | None = None


@transaction.atomic
def answer_item(
    order: Order, item: ChecklistItem, answer: Answer, *, by: Membership, expected_revision: int
) -> ChecklistAnswer:
    """Record the answer to one item of the order's checklist.

    Refused (ValidationError, with the sentence) when the item is not on the order's checklist, the stage
    is passed (answers frozen), the value is not one the item takes, or someone else changed the answer
    since `expected_revision` (AnswerChanged). ActorRefused when `by` may not answer this stage.
    """
    check_actor(by, ANSWER_PERMS[item.stage], order)
    # The order's row lock serialises answers with the lifecycle's moves: no answer changes after its stage
    # was passed, and a move never passes a stage on answers that are changing.
    lock_order(order)
    order.refresh_from_db(fields=["status", "status_before_hold", "version"])
    pinned = (
        OrderChecklist.objects.filter(tenant_id=order.tenant_id, order=order)
        .values_list("version_id", flat=True)
        .first()
    )
    if pinned is None or pinned != item.version_id or item.tenant_id != order.tenant_id:
        raise ValidationError(_("This item is not on this order's checklist."))
    frozen = frozen_reason(order, item.stage)
    if frozen:
        raise ValidationError(frozen)

    values: dict = {"done": False, "number": None, "text": "", "photo": None}
    if item.kind == ItemKind.TICK:
        values["done"] = bool(answer.done)
    elif item.kind == ItemKind.NUMBER:
        values["number"] = clean_number(item, answer.number)
    elif item.kind == ItemKind.TEXT:
        text = (answer.text or "").replace("\x00", "").strip()
        if len(text) > MAX_ANSWER_TEXT:
            raise ValidationError(
                _("“%(item)s”: at most %(max)s characters.") % {"item": item.label, "max": MAX_ANSWER_TEXT}
            )
        values["text"] = text
    elif answer.photo is None:
        raise ValidationError(_("“%(item)s”: choose a photo.") % {"item": item.label})
    photo = answer.photo

    changed = AnswerChanged(
        _(
            "Someone else changed “%(item)s” meanwhile; here is their answer. Check it and change "
            "it again if needed."
        )
        % {"item": item.label}
    )
    existing = ChecklistAnswer.objects.filter(tenant_id=order.tenant_id, order=order, item=item).first()
    revision = existing.revision if existing else 0
    if revision != expected_revision:
        raise changed
    if item.kind == ItemKind.PHOTO and photo is not None:
        # Stored as a photo of the order (re-encoded without metadata, on the timeline, in the gallery).
        caption = (_("Checklist: %(item)s") % {"item": item.label})[:200]
        values["photo"] = add_photo(order, image=photo, caption=caption, by=by)
    values.update(answered_by=by.user, answered_at=timezone.now())
    if existing is None:
        try:
            with transaction.atomic():
                return ChecklistAnswer.objects.create(
                    tenant_id=order.tenant_id, order=order, item=item, revision=1, **values
                )
        except IntegrityError:  # created a moment ago by someone else
            raise changed from None
    for name, value in values.items():
        setattr(existing, name, value)
    existing.revision = revision + 1
    existing.save()
    return existing


# --- Editing a checklist: a new version -------------------------------------------------------------
@dataclass(frozen=True)
class ItemData:
    stage: str
    kind: str
    label: str
    required: bool = True
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    unit: str = ""

    @classmethod
    def of(cls, item: ChecklistItem) -> ItemData:
        return cls(
            item.stage, item.kind, item.label, item.required, item.min_value, item.max_value, item.unit
        )


class ChecklistChanged(ValidationError):
    """Someone saved this checklist since the editor was opened."""


def _clean_item(data: ItemData, position: int) -> ItemData:
    label = " ".join((data.label or "").replace("\x00", "").split())
    if not label:
        raise ValidationError(_("Item %(n)s: say what to check.") % {"n": position})
    if len(label) > 200:
        raise ValidationError(_("Item %(n)s: at most 200 characters.") % {"n": position})
    if data.stage not in Stage.values:
        raise ValidationError(_("Item %(n)s: choose a stage.") % {"n": position})
    if data.kind not in ItemKind.values:
        raise ValidationError(_("Item %(n)s: choose how it is answered.") % {"n": position})
    low, high, unit = data.min_value, data.max_value, (data.unit or "").strip()[:20]
    if data.kind != ItemKind.NUMBER:
        low = high = None
        unit = ""
    for bound in (low, high):
        if bound is not None and (not bound.is_finite() or abs(bound) > NUMBER_LIMIT):
            raise ValidationError(
                _("Item %(n)s: the range must be numbers below a billion.") % {"n": position}
            )
    if low is not None and high is not None and low > high:
        raise ValidationError(_("Item %(n)s: “at least” is more than “at most”.") % {"n": position})
    return ItemData(
        data.stage,
        data.kind,
        label,
        bool(data.required),
        low.quantize(Decimal("0.001")) if low is not None else None,
        high.quantize(Decimal("0.001")) if high is not None else None,
        unit,
    )


def _normalised(data: ItemData) -> ItemData:
    """For comparing with stored items (decimals stored with three places)."""
    q = Decimal("0.001")
    return ItemData(
        data.stage,
        data.kind,
        data.label,
        data.required,
        data.min_value.quantize(q) if data.min_value is not None else None,
        data.max_value.quantize(q) if data.max_value is not None else None,
        data.unit,
    )


def version_items(version: ChecklistVersion | None) -> list[ChecklistItem]:
    if version is None:
        return []
    return list(
        ChecklistItem.objects.filter(tenant_id=version.tenant_id, version=version).order_by("position", "id")
    )


@transaction.atomic
def save_checklist(
    service_type: ServiceType, items: list[ItemData], *, by: Membership, expected_version: int
) -> ChecklistVersion | None:
    """Save the service type's checklist as a new version (in this order). Orders already taken in keep
    theirs. Returns the new version, or None when nothing changed. `expected_version`: the version number
    the editor showed (0: none yet); someone else's newer save is never overwritten (ChecklistChanged)."""
    check_actor(by, Perm.CATALOGUE_MANAGE, tenant_id=service_type.tenant_id)
    if len(items) > MAX_ITEMS:
        raise ValidationError(_("At most %(max)s items in a checklist.") % {"max": MAX_ITEMS})
    cleaned = [_clean_item(data, n) for n, data in enumerate(items, start=1)]
    # The service type's row lock serialises two managers saving at once.
    ServiceType.objects.select_for_update().filter(
        pk=service_type.pk, tenant_id=service_type.tenant_id
    ).values_list("pk").first()
    current = current_version(service_type)
    if (current.number if current else 0) != expected_version:
        raise ChecklistChanged(
            _("Someone else saved this checklist meanwhile. Here is their version; make your changes again.")
        )
    previous = [_normalised(ItemData.of(i)) for i in version_items(current)]
    if previous == cleaned:
        return None
    version = ChecklistVersion.objects.create(
        tenant_id=service_type.tenant_id,
        service_type=service_type,
        number=(current.number if current else 0) + 1,
        created_by=by.user,
    )
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(
                tenant_id=service_type.tenant_id,
                version=version,
                position=n,
                stage=d.stage,
                kind=d.kind,
                label=d.label,
                required=d.required,
                min_value=d.min_value,
                max_value=d.max_value,
                unit=d.unit,
            )
            for n, d in enumerate(cleaned, start=1)
        ]
    )
    _record_version(by, service_type, version, previous, cleaned)
    return version


def _item_text(data: ItemData) -> str:
    """A check as the audit log keeps it: "intake, tick: Screen intact", "quality, number: Voltage
    (11.5-12.5 V), optional"."""
    text = f"{data.stage}, {data.kind}: {data.label}"
    if data.min_value is not None or data.max_value is not None:
        low = plain_number(data.min_value) if data.min_value is not None else ""
        high = plain_number(data.max_value) if data.max_value is not None else ""
        text += f" ({low}-{high}{' ' + data.unit if data.unit else ''})"
    return text if data.required else f"{text}, optional"


def _record_version(
    by: Membership,
    service_type: ServiceType,
    version: ChecklistVersion,
    before: list[ItemData],
    after: list[ItemData],
) -> None:
    """The audit log's entry of a saved checklist: added (there was none, or an empty one), retired (saved
    empty: no checks in force any more) or changed (a new version), with the checks before and after."""
    old, new = [_item_text(d) for d in before], [_item_text(d) for d in after]
    if not old:
        record(
            by,
            Action.CHECKLIST_CREATED,
            service_type.name,
            {"version": version.number, "after": {"items": new}},
        )
    elif not new:
        record(
            by,
            Action.CHECKLIST_RETIRED,
            service_type.name,
            {"version": version.number, "before": {"items": old}},
        )
    else:
        record(
            by,
            Action.CHECKLIST_CHANGED,
            service_type.name,
            {"version": version.number, "before": {"items": old}, "after": {"items": new}},
        )


# --- On documents (the completion act) --------------------------------------------------------------
# Printed words must be right in each document's language whatever the interface's translations say
# (as documents.variables does for its own).
DOCUMENT_WORDS = {
    "en": {
        "yes": "Yes",
        "no": "No",
        "photo": "Photo taken",
        "none": "—",
        Stage.INTAKE: "Intake",
        Stage.DIAGNOSTICS: "Diagnostics",
        Stage.QUALITY: "Quality check",
        Stage.HANDOVER: "Handover",
    },
    "ru": {
        "yes": "Да",
        "no": "Нет",
        "photo": "Фото сделано",
        "none": "—",
        Stage.INTAKE: "Приёмка",
        Stage.DIAGNOSTICS: "Диагностика",
        Stage.QUALITY: "Контроль качества",
        Stage.HANDOVER: "Выдача",
    },
    "id": {
        "yes": "Ya",
        "no": "Tidak",
        "photo": "Foto diambil",
        "none": "—",
        Stage.INTAKE: "Penerimaan",
        Stage.DIAGNOSTICS: "Diagnosis",
        Stage.QUALITY: "Pemeriksaan kualitas",
        Stage.HANDOVER: "Serah terima",
    },
}


def _answer_text(entry: Entry, words: dict, language: str) -> str:
    item, answer = entry.item, entry.answer
    if item.kind == ItemKind.TICK:
        return words["yes"] if entry.answered else words["no"]
    if answer is None or not entry.answered:
        return words["none"]
    if item.kind == ItemKind.NUMBER and answer.number is not None:
        number = plain_number(answer.number)
        if language in ("ru", "id"):
            number = number.replace(".", ",")
        return f"{number} {item.unit}".strip()
    if item.kind == ItemKind.TEXT:
        return answer.text
    return words["photo"]


def document_rows(order: Order, language: str) -> list[dict]:
    """The `checklist` variable of documents: one row per item of the order's checklist, in stage order."""
    state = load_state(order)
    if state is None:
        return []
    words = DOCUMENT_WORDS.get(language, DOCUMENT_WORDS["en"])
    rows = []
    for stage in state.stages:
        for entry in stage.entries:
            photo = entry.answer.photo if entry.answer is not None and entry.answer.photo_id else None
            stored = (photo.display or photo.image) if photo is not None else None
            rows.append(
                {
                    "stage": words[stage.stage],
                    "label": entry.item.label,
                    "answer": _answer_text(entry, words, language),
                    "kind": entry.item.kind,
                    "answered": entry.answered,
                    "required": entry.item.required,
                    "photo": f"/media/{stored.name}" if stored else "",
                }
            )
    return rows


def sample_rows(language: str) -> list[dict]:
    words = DOCUMENT_WORDS.get(language, DOCUMENT_WORDS["en"])
    ru = language == "ru"
    sample = [
        (Stage.INTAKE, "Корпус без трещин" if ru else "No cracks on the body", ItemKind.TICK, words["yes"]),
        (Stage.DIAGNOSTICS, "Ёмкость аккумулятора" if ru else "Battery capacity", ItemKind.NUMBER, "87 %"),
        (
            Stage.QUALITY,
            "Фото после ремонта" if ru else "Photo after the repair",
            ItemKind.PHOTO,
            words["photo"],
        ),
        (
            Stage.HANDOVER,
            "Клиент проверил работу" if ru else "The client checked it works",
            ItemKind.TICK,
            words["yes"],
        ),
    ]
    return [
        {
            "stage": words[stage],
            "label": label,
            "answer": answer,
            "kind": kind,
            "answered": True,
            "required": True,
            "photo": "",
        }
        for stage, label, kind, answer in sample
    ]
