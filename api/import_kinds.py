"""What a row of each kind of import means (api/imports.py reads the files and runs the rows):

- clients and their devices: a client found by phone (E.164, the center's country), a device by its
  client and serial number (or kind, brand and model when it has none);
- the service catalogue: a service found by name; new ones go through the web's ServiceTypeForm;
- parts with stock per location: a part found by SKU (new ones through the web's PartForm); the quantity
  a location holds is received once, as a receipt "Imported" of stock.services (so the journal adds up
  to the levels), and recorded under (part, location) so importing the file again adds nothing;
- past orders: recorded under the previous system's number (the external id, required), through
  orders.history_import.import_past_order; the client is found or created by the clients' rule.

A row function checks everything first and, unless it is a dry run, saves; it returns the names of the
counts it adds to, or raises ValidationError with the reason. The engine reads the file in chunks
(imports.CHUNK_ROWS rows) and runs each chunk in one transaction, each row in a savepoint of its own, so
a bad row is never half saved. The clients' kind has a chunk function instead (client_chunk): the chunk's
clients and devices looked up in one query each, every row checked by plain functions (ClientForm's own
fields, not a form per row), the good rows written in bulk. A row already imported (or already here) is
counted, not changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from orders.forms import ClientForm, ServiceTypeForm, refuse_erased
from orders.history_import import PastOrder, check_past_order, import_past_order
from orders.items import normalise_serial
from orders.models import Client, Item, OrderStatus, ServiceFormat, ServiceType
from orders.services import normalise_phone
from servicedesk.tenancy.models import Location, Membership, Tenant
from servicedesk.tenancy.roles import StrOrPromise
from stock import services as stock
from stock.forms import PartForm
from stock.models import Part, StockLevel

from .import_values import (
    parse_amount,
    parse_choice,
    parse_date,
    parse_quantity,
    parse_whole,
    parse_yes_no,
)
from .models import ImportedRecord, ImportJob


@dataclass(frozen=True)
class Target:
    name: str
    label: StrOrPromise  # a lazy translation
    required: bool
    # Lower-case header words that suggest this column (English, Russian, Indonesian, common CRM exports).
    hints: tuple[str, ...]


@dataclass
class RowContext:
    tenant: Tenant
    job: ImportJob
    dry_run: bool
    by: Membership | None  # who uploaded the file (the services ask who acts)
    seen: dict = field(default_factory=dict)  # per run: what earlier rows of the file found or made


RowFunction = Callable[[RowContext, dict[str, str]], list[str]]
# Many rows at once: (spreadsheet row number, values) in, a RowResult per row out (see client_chunk).
ChunkFunction = Callable[[RowContext, list[tuple[int, dict[str, str]]]], list["RowResult"]]


@dataclass(frozen=True)
class Kind:
    targets: list[Target]
    row: RowFunction
    counts: tuple[str, ...]
    summary: Callable[[dict[str, int], int], str]  # (counts, rows with problems) -> a sentence
    needs_member: bool = False  # the services it calls record who acted
    # Where the rows' lookups and writes are done for a chunk at once; without it, row by row.
    chunk: ChunkFunction | None = None
    # Row by row, after a look-up of what the chunk's rows name, in a query each (see prepare_orders).
    prepare: Callable[[RowContext, list[dict[str, str]]], None] | None = None


def _label(targets: list[Target], name: str) -> str:
    return str(next(target.label for target in targets if target.name == name))


def _limit(values: dict[str, str], limits: dict[str, int], targets: list[Target]) -> None:
    for key, limit in limits.items():
        if len(values.get(key, "")) > limit:
            raise ValidationError(
                _("%(field)s is longer than %(count)s characters.")
                % {"field": _label(targets, key), "count": limit}
            )


def _form_errors(form) -> str:
    return " ".join(
        f"{form.fields[f].label if f in form.fields else ''}: {m}".lstrip(": ")
        for f, ms in form.errors.items()
        for m in ms
    )


# --- Clients and their devices -------------------------------------------------------------------

CLIENT_TARGETS = [
    Target(
        "name",
        gettext_lazy("Client name"),
        True,
        ("name", "client", "customer", "full name", "имя", "фио", "клиент", "nama", "pelanggan"),
    ),
    Target(
        "phone", gettext_lazy("Phone"), True, ("phone", "mobile", "tel", "телефон", "тел", "telepon", "hp")
    ),
    Target("email", gettext_lazy("E-mail"), False, ("email", "e-mail", "mail", "почта")),
    Target(
        "notes",
        gettext_lazy("Notes"),
        False,
        ("note", "notes", "comment", "примечание", "комментарий", "catatan"),
    ),
    Target(
        "item_kind",
        gettext_lazy("Device kind"),
        False,
        ("kind", "device", "type", "тип", "устройство", "perangkat"),
    ),
    Target(
        "item_brand",
        gettext_lazy("Brand"),
        False,
        ("brand", "make", "manufacturer", "бренд", "марка", "производитель", "merek"),
    ),
    Target("item_model", gettext_lazy("Model"), False, ("model", "модель")),
    Target(
        "item_serial",
        gettext_lazy("Serial number"),
        False,
        ("serial", "imei", "sn", "vin", "серийный", "серийный номер", "nomor seri"),
    ),
]
ITEM_LIMITS = {"item_kind": 60, "item_brand": 60, "item_model": 100, "item_serial": 64}


def _client_data(existing: Client | None, values: dict[str, str]) -> dict[str, object]:
    """The client form's data: a new client from the row; a known one keeps what it has and gains what
    was empty (so importing the same file again changes nothing)."""
    if existing is None:
        return {
            "name": values.get("name", ""),
            "phone": values.get("phone", ""),
            "email": values.get("email", ""),
            "notes": values.get("notes", ""),
            "notify_email": "on",
            "notify_sms": "on",
        }
    data: dict[str, object] = {
        "name": existing.name,
        "phone": existing.phone,
        "email": existing.email or values.get("email", ""),
        "notes": existing.notes or values.get("notes", ""),
    }
    data |= {key: "on" for key in ("notify_email", "notify_sms") if getattr(existing, key)}
    return data


# The cells a row's client is checked on, in ClientForm's order (its errors are listed in that order).
CLIENT_CELLS = ("name", "phone", "email", "notes")


def check_client(ctx: RowContext, existing: Client | None, values: dict[str, str]) -> dict[str, str]:
    """The row's client cells (the phone already normalised) checked by ClientForm's own fields (their
    limits and sentences, e.g. "Name: This field is required.") and its rule on erased clients, without
    a form per row: a form's construction and model validation cost more than the import's writes. The
    cleaned values of `existing` completed by the row, or ValidationError with every problem."""
    fields = ctx.seen.get("client_fields")
    if fields is None:  # built once per run: the same fields a ClientForm of this center has
        fields = ctx.seen["client_fields"] = ClientForm(tenant=ctx.tenant).fields
    data = _client_data(existing, values)
    cleaned: dict[str, str] = {}
    problems: list[str] = []
    for name in CLIENT_CELLS:
        try:
            cleaned[name] = fields[name].clean(data.get(name, ""))
        except ValidationError as problem:
            problems.extend(f"{fields[name].label}: {message}" for message in problem.messages)
    if existing is not None:
        try:
            refuse_erased(existing)
        except ValidationError as problem:
            problems.extend(problem.messages)
    if problems:
        raise ValidationError(" ".join(problems))
    return cleaned


def _new_client(tenant: Tenant, cleaned: dict[str, str]) -> Client:
    return Client(tenant=tenant, notify_email=True, notify_sms=True, **cleaned)


def _completes(existing: Client, cleaned: dict[str, str]) -> bool:
    """Whether the row fills what the client had empty (its e-mail, its notes); the rest is kept."""
    return cleaned["email"] != existing.email or cleaned["notes"] != existing.notes


def _item_cells(values: dict[str, str]) -> tuple[str, str, str, str]:
    """The row's device (kind, brand, model, serial); kind empty when the row names none."""
    kind, brand, model, serial = (
        values.get(key, "") for key in ("item_kind", "item_brand", "item_model", "item_serial")
    )
    if (brand or model or serial) and not kind:
        raise ValidationError(_("A device needs its kind (phone, laptop ...)."))
    return kind, brand, model, serial


def _item_key(kind: str, brand: str, model: str, serial: str) -> tuple:
    serial = normalise_serial(serial)
    return ("serial", serial) if serial else ("name", kind.lower(), brand.lower(), model.lower())


def _match_item(items: list[Item], kind: str, brand: str, model: str, serial: str) -> Item | None:
    """The client's device the row names, among `items` (the client's, by id): by serial number
    (normalised), or by kind, brand and model (any case) among those without one."""
    key = _item_key(kind, brand, model, serial)
    for item in items:
        if key[0] == "serial":
            if item.serial and normalise_serial(item.serial) == key[1]:
                return item
        elif not item.serial and _item_key(item.kind, item.brand, item.model, "") == key:
            return item
    return None


def _items_of(tenant: Tenant, client_ids: list[int]) -> dict[int, list[Item]]:
    """The devices of these clients, by client (one query)."""
    found: dict[int, list[Item]] = {}
    if client_ids:
        for item in Item.objects.for_tenant(tenant).filter(client_id__in=client_ids).order_by("id"):
            found.setdefault(item.client_id, []).append(item)
    return found


def client_of_row(ctx: RowContext, values: dict[str, str]) -> tuple[Client | None, list[str]]:
    """The row's client by the clients' rule: found by phone (and completed where it was empty) or made.
    Unsaved in a dry run for a client not saved yet. (The past orders' rows, one at a time; the clients'
    file goes a chunk at a time through client_chunk, by the same rule.)"""
    seen_phones: dict[str, Client] = ctx.seen.setdefault("phones", {})
    phone = normalise_phone(values.get("phone", ""), ctx.tenant.phone_region)  # the web's sentence
    known = phone in seen_phones
    looked_up: dict[str, Client | None] = ctx.seen.get("chunk_clients", {})
    if known:
        existing: Client | None = seen_phones[phone]
    elif phone in looked_up:
        existing = looked_up[phone]
    else:
        existing = Client.objects.for_tenant(ctx.tenant).filter(phone=phone).first()
    cleaned = check_client(ctx, existing, {**values, "phone": phone})
    if known:
        return existing, []  # the file named this client before: counted (and saved) on its first row
    outcome: list[str]
    if existing is None:
        outcome = ["created_clients"]
        client = _new_client(ctx.tenant, cleaned)
        if not ctx.dry_run:
            client.save()
    else:
        client = existing
        outcome = ["unchanged_clients"]
        if _completes(existing, cleaned):
            outcome = ["updated_clients"]
            existing.email, existing.notes = cleaned["email"], cleaned["notes"]
            if not ctx.dry_run:
                existing.save(update_fields=["email", "notes"])
    seen_phones[phone] = client
    return client, outcome


def item_of_row(
    ctx: RowContext, client: Client | None, phone_key: str, values: dict[str, str]
) -> tuple[Item | None, list[str]]:
    """The row's device of `client`: found (by serial, or kind, brand and model) or made. None when the
    row names none; unsaved in a dry run for a device not saved yet."""
    item_values = _item_cells(values)
    if not item_values[0]:
        return None, []
    seen_items: dict[tuple, Item | None] = ctx.seen.setdefault("items", {})
    key = (phone_key, *_item_key(*item_values))
    if key in seen_items:
        return seen_items[key], []
    item = None
    if client is not None and client.pk is not None:
        item = _match_item(_items_of(ctx.tenant, [client.pk]).get(client.pk, []), *item_values)
    outcome = []
    if item is None and client is not None:
        outcome.append("created_items")
        kind, brand, model, serial = item_values
        item = Item(tenant=ctx.tenant, client=client, kind=kind, brand=brand, model=model, serial=serial)
        if not ctx.dry_run:  # a client is saved before its device, or it is a dry run
            item.save()
    seen_items[key] = item
    return item, outcome


def client_row(ctx: RowContext, values: dict[str, str]) -> list[str]:
    """One row of the clients' file (client_chunk does the same for many)."""
    return client_chunk(ctx, [(0, values)])[0].outcome()


@dataclass
class RowResult:
    """What a chunk function says of one row: the counts it adds to, or the problem."""

    counts: list[str] = field(default_factory=list)
    problem: ValidationError | None = None

    def outcome(self) -> list[str]:
        if self.problem is not None:
            raise self.problem
        return self.counts


def client_chunk(ctx: RowContext, rows: list[tuple[int, dict[str, str]]]) -> list[RowResult]:
    """Rows of the clients' file, by the rule of client_of_row and item_of_row, a chunk at a time: the
    chunk's clients found in one query (by phone), their devices in one more, every row checked, then
    (unless a dry run) the good rows' new clients, completed clients and new devices written in bulk.
    Nothing of a bad row is written. The engine runs it in a transaction of its own; the run's memory of
    what the file named (ctx.seen) only learns the chunk once its writes went through."""
    # What the run remembers of the clients and devices the file named: small tuples, not models, so a
    # file of 100,000 rows keeps its memory in bounds.
    seen_phones: dict[str, Remembered] = ctx.seen.setdefault("client_phones", {})
    seen_items: set[tuple] = ctx.seen.setdefault("item_keys", set())
    results = [RowResult() for _row in rows]
    phones: list[str] = []
    for index, (_number, values) in enumerate(rows):
        try:
            phones.append(normalise_phone(values.get("phone", ""), ctx.tenant.phone_region))
            _limit(values, ITEM_LIMITS, CLIENT_TARGETS)
        except ValidationError as problem:
            results[index].problem = problem
            if len(phones) == index:
                phones.append("")
    wanted = {phone for phone in phones if phone and phone not in seen_phones}
    found = (
        {client.phone: client for client in Client.objects.for_tenant(ctx.tenant).filter(phone__in=wanted)}
        if wanted
        else {}
    )
    known_ids = {client.pk for client in found.values()}
    known_ids |= {
        pk for phone in phones if phone in seen_phones and (pk := seen_phones[phone][0]) is not None
    }
    items_of = _items_of(ctx.tenant, sorted(known_ids))
    chunk_phones: dict[str, Client] = {}
    chunk_items: set[tuple] = set()
    new_clients: list[Client] = []
    completed: list[Client] = []
    new_items: list[Item] = []
    for index, (_number, values) in enumerate(rows):
        result, phone = results[index], phones[index]
        if result.problem is not None:
            continue
        known = phone in chunk_phones or phone in seen_phones
        existing = chunk_phones.get(phone) or _remembered(ctx.tenant, phone, seen_phones) or found.get(phone)
        try:
            cleaned = check_client(ctx, existing, {**values, "phone": phone})
            item_values = _item_cells(values)
        except ValidationError as problem:
            result.problem = problem
            continue
        if known:
            assert existing is not None
            client = existing
        elif existing is None:
            client = _new_client(ctx.tenant, cleaned)
            new_clients.append(client)
            result.counts.append("created_clients")
        elif _completes(existing, cleaned):
            client = existing
            client.email, client.notes = cleaned["email"], cleaned["notes"]
            completed.append(client)
            result.counts.append("updated_clients")
        else:
            client = existing
            result.counts.append("unchanged_clients")
        chunk_phones[phone] = client
        if not item_values[0]:
            continue
        key = (phone, *_item_key(*item_values))
        if key in chunk_items or key in seen_items:
            continue
        item = _match_item(items_of.get(client.pk, []), *item_values) if client.pk is not None else None
        if item is None:
            kind, brand, model, serial = item_values
            item = Item(tenant=ctx.tenant, client=client, kind=kind, brand=brand, model=model, serial=serial)
            new_items.append(item)
            result.counts.append("created_items")
        chunk_items.add(key)
    if not ctx.dry_run:
        Client.objects.bulk_create(new_clients)
        Client.objects.bulk_update(completed, ["email", "notes"])
        for item in new_items:
            item.client = item.client  # its client's id, now that the client is saved
        Item.objects.bulk_create(new_items)
    seen_phones.update((phone, _remember(client)) for phone, client in chunk_phones.items())
    seen_items.update(chunk_items)
    return results


# A client as client_chunk remembers it: (id or None when unsaved, name, e-mail, notes, notify by e-mail,
# by SMS), what a later row of the same phone is checked against (_client_data).
Remembered = tuple[int | None, str, str, str, bool, bool]


def _remember(client: Client) -> Remembered:
    return (client.pk, client.name, client.email, client.notes, client.notify_email, client.notify_sms)


def _remembered(tenant: Tenant, phone: str, seen: dict[str, Remembered]) -> Client | None:
    if phone not in seen:
        return None
    pk, name, email, notes, notify_email, notify_sms = seen[phone]
    return Client(
        pk=pk,
        tenant=tenant,
        phone=phone,
        name=name,
        email=email,
        notes=notes,
        notify_email=notify_email,
        notify_sms=notify_sms,
    )


def client_summary(counts: dict[str, int], errors: int) -> str:
    return _(
        "%(created)s new clients, %(updated)s completed, %(unchanged)s already here unchanged, "
        "%(items)s new devices; %(errors)s rows with problems."
    ) % {
        "created": counts.get("created_clients", 0),
        "updated": counts.get("updated_clients", 0),
        "unchanged": counts.get("unchanged_clients", 0),
        "items": counts.get("created_items", 0),
        "errors": errors,
    }


# --- The service catalogue -----------------------------------------------------------------------

SERVICE_TARGETS = [
    Target(
        "name", gettext_lazy("Service"), True, ("name", "service", "услуга", "название", "layanan", "nama")
    ),
    Target(
        "base_price", gettext_lazy("Base price"), False, ("price", "base price", "цена", "стоимость", "harga")
    ),
    Target(
        "default_duration_minutes",
        gettext_lazy("Usual duration, minutes"),
        False,
        ("duration", "minutes", "длительность", "минуты", "durasi", "menit"),
    ),
    Target("warranty_days", gettext_lazy("Warranty, days"), False, ("warranty", "гарантия", "garansi")),
    Target(
        "target_days",
        gettext_lazy("Promised within, days"),
        False,
        ("days", "promised within", "promised within days", "срок", "дни", "hari"),
    ),
    Target("formats", gettext_lazy("Formats"), False, ("format", "formats", "формат", "форматы")),
    Target(
        "needs_item",
        gettext_lazy("An item is brought or serviced"),
        False,
        ("needs item", "device needed", "с устройством"),
    ),
    Target("description", gettext_lazy("Description"), False, ("description", "описание", "deskripsi")),
    Target("equipment", gettext_lazy("Equipment needed"), False, ("equipment", "оборудование", "peralatan")),
    Target("materials", gettext_lazy("Materials needed"), False, ("materials", "материалы", "bahan")),
]
_FORMAT_WORDS = {
    "shop": ServiceFormat.IN_SHOP,
    "on site": ServiceFormat.ON_SITE,
    "onsite": ServiceFormat.ON_SITE,
}


def _formats(text: str, label: str) -> list[str]:
    chosen = []
    for word in text.replace(";", ",").replace("/", ",").split(","):
        if word.strip():
            value = parse_choice(word, ServiceFormat.choices, label, extra=_FORMAT_WORDS)
            if value not in chosen:
                chosen.append(value)
    return chosen or [ServiceFormat.IN_SHOP]


def _service_data(ctx: RowContext, values: dict[str, str]) -> dict[str, object]:
    """The service type form's data from the row; empty cells take the model's defaults."""
    language = ctx.tenant.language

    def label(name: str) -> str:
        return _label(SERVICE_TARGETS, name)

    def whole(name: str, default: int) -> int:
        text = values.get(name, "")
        return parse_whole(text, label(name)) if text else default

    data: dict[str, object] = {
        "name": values.get("name", ""),
        "description": values.get("description", ""),
        "equipment": values.get("equipment", ""),
        "materials": values.get("materials", ""),
        "formats": _formats(values.get("formats", ""), label("formats")),
        "default_duration_minutes": whole("default_duration_minutes", 60),
        "target_days": whole("target_days", 3),
        "warranty_days": whole("warranty_days", 365),
        "base_price": str(parse_amount(values["base_price"], language, label("base_price")))
        if values.get("base_price")
        else "0",
        "is_active": "on",
    }
    needs_item = values.get("needs_item", "")
    if not needs_item or parse_yes_no(needs_item, label("needs_item")):
        data["needs_item"] = "on"
    return data


def service_row(ctx: RowContext, values: dict[str, str]) -> list[str]:
    name = values.get("name", "").strip()
    seen: set[str] = ctx.seen.setdefault("services", set())
    data = _service_data(ctx, values)  # every cell is checked, also of a service already here
    if name.lower() in seen or ServiceType.objects.for_tenant(ctx.tenant).filter(name__iexact=name).exists():
        seen.add(name.lower())
        return ["unchanged_services"]  # the catalogue is edited here once imported: never overwritten
    form = ServiceTypeForm(data, tenant=ctx.tenant)
    if not form.is_valid():
        raise ValidationError(_form_errors(form))
    seen.add(name.lower())
    if not ctx.dry_run:
        form.save()
    return ["created_services"]


def service_summary(counts: dict[str, int], errors: int) -> str:
    return _(
        "%(created)s new services, %(unchanged)s already in the catalogue; %(errors)s rows with problems."
    ) % {
        "created": counts.get("created_services", 0),
        "unchanged": counts.get("unchanged_services", 0),
        "errors": errors,
    }


# --- Parts with stock per location ---------------------------------------------------------------

PART_TARGETS = [
    Target("sku", gettext_lazy("SKU"), True, ("sku", "article", "артикул", "код", "code", "kode")),
    Target(
        "name",
        gettext_lazy("Part"),
        True,
        ("name", "part", "деталь", "запчасть", "наименование", "название", "nama", "suku cadang"),
    ),
    Target("unit", gettext_lazy("Unit"), False, ("unit", "ед", "ед. изм.", "единица", "satuan")),
    Target(
        "cost_price",
        gettext_lazy("Cost price"),
        False,
        ("cost", "cost price", "purchase price", "закупочная цена", "себестоимость", "harga beli"),
    ),
    Target(
        "sale_price",
        gettext_lazy("Sale price"),
        False,
        ("price", "sale price", "цена", "цена продажи", "harga jual", "harga"),
    ),
    Target("warranty_days", gettext_lazy("Warranty, days"), False, ("warranty", "гарантия", "garansi")),
    Target(
        "location",
        gettext_lazy("Location"),
        False,
        ("location", "warehouse", "склад", "точка", "lokasi", "gudang"),
    ),
    Target(
        "quantity",
        gettext_lazy("Quantity on hand"),
        False,
        ("quantity", "qty", "stock", "on hand", "остаток", "количество", "кол-во", "jumlah", "stok"),
    ),
    Target(
        "min_level",
        gettext_lazy("Minimum"),
        False,
        ("minimum", "min", "мин", "минимум", "минимальный остаток"),
    ),
    Target("notes", gettext_lazy("Notes"), False, ("note", "notes", "примечание", "catatan")),
]
_UNIT_WORDS = {
    "шт": Part.Unit.PIECE,
    "pc": Part.Unit.PIECE,
    "piece": Part.Unit.PIECE,
    "м": Part.Unit.METRE,
    "л": Part.Unit.LITRE,
    "кг": Part.Unit.KILOGRAM,
    "компл": Part.Unit.SET,
    "buah": Part.Unit.PIECE,
}


def _locations(ctx: RowContext) -> dict[str, Location]:
    """The center's active locations by name (any case), read once per run."""
    if "locations" not in ctx.seen:
        places: dict[str, Location] = {}
        for place in Location.objects.for_tenant(ctx.tenant).filter(is_active=True).order_by("id"):
            places.setdefault(place.name.strip().lower(), place)
        ctx.seen["locations"] = places
    return ctx.seen["locations"]


def _location(ctx: RowContext, name: str, label: str) -> Location:
    location = _locations(ctx).get(name.strip().lower())
    if location is None:
        raise ValidationError(
            _("%(field)s: no location named “%(value)s” here.") % {"field": label, "value": name[:60]}
        )
    return location


def _part_data(ctx: RowContext, values: dict[str, str]) -> dict[str, object]:
    language = ctx.tenant.language

    def label(name: str) -> str:
        return _label(PART_TARGETS, name)

    def amount(name: str) -> str:
        return str(parse_amount(values[name], language, label(name))) if values.get(name) else "0"

    unit = values.get("unit", "").strip().rstrip(".")
    return {
        "sku": values.get("sku", ""),
        "name": values.get("name", ""),
        "unit": parse_choice(unit, Part.Unit.choices, label("unit"), extra=_UNIT_WORDS)
        if unit
        else Part.Unit.PIECE,
        "cost_price": amount("cost_price"),
        "sale_price": amount("sale_price"),
        "warranty_days": parse_whole(values["warranty_days"], label("warranty_days"), largest=3650)
        if values.get("warranty_days")
        else "",
        "notes": values.get("notes", ""),
        "is_active": "on",
    }


def part_row(ctx: RowContext, values: dict[str, str]) -> list[str]:
    sku = values.get("sku", "").strip()
    data = _part_data(ctx, values)
    location_name, quantity_text = values.get("location", ""), values.get("quantity", "")
    if bool(location_name) != bool(quantity_text):
        raise ValidationError(_("Stock needs both the location and the quantity."))
    location = _location(ctx, location_name, _label(PART_TARGETS, "location")) if location_name else None
    seen: dict[str, Part | None] = ctx.seen.setdefault("parts", {})
    outcome: list[str] = []
    if sku.lower() in seen:
        part = seen[sku.lower()]
    else:
        looked_up: dict[str, Part] = ctx.seen.get("chunk_parts", {})
        part = looked_up.get(sku.lower()) if "chunk_parts" in ctx.seen else None
        if part is None and "chunk_parts" not in ctx.seen:
            part = Part.objects.for_tenant(ctx.tenant).filter(sku__iexact=sku).first()
        if part is None:
            form = PartForm(data, instance=Part(tenant=ctx.tenant), tenant=ctx.tenant)
            if not form.is_valid():
                raise ValidationError(_form_errors(form))
            outcome.append("created_parts")
            part = None if ctx.dry_run else form.save()
            probe = form.instance  # unsaved in a dry run: its unit still checks the quantity
        else:
            outcome.append("unchanged_parts")  # edited here once imported: never overwritten
            probe = part
        seen[sku.lower()] = part
        ctx.seen.setdefault("probes", {})[sku.lower()] = probe
    if location is None:
        return outcome
    probe = ctx.seen["probes"][sku.lower()]
    quantity = parse_quantity(quantity_text, ctx.tenant.language, _label(PART_TARGETS, "quantity"))
    minimum = values.get("min_level", "")
    min_level = (
        parse_quantity(minimum, ctx.tenant.language, _label(PART_TARGETS, "min_level")) if minimum else None
    )
    if quantity:
        stock.clean_quantity(probe, quantity)  # whole pieces, three decimals, the limit
    external_id = f"{sku.lower()}@{location.pk}"
    stocked: set[str] = ctx.seen.setdefault("stocked", set())
    if external_id in stocked:
        raise ValidationError(_("This part's stock at this location is on an earlier row of the file."))
    stocked.add(external_id)
    imported = ctx.seen.get("chunk_stock")
    if imported is None:
        imported = _imported(ctx.tenant, ImportedRecord.Kind.STOCK, {external_id})
    if external_id in imported:
        return [*outcome, "unchanged_stock"]  # received at the first import; counted and used here since
    if ctx.dry_run or part is None:
        return [*outcome, "stocked"]
    assert ctx.by is not None  # the engine refuses the kind without the uploader's membership
    level = None
    if quantity:
        level = stock.receive(
            ctx.tenant, part=part, location=location, quantity=quantity, by=ctx.by, reason=_("Imported")
        ).level
    if min_level is not None:
        level = stock.set_min_level(ctx.tenant, part=part, location=location, min_level=min_level)
    if level is None:
        level = StockLevel.objects.get_or_create(tenant=ctx.tenant, part=part, location=location)[0]
    ImportedRecord.objects.create(
        tenant=ctx.tenant,
        kind=ImportedRecord.Kind.STOCK,
        external_id=external_id,
        object_id=level.pk,
        job=ctx.job,
    )
    return [*outcome, "stocked"]


def prepare_parts(ctx: RowContext, rows: list[dict[str, str]]) -> None:
    """What a chunk of parts names, looked up in a query each: the parts (by SKU, any case) and the stock
    imported before (by part and location), so each row does not ask again."""
    skus = {values.get("sku", "").strip().lower() for values in rows} - {""}
    ctx.seen["chunk_parts"] = {
        part.sku.lower(): part
        for part in Part.objects.for_tenant(ctx.tenant).annotate(key=Lower("sku")).filter(key__in=skus)
    }
    places = _locations(ctx)
    stock_ids = set()
    for values in rows:
        place = places.get(values.get("location", "").strip().lower())
        if place is not None:
            stock_ids.add(f"{values.get('sku', '').strip().lower()}@{place.pk}")
    ctx.seen["chunk_stock"] = _imported(ctx.tenant, ImportedRecord.Kind.STOCK, stock_ids)


def part_summary(counts: dict[str, int], errors: int) -> str:
    return _(
        "%(created)s new parts, %(unchanged)s already here; stock received at %(stocked)s part locations, "
        "%(kept)s imported before and left as they are; %(errors)s rows with problems."
    ) % {
        "created": counts.get("created_parts", 0),
        "unchanged": counts.get("unchanged_parts", 0),
        "stocked": counts.get("stocked", 0),
        "kept": counts.get("unchanged_stock", 0),
        "errors": errors,
    }


# --- Past orders ---------------------------------------------------------------------------------

ORDER_TARGETS = [
    Target(
        "external_id",
        gettext_lazy("Order number in the previous system"),
        True,
        (
            "id",
            "number",
            "no",
            "order",
            "order number",
            "номер",
            "№",
            "заказ",
            "номер заказа",
            "nomor",
            "nomor order",
        ),
    ),
    Target(
        "created_on",
        gettext_lazy("Taken in on"),
        True,
        (
            "created",
            "date",
            "intake date",
            "дата",
            "дата приема",
            "дата приёма",
            "принят",
            "tanggal",
            "tanggal masuk",
        ),
    ),
    Target("status", gettext_lazy("Status"), True, ("status", "статус", "state")),
    Target(
        "closed_on",
        gettext_lazy("Handed over or cancelled on"),
        False,
        ("closed", "handed over", "issued", "выдан", "дата выдачи", "закрыт", "tanggal selesai", "diambil"),
    ),
    Target("name", gettext_lazy("Client name"), True, CLIENT_TARGETS[0].hints),
    Target("phone", gettext_lazy("Phone"), True, CLIENT_TARGETS[1].hints),
    Target("email", gettext_lazy("E-mail"), False, CLIENT_TARGETS[2].hints),
    Target("service", gettext_lazy("Service"), True, ("service", "услуга", "работа", "layanan", "jasa")),
    Target(
        "problem",
        gettext_lazy("Problem"),
        False,
        ("problem", "fault", "неисправность", "проблема", "жалоба", "keluhan", "masalah"),
    ),
    Target("item_kind", gettext_lazy("Device kind"), False, CLIENT_TARGETS[4].hints),
    Target("item_brand", gettext_lazy("Brand"), False, CLIENT_TARGETS[5].hints),
    Target("item_model", gettext_lazy("Model"), False, CLIENT_TARGETS[6].hints),
    Target("item_serial", gettext_lazy("Serial number"), False, CLIENT_TARGETS[7].hints),
    Target(
        "paid",
        gettext_lazy("Amount paid"),
        False,
        ("paid", "amount", "sum", "total", "оплачено", "сумма", "итого", "dibayar", "jumlah", "total bayar"),
    ),
    Target(
        "warranty_until",
        gettext_lazy("Warranty until"),
        False,
        ("warranty", "warranty until", "гарантия до", "гарантия", "garansi"),
    ),
    Target(
        "location",
        gettext_lazy("Received at"),
        False,
        ("location", "branch", "точка", "филиал", "cabang", "lokasi"),
    ),
]
_STATUS_WORDS = {
    "done": OrderStatus.HANDED_OVER,
    "closed": OrderStatus.HANDED_OVER,
    "issued": OrderStatus.HANDED_OVER,
    "completed": OrderStatus.HANDED_OVER,
    "выдан": OrderStatus.HANDED_OVER,
    "выдано": OrderStatus.HANDED_OVER,
    "закрыт": OrderStatus.HANDED_OVER,
    "выполнен": OrderStatus.HANDED_OVER,
    "selesai": OrderStatus.HANDED_OVER,
    "diambil": OrderStatus.HANDED_OVER,
    "canceled": OrderStatus.CANCELLED,
    "отменен": OrderStatus.CANCELLED,
    "отменён": OrderStatus.CANCELLED,
    "отказ": OrderStatus.CANCELLED,
    "batal": OrderStatus.CANCELLED,
    "dibatalkan": OrderStatus.CANCELLED,
}
ORDER_LIMITS = {**ITEM_LIMITS, "external_id": 100, "problem": 5000}


def _intake_location(ctx: RowContext, name: str) -> Location:
    if name:
        return _location(ctx, name, _label(ORDER_TARGETS, "location"))
    if "default_location" not in ctx.seen:
        places = Location.objects.for_tenant(ctx.tenant).filter(is_active=True).order_by("id")
        ctx.seen["default_location"] = next((p for p in places if p.receives_clients), None) or places.first()
    if ctx.seen["default_location"] is None:
        raise ValidationError(_("Add a location first: every order is received somewhere."))
    return ctx.seen["default_location"]


def order_row(ctx: RowContext, values: dict[str, str]) -> list[str]:
    def label(name: str) -> str:
        return _label(ORDER_TARGETS, name)

    language = ctx.tenant.language
    _limit(values, ORDER_LIMITS, ORDER_TARGETS)
    external_id = values.get("external_id", "").strip()
    if not external_id:
        raise ValidationError(
            _("%(field)s is empty: it is how a second import knows the order.")
            % {"field": label("external_id")}
        )
    seen_ids: set[str] = ctx.seen.setdefault("order_ids", set())
    if external_id in seen_ids:
        raise ValidationError(
            _("Order %(number)s is on an earlier row of the file.") % {"number": external_id}
        )
    seen_ids.add(external_id)
    imported = ctx.seen.get("chunk_orders")
    if imported is None:
        imported = _imported(ctx.tenant, ImportedRecord.Kind.ORDER, {external_id})
    if external_id in imported:
        return ["unchanged_orders"]
    status = parse_choice(values.get("status", ""), OrderStatus.choices, label("status"), extra=_STATUS_WORDS)
    created_on = parse_date(values.get("created_on", ""), language, label("created_on"))
    closed_text = values.get("closed_on", "")
    if closed_text:
        closed_on = parse_date(closed_text, language, label("closed_on"))
    elif status != OrderStatus.HANDED_OVER:
        closed_on = created_on  # cancelled: that day; open: refused below with the reason
    else:
        raise ValidationError(
            _("%(field)s is empty: a handed-over order needs the day.") % {"field": label("closed_on")}
        )
    service_name = values.get("service", "").strip()
    service_type = ServiceType.objects.for_tenant(ctx.tenant).filter(name__iexact=service_name).first()
    if service_type is None:
        raise ValidationError(
            _("No service “%(name)s” in the catalogue: import the service catalogue first.")
            % {"name": service_name[:120]}
        )
    paid = parse_amount(values["paid"], language, label("paid")) if values.get("paid") else Decimal("0")
    warranty_until = (
        parse_date(values["warranty_until"], language, label("warranty_until"))
        if values.get("warranty_until")
        else None
    )
    location = _intake_location(ctx, values.get("location", ""))
    phone = normalise_phone(values.get("phone", ""), ctx.tenant.phone_region)
    past = PastOrder(
        client=Client(tenant=ctx.tenant),  # checked before the client is found or made
        service_type=service_type,
        intake_location=location,
        status=status,
        created_on=created_on,
        closed_on=closed_on,
        problem=values.get("problem", ""),
        paid=paid,
        warranty_until=warranty_until,
        reference=external_id,
    )
    check_past_order(ctx.tenant, past)
    client, outcome = client_of_row(ctx, values)
    item, made = item_of_row(ctx, client, phone, values)
    if ctx.dry_run or client is None:
        return [*outcome, *made, "created_orders"]
    assert ctx.by is not None  # the engine refuses the kind without the uploader's membership
    try:
        with transaction.atomic():
            order = import_past_order(ctx.tenant, replace(past, client=client, item=item), by=ctx.by)
            ImportedRecord.objects.create(
                tenant=ctx.tenant,
                kind=ImportedRecord.Kind.ORDER,
                external_id=external_id,
                object_id=order.pk,
                job=ctx.job,
            )
    except IntegrityError:  # another import of the same file recorded it meanwhile
        return [*outcome, *made, "unchanged_orders"]
    return [*outcome, *made, "created_orders"]


def _imported(tenant: Tenant, kind: str, external_ids: set[str]) -> set[str]:
    """Which of these external ids an earlier import recorded (one query)."""
    return set(
        ImportedRecord.objects.for_tenant(tenant)
        .filter(kind=kind, external_id__in=external_ids)
        .values_list("external_id", flat=True)
    )


def prepare_orders(ctx: RowContext, rows: list[dict[str, str]]) -> None:
    """What a chunk of past orders names, looked up in a query each: the orders imported before (by
    external id) and the clients (by phone), so each row does not ask again."""
    ctx.seen["chunk_orders"] = _imported(
        ctx.tenant, ImportedRecord.Kind.ORDER, {values.get("external_id", "").strip() for values in rows}
    )
    phones: set[str] = set()
    for values in rows:
        try:
            phones.add(normalise_phone(values.get("phone", ""), ctx.tenant.phone_region))
        except ValidationError:
            continue  # the row says why when it is run
    phones -= ctx.seen.get("phones", {}).keys()
    found = {
        client.phone: client for client in Client.objects.for_tenant(ctx.tenant).filter(phone__in=phones)
    }
    ctx.seen["chunk_clients"] = {phone: found.get(phone) for phone in phones}


def order_summary(counts: dict[str, int], errors: int) -> str:
    orders = counts.get("created_orders", 0)
    return ngettext(
        "%(orders)s past order, %(unchanged)s imported before; %(clients)s new clients, %(items)s new devices; %(errors)s rows with problems.",
        "%(orders)s past orders, %(unchanged)s imported before; %(clients)s new clients, %(items)s new devices; %(errors)s rows with problems.",
        orders,
    ) % {
        "orders": orders,
        "unchanged": counts.get("unchanged_orders", 0),
        "clients": counts.get("created_clients", 0),
        "items": counts.get("created_items", 0),
        "errors": errors,
    }


KINDS: dict[str, Kind] = {
    ImportJob.Kind.CLIENTS: Kind(
        CLIENT_TARGETS,
        client_row,
        ("created_clients", "updated_clients", "unchanged_clients", "created_items"),
        client_summary,
        chunk=client_chunk,
    ),
    ImportJob.Kind.SERVICES: Kind(
        SERVICE_TARGETS, service_row, ("created_services", "unchanged_services"), service_summary
    ),
    ImportJob.Kind.PARTS: Kind(
        PART_TARGETS,
        part_row,
        ("created_parts", "unchanged_parts", "stocked", "unchanged_stock"),
        part_summary,
        needs_member=True,
        prepare=prepare_parts,
    ),
    ImportJob.Kind.ORDERS: Kind(
        ORDER_TARGETS,
        order_row,
        (
            "created_orders",
            "unchanged_orders",
            "created_clients",
            "updated_clients",
            "unchanged_clients",
            "created_items",
        ),
        order_summary,
        needs_member=True,
        prepare=prepare_orders,
    ),
}
