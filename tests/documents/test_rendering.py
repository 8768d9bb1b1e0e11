"""documents.rendering: WeasyPrint may read the project's static files, this tenant's uploads and data:
URIs, and nothing else."""

from __future__ import annotations

import base64
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image
from pypdf import PdfReader

from documents.rendering import BASE_URL, FetchRefused, SafeFetcher, html_to_pdf

pytestmark = pytest.mark.once  # HTML to PDF, no database: .ci/run runs these once


def png_bytes(color=(200, 0, 0)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), color).save(buffer, "PNG")
    return buffer.getvalue()


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/x.png",
        "file:///etc/passwd",
        "http://127.0.0.1:8000/admin/",
        "http://localhost/x.png",
        "http://[::1]/x.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/x.css",
        "ftp://example.com/x",
        "https://servicedesk.invalid/etc/passwd",
        "https://servicedesk.invalid/static/../settings.py",
        "https://servicedesk.invalid/static/%2e%2e/%2e%2e/servicedesk/settings.py",
        "https://servicedesk.invalid/static/documents/../../../manage.py",
        "https://servicedesk.invalid/media/documents/2/assets/x.png",  # tenant 2's upload, we are tenant 1
        "https://servicedesk.invalid/media/orders/2/x.png",
        "https://servicedesk.invalid/media/documents/1/2026/completion_act/x.pdf",  # PDFs are not images
        "https://user@servicedesk.invalid/static/fonts/dejavu/DejaVuSans.ttf",
        "https://servicedesk.invalid.example.com/static/fonts/dejavu/DejaVuSans.ttf",
    ],
)
def test_the_fetcher_refuses_everything_outside_the_allow_list(url):
    fetcher = SafeFetcher(tenant_id=1)
    with pytest.raises((FetchRefused, ValueError)):
        fetcher(url)
    assert fetcher.refused == [url]


def test_the_fetcher_serves_static_files_data_uris_and_the_tenants_uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = default_storage.save("documents/1/assets/logo.png", ContentFile(png_bytes()))
    fetcher = SafeFetcher(tenant_id=1)
    assert fetcher(BASE_URL + "static/fonts/dejavu/DejaVuSans.ttf").read()[:4] == b"\x00\x01\x00\x00"
    assert fetcher(BASE_URL + "media/" + name).read() == png_bytes()
    assert fetcher("data:text/plain;base64," + base64.b64encode(b"hi").decode()).read() == b"hi"
    assert fetcher.refused == []


def test_a_document_with_outside_urls_renders_without_fetching_them(settings, tmp_path):
    """Even HTML that bypassed the template check (the fetcher is the second lock) loads nothing outside."""
    settings.MEDIA_ROOT = tmp_path
    own = default_storage.save("documents/1/assets/own.png", ContentFile(png_bytes()))
    other = default_storage.save("documents/2/assets/other.png", ContentFile(png_bytes((0, 0, 200))))
    html = (
        "<p>Тест Cyrillic</p>"
        '<img src="http://127.0.0.1:9/x.png"><img src="file:///etc/hostname">'
        f'<img src="/media/{other}"><img src="/media/{own}">'
        "<style>@import url(https://example.com/x.css);</style>"
    )
    rendered = html_to_pdf(html, tenant_id=1, language="ru")
    assert rendered.pdf.startswith(b"%PDF")
    assert "Тест Cyrillic" in pdf_text(rendered.pdf)
    refused = " ".join(rendered.refused)
    assert "127.0.0.1" in refused and "file:///etc/hostname" in refused and "/documents/2/" in refused
    assert "example.com" in refused
    assert own not in refused


def test_fonts_are_the_bundled_dejavu():
    rendered = html_to_pdf("<p>Привет, мир</p>", tenant_id=None, language="ru")
    page = PdfReader(io.BytesIO(rendered.pdf)).pages[0]
    fonts = [str(font.get_object()["/BaseFont"]) for font in page["/Resources"]["/Font"].values()]
    assert fonts and all(
        "DocSans" in name for name in fonts
    )  # the @font-face family from static/fonts/dejavu
    assert "Привет, мир" in pdf_text(rendered.pdf)


def test_the_shared_stylesheet_is_parsed_once_and_a_templates_own_fonts_get_their_own(monkeypatch):
    from documents import rendering

    shared = rendering._shared_stylesheet()
    first = html_to_pdf("<p>Акт</p>", tenant_id=None, language="ru")
    assert rendering._shared_stylesheet() is shared, "one parse per process"
    assert "Акт" in pdf_text(first.pdf)

    made: list = []
    real = rendering.FontConfiguration
    monkeypatch.setattr(rendering, "FontConfiguration", lambda: made.append(1) or real())
    own = html_to_pdf(
        '<style>@font-face { font-family: "Mine"; src: url("/static/fonts/dejavu/DejaVuSans-Bold.ttf"); }'
        ' p { font-family: "Mine"; }</style><p>Свой шрифт</p>',
        tenant_id=None,
        language="ru",
    )
    assert made == [1], "a document declaring fonts registers them in a configuration of its own"
    assert "Свой шрифт" in pdf_text(own.pdf)
    html_to_pdf("<p>Again</p>", tenant_id=None, language="en")
    assert made == [1]


def test_the_line_items_kind_fits_its_column():
    """The kind column is wide enough for the longest kind: every part's row stays one line."""
    rows = "".join(
        f"<tr><td class='num'>{i}</td><td>Дисплейный модуль #{i}</td><td>Запчасть, материал</td>"
        f"<td class='num'>3</td><td class='num'>16 900,00</td><td class='num'>150 700,00</td></tr>"
        for i in range(1, 4)
    )
    html = (
        "<table class='lines'><thead><tr><th class='num'>№</th><th>Наименование</th><th>Вид</th>"
        "<th class='num'>Кол-во</th><th class='num'>Цена, ₽</th><th class='num'>Сумма, ₽</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    text = pdf_text(html_to_pdf(html, tenant_id=None, language="ru").pdf)
    assert text.count("Запчасть, материал") == 3
