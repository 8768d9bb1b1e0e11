"""Issuing documents: content of each kind in each language, numbering, versions, immutability, e-mail."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from documents import rendering, services
from documents.models import Document, DocumentSettings, ImmutableError, Kind
from documents.tasks import issue_documents_task
from documents.variables import qr_data_uri
from notifications import outbox
from notifications.models import Kind as NotificationKind
from notifications.models import Notification, State
from orders.models import EventKind, OrderEvent, OrderStatus
from orders.permissions import ActorRefused
from servicedesk.tenancy.models import Counter
from servicedesk.tenancy.roles import Role

from .conftest import make_order, member, stored_text


def _flat(text: str) -> str:
    return " ".join(text.split())


# The same amounts as each language prints them: 8,900.00 (en), 8 900,00 (ru), 8.900,00 (id).
AMOUNTS = {
    "en": {
        "total": "8,900.00",
        "part": "6,900.00",
        "estimate": "9,000.00",
        "prepaid": "1,000.00",
        "days": "90 days",
    },
    "ru": {
        "total": "8 900,00",
        "part": "6 900,00",
        "estimate": "9 000,00",
        "prepaid": "1 000,00",
        "days": "90 дн.",
    },
    "id": {
        "total": "8.900,00",
        "part": "6.900,00",
        "estimate": "9.000,00",
        "prepaid": "1.000,00",
        "days": "90 hari",
    },
}


@pytest.mark.parametrize("language", ["en", "ru", "id"])
@pytest.mark.parametrize("kind", Kind.values)
def test_each_kind_renders_in_each_language_with_the_order_facts(done_order, reception_a, kind, language):
    document = services.issue(done_order, kind, language, by=reception_a)
    text = _flat(stored_text(document))
    assert document.display_number in text
    assert str(done_order.number) in text
    assert "Ivan Petrov" in text
    assert "Samsung Galaxy S21" in text
    if kind in {Kind.COMPLETION_ACT, Kind.WARRANTY_CARD}:
        for description in ("Diagnostics 1", "Display module 2", "Display replacement 3"):
            assert description in text
    if kind == Kind.COMPLETION_ACT:
        assert AMOUNTS[language]["total"] in text.replace("\xa0", " ")
        assert AMOUNTS[language]["part"] in text.replace("\xa0", " ")
        assert AMOUNTS[language]["days"] in text
    if kind == Kind.INTAKE_RECEIPT:
        for fact in ("Scratched back", "Case, charger", "Screen cracked", "IMEI356789"):
            assert fact in text
        assert AMOUNTS[language]["estimate"] in text.replace("\xa0", " ")  # the estimate
        assert AMOUNTS[language]["prepaid"] in text.replace("\xa0", " ")  # the prepayment
        assert done_order.public_token[:20] in text.replace(" ", "")
    assert document.sha256 == hashlib.sha256(document.file.open("rb").read()).hexdigest()
    assert document.pages == 1 and document.template_source == "default"


def test_russian_act_has_the_total_in_words(done_order, reception_a):
    document = services.issue(done_order, Kind.COMPLETION_ACT, "ru", by=reception_a)
    text = _flat(stored_text(document))
    assert "Восемь тысяч девятьсот рублей 00 копеек" in text
    assert "Акт выполненных работ" in text and "Стр. 1 из 1" in text
    english = _flat(stored_text(services.issue(done_order, Kind.COMPLETION_ACT, "en", by=reception_a)))
    assert "рубл" not in english and "Page 1 of 1" in english


def test_indonesian_documents_speak_indonesian(done_order, reception_a):
    act = _flat(stored_text(services.issue(done_order, Kind.COMPLETION_ACT, "id", by=reception_a)))
    assert "Berita Acara Penyelesaian Pekerjaan" in act and "Hal. 1 dari 1" in act
    assert (
        "Jasa" in act and "Suku cadang dan bahan" in act
    )  # the line kinds' headings in the document's language
    assert "Completion act" not in act and "Page 1" not in act
    card = _flat(stored_text(services.issue(done_order, Kind.WARRANTY_CARD, "id", by=reception_a)))
    assert "Kartu Garansi" in card and "Masa garansi: 90 hari" in card


def test_the_act_prints_works_parts_and_discounts_under_their_headings(tenant_a, users_a, reception_a):
    from orders.models import LineItem
    from orders.services import recalculate_totals
    from tests.factories import LineItemFactory

    order = make_order(tenant_a, lines=3)
    LineItemFactory(
        order=order,
        kind=LineItem.Kind.DISCOUNT,
        description="Complaint compensation",
        quantity=Decimal("1"),
        unit_price=Decimal("-300.00"),
    )
    recalculate_totals(order)
    text = _flat(stored_text(services.issue(order, Kind.COMPLETION_ACT, "en", by=reception_a)))
    pieces = [
        "Works 2,000.00",
        "1 Diagnostics 1",
        "2 Display replacement 3",
        "Parts and materials 6,900.00",
        "3 Display module 2",
        "Discounts -300.00",
        "4 Complaint compensation 1 -300.00 -300.00",
        "Total 8,600.00",
    ]
    positions = [text.index(piece) for piece in pieces]
    assert positions == sorted(positions), text


def test_a_long_act_spans_pages_with_page_numbers(tenant_a, users_a, reception_a):
    order = make_order(tenant_a, lines=60)
    document = services.issue(order, Kind.COMPLETION_ACT, "en", by=reception_a)
    text = stored_text(document)
    assert document.pages >= 2
    assert f"Page {document.pages} of {document.pages}" in text
    assert "Display replacement 60" in text


def test_the_receipt_qr_code_points_at_the_public_status_page(done_order, reception_a, settings):
    from documents.variables import build_context, public_url

    url = public_url(done_order)
    assert url == settings.SITE_URL + f"/s/{done_order.public_token}/"
    order = services._order_for_document(done_order.pk, done_order.tenant_id, lock=False)
    from django.utils import timezone

    context = build_context(
        order,
        kind=Kind.INTAKE_RECEIPT,
        language="en",
        number="R-1",
        version=1,
        issued_at=timezone.now(),
        paper=DocumentSettings.for_tenant(order.tenant_id),
        privacy=services.privacy_context(order.tenant_id),
    )
    assert context["order"]["qr_code"] == qr_data_uri(url)
    assert context["order"]["qr_code"].startswith("data:image/svg+xml;base64,")


@pytest.mark.clock_sensitive
def test_numbers_are_per_tenant_kind_and_year_and_sequential(
    tenant_a, tenant_b, users_a, users_b, reception_a
):
    orders = [make_order(tenant_a) for _ in range(3)]
    receipts = [services.issue(o, Kind.INTAKE_RECEIPT, "en", by=reception_a) for o in orders]
    assert [d.number for d in receipts] == [1, 2, 3]
    act = services.issue(orders[0], Kind.COMPLETION_ACT, "en", by=reception_a)
    assert act.number == 1 and act.display_number.startswith("A-")
    other = services.issue(
        make_order(tenant_b), Kind.INTAKE_RECEIPT, "en", by=member(tenant_b, Role.RECEPTION)
    )
    assert other.number == 1
    year = receipts[0].year
    assert services.next_number(tenant_a, Kind.INTAKE_RECEIPT, year + 1) == 1  # a new year starts again
    assert services.next_number(tenant_a, Kind.INTAKE_RECEIPT, year) == 4


@pytest.mark.parametrize("local, year", [("2026-12-31 23:59", 2026), ("2027-01-01 00:01", 2027)])
def test_the_number_year_is_the_centers_year_at_the_stroke_of_midnight(
    clock, tenant_a, users_a, reception_a, local, year
):
    """At 00:01 on 1 January in the center it is still 31 December in UTC (or already 2 January far east):
    the receipt is the first of the center's new year."""
    clock.set(local)
    receipt = services.issue(make_order(tenant_a), Kind.INTAKE_RECEIPT, "en", by=reception_a)
    assert (receipt.year, receipt.number, receipt.display_number) == (year, 1, f"R-{year}-00001")


def test_reissuing_makes_a_new_version_and_keeps_the_old(done_order, reception_a):
    first = services.issue(done_order, Kind.COMPLETION_ACT, "ru", by=reception_a)
    first_bytes = first.file.open("rb").read()
    second = services.issue(done_order, Kind.COMPLETION_ACT, "en", by=reception_a)
    assert (second.number, second.year, second.version) == (first.number, first.year, 2)
    assert second.file.name != first.file.name
    first.refresh_from_db()
    assert first.file.open("rb").read() == first_bytes and services.verify(first) and services.verify(second)
    assert Document.objects.filter(order=done_order, kind=Kind.COMPLETION_ACT).count() == 2
    assert (
        Counter.objects.get(tenant=done_order.tenant, key=f"document:completion_act:{first.year}").last_number
        == 1
    )


def test_an_issued_document_never_changes(done_order, reception_a):
    document = services.issue(done_order, Kind.WARRANTY_CARD, "en", by=reception_a)
    digest = document.sha256
    document.sha256 = "0" * 64
    with pytest.raises(ImmutableError):
        document.save()
    with pytest.raises(ImmutableError):
        Document.objects.filter(pk=document.pk).update(sha256="0" * 64)
    with pytest.raises(ImmutableError):
        document.delete()
    # The order changes afterwards (a new line): the stored PDF does not.
    from tests.factories import LineItemFactory

    LineItemFactory(order=done_order, description="Late addition", unit_price=Decimal("1"))
    document = Document.objects.get(pk=document.pk)
    assert document.sha256 == digest and services.verify(document)
    assert "Late addition" not in stored_text(document)


def test_a_failed_render_leaves_no_number_used_and_no_file(done_order, reception_a, monkeypatch, media_root):
    def broken(*args, **kwargs):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(rendering, "html_to_pdf", broken)
    with pytest.raises(ValidationError, match="could not be rendered"):
        services.issue(done_order, Kind.INTAKE_RECEIPT, "en", by=reception_a)
    monkeypatch.undo()
    assert not Document.objects.exists()
    assert services.issue(done_order, Kind.INTAKE_RECEIPT, "en", by=reception_a).number == 1


def test_a_failed_save_removes_the_stored_file(done_order, reception_a, monkeypatch, media_root):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("documents.services.record_event", broken)
    with pytest.raises(RuntimeError):
        services.issue(done_order, Kind.INTAKE_RECEIPT, "en", by=reception_a)
    assert not Document.objects.exists()
    assert not list(media_root.rglob("*.pdf"))


@pytest.mark.parametrize(
    ("status", "kind", "says"),
    [
        (OrderStatus.NEW, Kind.COMPLETION_ACT, "once the work is done"),
        (OrderStatus.IN_PROGRESS, Kind.WARRANTY_CARD, "ready or handed over"),
        (OrderStatus.CANCELLED, Kind.SERVICE_CONTRACT, "cancelled"),
    ],
)
def test_documents_that_do_not_fit_the_order_are_refused_with_a_reason(
    tenant_a, users_a, reception_a, status, kind, says
):
    order = make_order(tenant_a, status=status)
    with pytest.raises(ValidationError) as error:
        services.issue(order, kind, "en", by=reception_a)
    assert says in error.value.messages[0]
    assert not Document.objects.exists() and not Counter.objects.filter(key__startswith="document:").exists()


def test_an_act_needs_line_items_and_bad_input_is_refused(tenant_a, users_a, reception_a, tenant_b, users_b):
    order = make_order(tenant_a, status=OrderStatus.READY, lines=0)
    with pytest.raises(ValidationError, match="works and parts"):
        services.issue(order, Kind.COMPLETION_ACT, "en", by=reception_a)
    with pytest.raises(ValidationError, match="language"):
        services.issue(order, Kind.INTAKE_RECEIPT, "de", by=reception_a)
    with pytest.raises(ValidationError, match="Unknown document"):
        services.issue(order, "invoice", "en", by=reception_a)
    with pytest.raises(ActorRefused, match="not a member of this service center"):
        services.issue(order, Kind.INTAKE_RECEIPT, "en", by=member(tenant_b, Role.RECEPTION))
    # The receipt of a cancelled order can still be printed (the client may need it to collect the item).
    cancelled = make_order(tenant_a, status=OrderStatus.CANCELLED)
    assert services.issue(cancelled, Kind.INTAKE_RECEIPT, "en", by=reception_a).number == 1


def test_the_tenants_own_template_is_used_and_recorded(done_order, reception_a, tenant_a):
    manager = member(tenant_a, Role.MANAGER)
    services.save_template(
        tenant_a,
        Kind.WARRANTY_CARD,
        "en",
        "<h1>Our card {{ document.number }} for {{ client.name }}</h1>",
        by=manager,
    )
    document = services.issue(done_order, Kind.WARRANTY_CARD, "en", by=reception_a)
    assert document.template_source == "tenant"
    assert "Our card W-" in stored_text(document)
    # The Russian one is still the default.
    assert services.issue(done_order, Kind.WARRANTY_CARD, "ru", by=reception_a).template_source == "default"
    services.reset_template(tenant_a, Kind.WARRANTY_CARD, "en", by=manager)
    assert services.template_for(tenant_a, Kind.WARRANTY_CARD, "en")[1] == "default"


def test_the_paper_details_and_images_are_printed(done_order, reception_a, tenant_a):
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (10, 80, 160)).save(buffer, "PNG")
    paper = DocumentSettings(
        tenant=tenant_a,
        signer_name="Olga Director",
        signer_title="Director",
        bank_bik="044525225",
        bank_account="40702810900000000001",
        bank_name="Sberbank",
    )
    paper.stamp.save("stamp.png", ContentFile(buffer.getvalue()), save=False)
    paper.save()
    tenant_a.legal_name, tenant_a.tax_id = "Alpha Repairs LLC", "7701234567"
    tenant_a.save()
    document = services.issue(done_order, Kind.SERVICE_CONTRACT, "ru", by=reception_a)
    text = _flat(stored_text(document))
    for fact in ("Olga Director", "Alpha Repairs LLC", "7701234567", "40702810900000000001", "044525225"):
        assert fact in text
    from pypdf import PdfReader

    page = PdfReader(document.file.open("rb")).pages[0]
    assert len(page.images) >= 1  # the stamp came through the fetcher (and the QR is on the receipt only)


def test_the_timeline_records_the_issue(done_order, reception_a):
    document = services.issue(done_order, Kind.INTAKE_RECEIPT, "en", by=reception_a)
    event = OrderEvent.objects.filter(order=done_order).latest("id")
    assert event.kind == EventKind.DOCUMENT
    assert document.display_number in event.display_text and event.data["document_id"] == document.pk
    assert document.issued_by == reception_a.user and document.issued_by_name


def test_emailing_sends_the_stored_pdf_through_the_outbox(
    done_order, reception_a, django_capture_on_commit_callbacks
):
    document = services.issue(done_order, Kind.COMPLETION_ACT, "ru", by=reception_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.email_to_client(document, by=reception_a)
    row = Notification.objects.get(kind=NotificationKind.DOCUMENT)
    assert (
        row.state == State.SENT
        and row.recipient == done_order.client.email
        and row.tenant_id == done_order.tenant_id
    )
    assert row.event.kind == EventKind.DOCUMENT and row.event.data["document_id"] == document.pk
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [done_order.client.email]
    assert (
        document.display_number in message.subject and "Акт выполненных работ" in message.subject
    )  # the document's language
    assert str(done_order.number) in message.body
    filename, content, mimetype = message.attachments[0]
    assert mimetype == "application/pdf" and filename == document.filename
    assert hashlib.sha256(content).hexdigest() == document.sha256


def test_emailing_without_an_address_is_refused(done_order, reception_a):
    done_order.client.email = ""
    done_order.client.save()
    document = services.issue(done_order, Kind.COMPLETION_ACT, "en", by=reception_a)
    with pytest.raises(ValidationError, match="no e-mail"):
        services.email_to_client(document, by=reception_a)
    assert not Notification.objects.exists()


def test_emailing_a_client_who_opted_out_is_refused(done_order, reception_a):
    done_order.client.notify_email = False
    done_order.client.save()
    document = services.issue(done_order, Kind.COMPLETION_ACT, "en", by=reception_a)
    with pytest.raises(ValidationError, match="opted out"):
        services.email_to_client(document, by=reception_a)
    assert not Notification.objects.exists()


def test_a_failed_send_stays_in_the_outbox_and_is_retried(
    done_order, reception_a, monkeypatch, django_capture_on_commit_callbacks
):
    """The mail server is down when the button is pressed: the e-mail waits, with its PDF, and goes later."""
    document = services.issue(done_order, Kind.COMPLETION_ACT, "en", by=reception_a)

    def down(*args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    with monkeypatch.context() as patched:
        patched.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", down)
        with django_capture_on_commit_callbacks(execute=True):
            services.email_to_client(document, by=reception_a)
    row = Notification.objects.get(kind=NotificationKind.DOCUMENT)
    assert row.state == State.PENDING and row.attempts == 1 and "SMTP down" in row.last_error
    assert not mail.outbox

    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())  # the backoff has passed
    outbox.deliver(row.tenant_id, [row.pk])
    row.refresh_from_db()
    assert row.state == State.SENT
    assert [m.attachments[0][0] for m in mail.outbox] == [document.filename]
    outbox.deliver(row.tenant_id, [row.pk])  # a duplicate task sends nothing
    assert len(mail.outbox) == 1


def test_the_batch_task_issues_for_many_orders(tenant_a, users_a, reception_a):
    orders = [make_order(tenant_a, status=OrderStatus.READY) for _ in range(3)]
    numbers = [o.number for o in orders] + [9999]
    result = issue_documents_task.delay(tenant_a.pk, numbers, Kind.WARRANTY_CARD, "ru", reception_a.pk).get()
    assert len(result["issued"]) == 3 and set(result["refused"]) == {"9999"}
    assert sorted(Document.objects.values_list("number", flat=True)) == [1, 2, 3]


def test_the_demo_details_print_logo_signature_and_stamp(done_order, reception_a, tenant_a):
    from types import SimpleNamespace

    from documents.demo import seed_demo_documents
    from servicedesk.tenancy.models import PrivacyPolicy

    seed_demo_documents(SimpleNamespace(tenant=tenant_a))
    # The Russian policy text (152-FZ) is seeded only for a Russian-speaking center; Alpha speaks English.
    assert not PrivacyPolicy.objects.exists()
    tenant_a.language = "ru"
    tenant_a.save(update_fields=["language"])
    seed_demo_documents(SimpleNamespace(tenant=tenant_a))
    seed_demo_documents(SimpleNamespace(tenant=tenant_a))  # again: nothing doubles
    assert (
        DocumentSettings.objects.filter(tenant=tenant_a).count() == 1 and PrivacyPolicy.objects.count() == 1
    )
    document = services.issue(done_order, Kind.COMPLETION_ACT, "ru", by=reception_a)
    from pypdf import PdfReader

    assert len(PdfReader(document.file.open("rb")).pages[0].images) == 3
    assert "Ольга Иванова" in stored_text(document)


def test_the_demo_archive_has_documents_of_every_kind_once(db):
    from documents.demo import seed_demo_documents
    from orders.demo import seed_demo_orders
    from servicedesk.tenancy.demo import seed_demo_staff

    staff = seed_demo_staff()
    seed_demo_orders(staff)
    seed_demo_documents(staff)
    issued = sorted(Document.objects.filter(tenant=staff.tenant).values_list("kind", "language"))
    assert {kind for kind, _ in issued} == set(Kind.values) and {"ru", "en"} <= {lang for _, lang in issued}
    seed_demo_documents(staff)  # again: nothing new
    assert Document.objects.filter(tenant=staff.tenant).count() == len(issued)


def test_the_batch_task_has_time_limits_and_stops_at_the_soft_one(
    tenant_a, users_a, reception_a, monkeypatch
):
    from celery.exceptions import SoftTimeLimitExceeded

    assert (issue_documents_task.soft_time_limit, issue_documents_task.time_limit) == (240, 300)
    orders = [make_order(tenant_a, status=OrderStatus.READY) for _ in range(3)]
    real_issue = services.issue
    calls = []

    def issue_until_the_time_is_up(order, *args, **kwargs):
        calls.append(order.number)
        if len(calls) == 2:
            raise SoftTimeLimitExceeded()
        return real_issue(order, *args, **kwargs)

    monkeypatch.setattr(services, "issue", issue_until_the_time_is_up)
    result = issue_documents_task.delay(
        tenant_a.pk, [o.number for o in orders], Kind.WARRANTY_CARD, "ru", reception_a.pk
    ).get()
    assert len(result["issued"]) == 1
    assert result["refused"] == {
        str(orders[1].number): "Not issued: the batch ran out of time; issue the rest in another batch.",
        str(orders[2].number): "Not issued: the batch ran out of time; issue the rest in another batch.",
    }
    assert Document.objects.count() == 1
