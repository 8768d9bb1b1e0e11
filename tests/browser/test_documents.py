"""Issue 6's journeys in a real browser: the papers a service center prints, on the demo tenant (built as the
other browser tests build it, plus the demo paper details: bank, signer, logo, signature, stamp).

1. Reception (desktop) prints a new order's intake receipt from the order page: the PDF carries the order
   number and the client's name, and its QR code is, module for module, the QR code of the order's public link.
2. A manager issues the service contract and the completion act of a handed-over order with the interface in
   English, switches the interface to Russian with the navbar's language switcher and re-issues both in
   Russian; the panel keeps the newest version and folds the older, the archive lists all four, and each
   PDF has its language's title and the order's totals.
3. A technician on a phone sees no documents panel, and the documents' addresses refuse them (the role
   matrix gives DOCUMENTS_ISSUE to owner, manager and reception only).
4. The manager looks through every documents page (archive, details, templates, the template editor, the
   privacy policy) in Russian at 1280 and 375 px: nothing wider than the phone's screen.

Every page visited is photographed at 1280 and 375 px into $DOCUMENT_SHOTS_DIR (default
/tmp/shots/documents/) for a person to look at. PDFs are read with poppler's pdftotext and pdftoppm
(tests/documents/pdf_reading.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from documents.models import Document
from orders.models import OrderStatus
from orders.presentation import public_status_url
from tests.documents.pdf_reading import page_image, pdf_text, qr_texts_on_page

from .conftest import DEMO_EMAILS, DESKTOP, PHONE, assert_no_csp_errors, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("DOCUMENT_SHOTS_DIR") or "/tmp/shots/documents")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Issued PDFs and the paper images go to a temporary media folder (the live server shares settings)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def paper(demo):
    """The demo center's paper details and privacy policy, as `manage.py seed_demo` makes them."""
    from documents.demo import seed_demo_documents

    seed_demo_documents(demo.staff)
    return demo


# --- Helpers -------------------------------------------------------------------------------------------


def shoot(page: Page, name: str, focus=None) -> None:
    """Screenshots of the page at 1280 and 375 px wide (and of `focus`, a locator, at both: long pages shrink
    too much to read); at 375 nothing may be wider than the screen."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for width, height in ((DESKTOP["width"], DESKTOP["height"]), (PHONE["width"], PHONE["height"])):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        if focus is not None:
            focus.screenshot(path=str(SHOTS / f"{name}-{width}-detail.png"))
        if width == PHONE["width"]:
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width, f"{page.url} is {overflow} px wide on a {width} px screen"
    page.set_viewport_size(size)


def keep_pdf(pdf: bytes, name: str) -> None:
    """The PDF and a picture of its first page next to the screenshots, to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"{name}.pdf").write_bytes(pdf)
    page_image(pdf, dpi=100).save(SHOTS / f"{name}.pdf.png")


def panel_row(page: Page, kind: str):
    return page.get_by_test_id("documents-panel").locator(f"[data-kind={kind}]")


def issue(page: Page, kind: str, language: str, button: str) -> None:
    """Issue (or re-issue) a document from the order page's panel, in `language`."""
    row = panel_row(page, kind)
    row.locator("select[name=language]").select_option(language)
    # Wait for the POST's answer: an alert of the previous issue may still be on the page until it arrives.
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/documents/issue/")
    ) as answer:
        row.get_by_role("button", name=button).click()
    assert answer.value.status == 302, answer.value.status
    page.wait_for_load_state()
    expect(page.locator("[role=alert].alert-success")).to_be_visible()


def fetch_pdf(page: Page, link) -> bytes:
    """What the link serves, read with the person's own session (their cookies): it must be a PDF."""
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200, response.status
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    body = response.body()
    assert body.startswith(b"%PDF-")
    return body


def download_pdf(page: Page, link) -> tuple[str, bytes]:
    """Click a download link: (the file name the browser saves under, the bytes)."""
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def switch_language(page: Page, code: str) -> None:
    """The navbar's language switcher (its menu names each language in that language)."""
    page.get_by_test_id("language-switcher").click()
    page.locator(f"button[name=language][value={code}]").click()
    expect(page.locator("html")).to_have_attribute("lang", code)


# --- 1. The intake receipt --------------------------------------------------------------------------


def test_reception_prints_the_intake_receipt_with_a_working_qr_code(paper, make_order, page_for):
    order = make_order("new", client_name="Nina Orlova", client_phone="+79035550101")
    page = page_for(DESKTOP)
    login(page, DEMO_EMAILS["reception"], next=f"/demo/orders/{order.number}/")

    row = panel_row(page, "intake_receipt")
    expect(row).to_contain_text("Intake receipt")
    # The picker starts on the center's own language (Russian for the demo center).
    expect(row.locator("select[name=language]")).to_have_value("ru")
    issue(page, "intake_receipt", "ru", "Issue")
    document = Document.objects.get(order=order, kind="intake_receipt")
    expect(page.locator("[role=alert].alert-success")).to_contain_text(
        f"Issued Intake receipt {document.display_number}."
    )
    expect(row).to_contain_text(document.display_number)
    expect(row.get_by_role("button", name="Re-issue")).to_be_visible()
    shoot(page, "order-reception", focus=page.get_by_test_id("documents-panel"))

    # The printer button opens the stored PDF in a new tab (whose viewer hides the bytes from Playwright, so
    # its address is read with the person's session); the arrow saves it.
    printer = row.get_by_role("link", name="Open and print")
    expect(printer).to_have_attribute("target", "_blank")
    printed = fetch_pdf(page, printer)
    filename, saved = download_pdf(page, row.get_by_role("link", name="Download"))
    assert saved == printed
    assert filename == f"intake_receipt_{document.display_number}_order-{order.number}.pdf"

    keep_pdf(printed, "intake-receipt-ru")
    text = pdf_text(printed)
    assert "Квитанция о приёме" in text
    assert f"Заказ № {order.number}" in text
    assert f"№ {document.display_number}" in text
    assert "Nina Orlova" in text
    url = public_status_url(order)
    assert url in text  # printed for those who cannot scan, too
    assert qr_texts_on_page(printed, [url, url + "x"]) == [url], "the QR code is not the order's public link"
    assert_no_csp_errors(page)


# --- 2. Contract and completion act, in English and in Russian ----------------------------------------


def test_manager_issues_the_contract_and_the_act_in_english_and_in_russian(paper, make_order, page_for):
    order = make_order("handed_over", client_name="Pavel Smirnov", client_phone="+79035550102")
    assert order.status == OrderStatus.HANDED_OVER and order.total_amount == 4500  # one work line, paid
    page = page_for(DESKTOP)
    login(page, DEMO_EMAILS["manager"], next=f"/demo/orders/{order.number}/")

    # English interface, English papers.
    issue(page, "service_contract", "en", "Issue")
    contract = Document.objects.get(order=order, kind="service_contract")
    expect(page.locator("[role=alert].alert-success")).to_contain_text(
        f"Issued Service contract {contract.display_number}."
    )
    issue(page, "completion_act", "en", "Issue")
    act = Document.objects.get(order=order, kind="completion_act")
    expect(page.locator("[role=alert].alert-success")).to_contain_text(
        f"Issued Completion act {act.display_number}."
    )
    for kind in ("service_contract", "completion_act"):
        expect(panel_row(page, kind).locator(".badge", has_text="EN")).to_be_visible()

    text = pdf_text(
        fetch_pdf(page, panel_row(page, "service_contract").get_by_role("link", name="Open and print"))
    )
    assert (
        "Service contract" in text
        and f"No. {contract.display_number}" in text
        and f"Order #{order.number}" in text
    )
    assert "The estimated price is RUB 4,500.00." in text and "Pavel Smirnov" in text
    act_en = fetch_pdf(page, panel_row(page, "completion_act").get_by_role("link", name="Open and print"))
    keep_pdf(act_en, "completion-act-en")
    text = pdf_text(act_en)
    assert "Completion act" in text and f"No. {act.display_number}" in text
    assert "Phone screen replacement" in text and "Total: RUB 4,500.00" in text
    assert "Акт" not in text  # nothing Russian in the English paper

    # The navbar's switcher turns the interface Russian; the same panel issues the Russian papers.
    switch_language(page, "ru")
    expect(page.get_by_test_id("documents-panel")).to_contain_text("Документы")
    issue(page, "service_contract", "ru", "Оформить заново")
    expect(page.locator("[role=alert].alert-success")).to_contain_text(
        f"Оформлен документ: Договор оказания услуг {contract.display_number}."
    )
    issue(page, "completion_act", "ru", "Оформить заново")
    for kind, number in (
        ("service_contract", contract.display_number),
        ("completion_act", act.display_number),
    ):
        row = panel_row(page, kind)
        expect(row.locator(".badge", has_text="RU")).to_be_visible()
        expect(row.locator(".badge", has_text="v2")).to_be_visible()  # same number, second version
        expect(row.locator("details summary")).to_contain_text("1 предыдущая редакция")
        expect(row).to_contain_text(number)
    shoot(page, "order-manager-ru", focus=page.get_by_test_id("documents-panel"))

    contract_ru = fetch_pdf(
        page, panel_row(page, "service_contract").get_by_role("link", name="Открыть и распечатать")
    )
    keep_pdf(contract_ru, "service-contract-ru")
    text = pdf_text(contract_ru)
    assert "Договор оказания услуг" in text and f"№ {contract.display_number}" in text
    assert "Предварительная стоимость услуги — 4 500,00 ₽." in text and "Pavel Smirnov" in text
    act_ru = fetch_pdf(
        page, panel_row(page, "completion_act").get_by_role("link", name="Открыть и распечатать")
    )
    keep_pdf(act_ru, "completion-act-ru")
    text = pdf_text(act_ru)
    assert "Акт выполненных работ" in text and f"№ {act.display_number}" in text
    # (the totals' labels and sums are columns of one table: pdftotext reads the labels first)
    assert "Итого" in text and "на сумму 4 500,00 ₽ (Четыре тысячи пятьсот рублей 00 копеек)" in text
    assert "Completion act" not in text

    # The archive (Administration menu) lists all four, newest first; the filter narrows it to the acts.
    page.get_by_role("button", name="Управление").click()
    page.get_by_role("link", name="Документы").click()
    expect(page.locator("h1")).to_have_text("Документы")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text(f"{act.display_number} v2 RU")
    expect(rows.nth(3)).to_contain_text(f"{contract.display_number} EN")
    shoot(page, "archive-ru")
    page.get_by_label("Документ", exact=True).select_option(label="Акт выполненных работ")
    page.get_by_role("button", name="Показать").click()
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Pavel Smirnov")
    filename, saved = download_pdf(page, rows.first.get_by_role("link", name="Скачать"))
    assert filename == f"completion_act_{act.display_number}_v2_order-{order.number}.pdf"
    assert "Акт выполненных работ" in pdf_text(saved)
    assert Document.objects.filter(order=order).count() == 4
    assert_no_csp_errors(page)


# --- 3. Technicians see no documents ----------------------------------------------------------------


def test_a_technician_cannot_issue_or_read_documents(paper, make_order, page_for):
    from documents import services
    from servicedesk.tenancy.roles import Role

    order = make_order("in_progress")
    receipt = services.issue(order, "intake_receipt", "ru", by=paper.members[Role.RECEPTION])
    phone = page_for(PHONE)
    login(phone, DEMO_EMAILS["technician"], next=f"/demo/orders/{order.number}/")
    expect(phone.locator("h1 .status-badge")).to_have_text("In progress")
    expect(phone.get_by_test_id("documents-panel")).to_have_count(0)
    expect(phone.get_by_role("button", name="Issue")).to_have_count(0)
    expect(phone.get_by_role("button", name="Re-issue")).to_have_count(0)
    shoot(phone, "order-technician")

    # Typing the addresses does not help: the archive, the stored PDF and issuing are refused.
    for path in (
        "/demo/documents/",
        f"/demo/documents/{receipt.pk}/",
        f"/demo/documents/{receipt.pk}/?download=1",
    ):
        response = phone.goto(path)
        assert response.status == 403, (path, response.status)
    shoot(phone, "refused-technician")
    phone.goto(f"/demo/orders/{order.number}/")
    token = phone.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = phone.request.post(
        f"/demo/orders/{order.number}/documents/issue/",
        form={"csrfmiddlewaretoken": token, "kind": "service_contract", "language": "ru"},
    )
    assert response.status == 403
    assert list(Document.objects.filter(order=order).values_list("kind", flat=True)) == ["intake_receipt"]
    assert_no_csp_errors(phone)


# --- 4. Every documents page, in Russian, at both widths -------------------------------------------------


def test_the_documents_pages_in_russian_fit_a_phone(paper, page_for):
    page = page_for(DESKTOP)
    login(page, DEMO_EMAILS["manager"], next="/demo/documents/")
    switch_language(page, "ru")
    expect(
        page.get_by_role("cell", name="Документов пока нет. Оформляйте их на странице заказа.")
    ).to_be_visible()
    shoot(page, "archive-empty-ru")

    page.get_by_role("link", name="Реквизиты").click()
    expect(page.locator("input[name=bank_bik]")).to_have_value("044525000")
    expect(page.get_by_label("Удалить")).to_have_count(3)  # logo, signature, stamp: each can be removed
    shoot(page, "settings-ru")

    page.get_by_role("link", name="Шаблоны").click()
    shoot(page, "templates-ru")
    page.goto("/demo/documents/templates/edit/?kind=completion_act&language=ru")
    expect(page.locator("textarea[name=body]")).to_contain_text("Акт выполненных работ")
    variables = page.locator("dl")
    expect(variables).to_contain_text("Юридическое наименование (если не указано — название)")
    expect(variables).not_to_contain_text("Legal name")
    shoot(page, "template-edit-ru")
    # The preview opens in a new tab (Chromium's PDF viewer, whose page hides the bytes): the draft with sample
    # data, numbered "ОБРАЗЕЦ", nothing stored. The same form posted by the person's session gives the bytes.
    with page.context.expect_event("response", lambda r: r.request.method == "POST") as preview_info:
        page.get_by_role("button", name="Предпросмотр PDF").click()
    preview = preview_info.value
    assert preview.status == 200 and preview.headers["content-type"] == "application/pdf"
    form = page.locator("main form[method=post]")
    response = page.request.post(
        page.url,
        form={
            "csrfmiddlewaretoken": form.locator("input[name=csrfmiddlewaretoken]").input_value(),
            "body": form.locator("textarea[name=body]").input_value(),
            "action": "preview",
        },
    )
    text = pdf_text(response.body())
    assert "Акт выполненных работ" in text and "ОБРАЗЕЦ" in text
    assert not Document.objects.exists()

    page.get_by_role("link", name="Политика конфиденциальности").click()
    expect(page.locator("main")).to_contain_text("Политика обработки персональных данных")
    shoot(page, "privacy-ru")
    page.goto("/demo/documents/privacy/publish/")
    shoot(page, "privacy-publish-ru")
    assert_no_csp_errors(page)
