"""The documents pages: issuing from the order page, serving the stored PDF, settings, templates, privacy."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from documents import services
from documents.models import Document, DocumentSettings, DocumentTemplate, Kind
from orders.models import Order, OrderStatus
from servicedesk.tenancy import privacy
from servicedesk.tenancy.models import PrivacyPolicy
from servicedesk.tenancy.roles import Role
from tests.helpers import render_order_panel, text_of

from .conftest import make_order, member


def url(name, tenant, *args):
    return reverse(f"documents:{name}", args=[tenant.slug, *args])


def png_upload(name="stamp.png", size=(60, 60)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 200, 128)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- Issuing ----------------------------------------------------------------------------------------
def test_reception_issues_from_the_order_page_and_gets_the_pdf(done_order, member_client, tenant_a):
    client = member_client(Role.RECEPTION)
    response = client.post(
        url("issue", tenant_a, done_order.number),
        {"kind": Kind.COMPLETION_ACT, "language": "ru", "then": "open"},
    )
    document = Document.objects.get()
    assert response.status_code == 302 and response.url == url("file", tenant_a, document.pk)
    response = client.get(response.url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == document.sha256
    assert response["Content-Disposition"].startswith('inline; filename="completion_act_A-')
    assert f"order-{done_order.number}.pdf" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    download = client.get(url("file", tenant_a, document.pk) + "?download=1")
    assert download["Content-Disposition"].startswith("attachment;")


def test_issuing_returns_to_the_order_with_the_outcome(done_order, member_client, tenant_a):
    client = member_client(Role.MANAGER)
    response = client.post(
        url("issue", tenant_a, done_order.number),
        {"kind": Kind.INTAKE_RECEIPT, "language": "en"},
        follow=False,
    )
    assert response.status_code == 302 and response.url == reverse(
        "orders:detail", args=[tenant_a.slug, done_order.number]
    )
    assert Document.objects.count() == 1


@pytest.mark.parametrize(
    "data", [{}, {"kind": "invoice", "language": "en"}, {"kind": "intake_receipt", "language": "xx"}]
)
def test_bad_issue_input_is_explained_not_a_500(done_order, member_client, tenant_a, data):
    client = member_client(Role.RECEPTION)
    response = client.post(url("issue", tenant_a, done_order.number), data, follow=True)
    assert response.status_code in {200, 404}  # 404 only while the order page is not built
    assert not Document.objects.exists()
    messages = [str(m) for m in response.context["messages"]] if response.context else []
    if response.status_code == 200:
        assert messages


def test_a_refused_issue_says_why(tenant_a, users_a, member_client):
    order = make_order(tenant_a, status=OrderStatus.NEW)
    client = member_client(Role.RECEPTION)
    response = client.post(
        url("issue", tenant_a, order.number), {"kind": Kind.COMPLETION_ACT, "language": "en"}
    )
    assert response.status_code == 302 and not Document.objects.exists()
    from django.contrib.messages import get_messages

    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("once the work is done" in m for m in messages)


def test_technicians_neither_issue_nor_read_documents(done_order, member_client, tenant_a, reception_a):
    document = services.issue(done_order, Kind.INTAKE_RECEIPT, "en", by=reception_a)
    client = member_client(Role.TECHNICIAN)
    assert (
        client.post(
            url("issue", tenant_a, done_order.number), {"kind": "intake_receipt", "language": "en"}
        ).status_code
        == 403
    )
    assert client.get(url("file", tenant_a, document.pk)).status_code == 403
    assert Document.objects.count() == 1


def test_another_tenants_document_is_404(done_order, member_client, tenant_a, tenant_b, reception_a):
    document = services.issue(done_order, Kind.INTAKE_RECEIPT, "en", by=reception_a)
    owner_b = member_client(Role.OWNER, tenant_b)
    assert owner_b.get(url("file", tenant_b, document.pk)).status_code == 404
    assert owner_b.get(url("file", tenant_a, document.pk)).status_code == 404
    assert owner_b.post(url("email", tenant_b, document.pk)).status_code == 404
    assert (
        owner_b.post(
            url("issue", tenant_b, done_order.number), {"kind": "intake_receipt", "language": "en"}
        ).status_code
        == 404
    )


def test_a_missing_stored_file_is_404_not_500(done_order, member_client, tenant_a, reception_a):
    document = services.issue(done_order, Kind.INTAKE_RECEIPT, "en", by=reception_a)
    document.file.storage.delete(document.file.name)
    assert member_client(Role.RECEPTION).get(url("file", tenant_a, document.pk)).status_code == 404


def test_emailing_from_the_order_page(
    done_order, member_client, tenant_a, reception_a, django_capture_on_commit_callbacks
):
    document = services.issue(done_order, Kind.WARRANTY_CARD, "en", by=reception_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client(Role.RECEPTION).post(url("email", tenant_a, document.pk))
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments[0][0] == document.filename


# --- The order page panel ---------------------------------------------------------------------------
def _panel(order, role):
    order = Order.objects.select_related("client").get(pk=order.pk)
    return render_order_panel("documents", order, member(order.tenant, role))


def test_the_panel_lists_versions_with_print_download_and_email(done_order, reception_a):
    services.issue(done_order, Kind.COMPLETION_ACT, "ru", by=reception_a)
    second = services.issue(done_order, Kind.COMPLETION_ACT, "en", by=reception_a)
    html = _panel(done_order, Role.RECEPTION)
    assert second.display_number in html and "v2" in html
    assert reverse("documents:file", args=[done_order.tenant.slug, second.pk]) in html
    assert (
        "download=1" in html and reverse("documents:email", args=[done_order.tenant.slug, second.pk]) in html
    )
    assert html.count('name="kind"') == 4  # every kind can be issued for a handed-over order
    assert _panel(done_order, Role.TECHNICIAN).strip() == ""


def test_the_panel_says_why_a_kind_cannot_be_issued(tenant_a, users_a):
    order = make_order(tenant_a, status=OrderStatus.NEW)
    html = _panel(order, Role.RECEPTION)
    assert html.count('name="kind"') == 2  # receipt and contract
    assert "once the work is done" in html


def test_the_panel_makes_a_constant_number_of_queries(
    tenant_a, users_a, reception_a, django_assert_num_queries
):
    small, large = make_order(tenant_a), make_order(tenant_a)
    services.issue(small, Kind.INTAKE_RECEIPT, "en", by=reception_a)
    for kind in Kind.values:
        for language in ("en", "ru"):
            services.issue(large, kind, language, by=reception_a)
    for order in (small, large):
        order = Order.objects.select_related("client", "tenant").get(pk=order.pk)
        membership = member(order.tenant, Role.RECEPTION)
        with django_assert_num_queries(1):
            render_order_panel("documents", order, membership)


# --- Archive and batches ----------------------------------------------------------------------------
def test_the_archive_lists_documents_in_constant_queries(
    tenant_a, users_a, reception_a, member_client, django_assert_num_queries
):
    client = member_client(Role.RECEPTION)
    order = make_order(tenant_a)
    services.issue(order, Kind.INTAKE_RECEIPT, "en", by=reception_a)
    client.get(url("archive", tenant_a))  # warm the session
    # User, membership, tenant and the page of documents (the session from the cache: servicedesk/sessions.py):
    # keyset pages, no count of the archive.
    with django_assert_num_queries(4) as small:
        response = client.get(url("archive", tenant_a))
    for kind in Kind.values:
        services.issue(make_order(tenant_a), kind, "en", by=reception_a) if kind in {
            "intake_receipt",
            "service_contract",
        } else None
    services.issue(order, Kind.COMPLETION_ACT, "en", by=reception_a)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url("archive", tenant_a))
    assert response.status_code == 200 and "A-" in text_of(response)
    response = client.get(url("archive", tenant_a) + "?kind=completion_act")
    assert "R-" not in text_of(response).split("<tbody>")[1].split("</tbody>")[0]


def test_a_batch_is_issued_by_the_task(tenant_a, users_a, member_client):
    orders = [make_order(tenant_a, status=OrderStatus.READY) for _ in range(2)]
    client = member_client(Role.MANAGER)
    response = client.post(
        url("archive", tenant_a),
        {
            "kind": Kind.WARRANTY_CARD,
            "language": "ru",
            "orders": f"#{orders[0].number}, {orders[1].number} 999",
        },
    )
    assert response.status_code == 302
    assert Document.objects.filter(kind=Kind.WARRANTY_CARD).count() == 2


@pytest.mark.parametrize("orders", ["", "abc", "5-1", "1-100000", "0"])
def test_bad_batch_input_is_explained(tenant_a, users_a, member_client, orders):
    response = member_client(Role.MANAGER).post(
        url("archive", tenant_a), {"kind": "warranty_card", "language": "ru", "orders": orders}
    )
    assert response.status_code == 200 and response.context["batch_form"].errors
    assert not Document.objects.exists()


# --- Paper details ----------------------------------------------------------------------------------
def test_manager_sets_the_paper_details_and_images(tenant_a, users_a, member_client):
    client = member_client(Role.MANAGER)
    assert client.get(url("settings", tenant_a)).status_code == 200
    response = client.post(
        url("settings", tenant_a),
        {
            "kpp": "770101001",
            "bank_name": "Bank",
            "bank_bik": "044525225",
            "bank_account": "40702810900000000001",
            "signer_name": "Olga Director",
            "signer_title": "Director",
            "stamp": png_upload(),
        },
    )
    assert response.status_code == 302
    paper = DocumentSettings.objects.get(tenant=tenant_a)
    assert paper.signer_name == "Olga Director" and paper.stamp.name.startswith(
        f"documents/{tenant_a.pk}/assets/"
    )
    assert paper.stamp.name.endswith(".png")
    page = client.get(url("settings", tenant_a))
    assert "data:image/png;base64," in text_of(page)


@pytest.mark.parametrize(
    ("upload", "says"),
    [
        ("junk", "valid image"),
        ("huge-file", "too large"),
        ("huge-size", "too big"),
    ],
)
def test_bad_images_are_refused(tenant_a, users_a, member_client, upload, says):
    if upload == "junk":
        upload = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    elif upload == "huge-file":
        buffer = io.BytesIO()
        Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3)).save(buffer, "PNG")  # noise: ~1.4 MB
        upload = SimpleUploadedFile("x.png", buffer.getvalue(), content_type="image/png")
    else:
        upload = png_upload(size=(3100, 10))
    response = member_client(Role.MANAGER).post(
        url("settings", tenant_a), {"logo": upload, "bank_bik": "12ab"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert says in " ".join(errors["logo"]) and "bank_bik" in errors
    assert not DocumentSettings.objects.exists()


def test_only_owner_and_manager_edit_details_and_templates(tenant_a, users_a, member_client):
    for role in (Role.RECEPTION, Role.TECHNICIAN):
        client = member_client(role)
        assert client.get(url("settings", tenant_a)).status_code == 403
        assert client.get(url("templates", tenant_a)).status_code == 403
        assert client.get(url("privacy_publish", tenant_a)).status_code == 403
    assert member_client(Role.OWNER).get(url("templates", tenant_a)).status_code == 200


# --- Templates --------------------------------------------------------------------------------------
def edit_url(tenant, kind="completion_act", language="ru"):
    return url("template_edit", tenant) + f"?kind={kind}&language={language}"


def test_the_editor_starts_from_the_default_and_lists_the_variables(tenant_a, users_a, member_client):
    response = member_client(Role.MANAGER).get(edit_url(tenant_a))
    text = text_of(response)
    assert "Акт выполненных работ" in text and "totals.in_words" in text and "line.amount" in text


def test_saving_a_valid_template(tenant_a, users_a, member_client):
    body = "<h1>Акт {{ document.number }}</h1>{% for line in lines %}{{ line.description }}{% endfor %}"
    response = member_client(Role.MANAGER).post(edit_url(tenant_a), {"body": body, "action": "save"})
    assert response.status_code == 302
    assert DocumentTemplate.objects.get(tenant=tenant_a, kind="completion_act", language="ru").body == body


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("{{ order.client.phone }}", "order.client.phone"),
        ("{% load static %}", "load"),
        ('<img src="http://127.0.0.1/x.png">', "cannot be loaded"),
        ('<img src="file:///etc/passwd">', "cannot be loaded"),
        ("{% if %}", "cannot be read"),
        ("", "required"),
    ],
)
def test_refused_templates_are_explained_and_not_saved(tenant_a, users_a, member_client, body, says):
    response = member_client(Role.MANAGER).post(edit_url(tenant_a), {"body": body, "action": "save"})
    assert response.status_code == 200
    assert says in " ".join(response.context["form"].errors["body"])
    assert not DocumentTemplate.objects.exists()


def test_preview_renders_a_draft_with_sample_data_and_stores_nothing(tenant_a, users_a, member_client):
    body = "<h1>{{ document.title }} {{ document.number }}</h1><p>{{ totals.in_words }}</p>"
    response = member_client(Role.MANAGER).post(edit_url(tenant_a), {"body": body, "action": "preview"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    from .conftest import pdf_text

    text = pdf_text(response.content)
    assert "ОБРАЗЕЦ" in text and "рубл" in text
    assert not Document.objects.exists() and not DocumentTemplate.objects.exists()


def test_reset_goes_back_to_the_default(tenant_a, users_a, member_client):
    manager = member(tenant_a, Role.MANAGER)
    services.save_template(tenant_a, "completion_act", "ru", "<p>{{ order.number }}</p>", by=manager)
    response = member_client(Role.MANAGER).post(edit_url(tenant_a), {"action": "reset"})
    assert response.status_code == 302 and not DocumentTemplate.objects.exists()


@pytest.mark.parametrize("query", ["", "?kind=invoice&language=ru", "?kind=completion_act&language=de"])
def test_unknown_template_is_404(tenant_a, users_a, member_client, query):
    assert member_client(Role.MANAGER).get(url("template_edit", tenant_a) + query).status_code == 404


# --- Privacy policy ---------------------------------------------------------------------------------
def test_publishing_privacy_versions(tenant_a, users_a, member_client, settings):
    assert privacy.current_privacy_version(tenant_a) == settings.PRIVACY_POLICY_VERSION
    client = member_client(Role.MANAGER)
    data = {"version": "2026-02", "language": "ru", "title": "Политика", "text": "Мы обрабатываем данные ..."}
    assert client.post(url("privacy_publish", tenant_a), data).status_code == 302
    assert privacy.current_privacy_version(tenant_a) == "2026-02"
    again = client.post(url("privacy_publish", tenant_a), {**data, "text": "changed"})
    assert again.status_code == 200 and "already published" in " ".join(
        again.context["form"].errors["version"]
    )
    bad = client.post(url("privacy_publish", tenant_a), {**data, "version": "no spaces please"})
    assert bad.status_code == 200 and bad.context["form"].errors["version"]
    client.post(url("privacy_publish", tenant_a), {**data, "version": "2026-03", "text": "Новая редакция"})
    assert privacy.current_privacy_version(tenant_a) == "2026-03"
    assert PrivacyPolicy.objects.get(tenant=tenant_a, version="2026-02").text == "Мы обрабатываем данные ..."
    page = member_client(Role.TECHNICIAN).get(url("privacy", tenant_a))
    assert page.status_code == 200 and "Новая редакция" in text_of(page) and "2026-02" in text_of(page)


def test_the_receipt_prints_the_version_the_client_consented_to(done_order, reception_a):
    done_order.client.consent_version = "2025-07"
    done_order.client.save()
    from .conftest import stored_text

    text = stored_text(services.issue(done_order, Kind.INTAKE_RECEIPT, "en", by=reception_a))
    assert "2025-07" in " ".join(text.split())


def test_the_order_page_shows_the_panel_to_the_office_only(done_order, member_client, tenant_a, reception_a):
    document = services.issue(done_order, Kind.INTAKE_RECEIPT, "en", by=reception_a)
    page = reverse("orders:detail", args=[tenant_a.slug, done_order.number])
    office = member_client(Role.RECEPTION).get(page)
    assert office.status_code == 200
    html = text_of(office)
    assert 'data-testid="documents-panel"' in html and document.display_number in html
    assert reverse("documents:issue", args=[tenant_a.slug, done_order.number]) in html
    # The technician assigned to the order sees it, but not the documents.
    technician = member(tenant_a, Role.TECHNICIAN)
    Order.objects.filter(pk=done_order.pk).update(technician=technician)
    workshop = member_client(Role.TECHNICIAN).get(page)
    assert workshop.status_code == 200 and 'data-testid="documents-panel"' not in text_of(workshop)


def test_a_broken_render_is_a_message_not_a_500(done_order, member_client, tenant_a, monkeypatch):
    from documents import rendering

    def broken(*args, **kwargs):
        raise AssertionError("WeasyPrint tripped over something")

    monkeypatch.setattr(rendering, "html_to_pdf", broken)
    client = member_client(Role.RECEPTION)
    response = client.post(
        url("issue", tenant_a, done_order.number), {"kind": "intake_receipt", "language": "en"}
    )
    assert response.status_code == 302 and not Document.objects.exists()
    response = member_client(Role.MANAGER).post(
        edit_url(tenant_a), {"body": "<p>{{ order.number }}</p>", "action": "preview"}
    )
    assert response.status_code == 200 and "could not be rendered" in " ".join(
        response.context["form"].errors["body"]
    )


def test_the_policy_a_client_agreed_to_stays_findable(done_order, tenant_a, tenant_b, users_b):
    manager = member(tenant_a, Role.MANAGER)
    client = done_order.client
    assert privacy.policy_for_client(client) is None
    privacy.publish_policy(
        tenant_b, version="2025-07", language="en", title="B's", text="B", by=member(tenant_b, Role.OWNER)
    )
    first = privacy.publish_policy(
        tenant_a, version="2025-07", language="en", title="Old", text="Old text", by=manager
    )
    client.consent_version = "2025-07"
    client.save()
    newer = privacy.publish_policy(
        tenant_a, version="2026-02", language="en", title="New", text="New text", by=manager
    )
    assert privacy.policy_for_client(client) == first
    client.consent_version = "unknown"
    assert privacy.policy_for_client(client) == newer


def test_the_preview_shows_what_the_fetcher_refused(tenant_a, users_a, member_client, monkeypatch):
    # Were the editor's check ever bypassed, the renderer's fetcher still refuses, and the preview says what.
    from documents import sandbox

    monkeypatch.setattr(sandbox, "check_resource_urls", lambda source: None)
    body = '<p>{{ order.number }}</p><img src="http://127.0.0.1:8000/admin/">'
    response = member_client(Role.MANAGER).post(edit_url(tenant_a), {"body": body, "action": "preview"})
    assert response.status_code == 200
    assert response.context["form"].errors["body"] == [
        "The document tried to load “http://127.0.0.1:8000/admin/”, which documents may not use: only images and "
        "styles given by the variables (e.g. {{ tenant.logo }}), data: URIs or the project's /static/ files."
    ]
