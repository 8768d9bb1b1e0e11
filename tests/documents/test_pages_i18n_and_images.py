"""Found by the browser test's screenshots (tests/browser/test_documents.py): the template editor listed most
variables in English on the Russian page, and the details page printed each stored image's storage path as a
link (media is not served) that broke a phone's width. Here the behaviour behind both fixes."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from documents.models import DocumentSettings
from documents.variables import flat_schema
from servicedesk.tenancy.roles import Role
from tests.helpers import text_of

pytestmark = pytest.mark.django_db


def png_upload(size=(60, 60)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 200, 128)).save(buffer, "PNG")
    return SimpleUploadedFile("stamp.png", buffer.getvalue(), content_type="image/png")


def test_every_template_variable_is_described_in_russian():
    with translation.override("en"):
        english = dict(flat_schema())
    with translation.override("ru"):
        russian = dict(flat_schema())
    assert russian.keys() == english.keys()
    untranslated = [path for path, text in russian.items() if text == english[path]]
    assert not untranslated, f"described in English on the Russian editor: {untranslated}"


def test_the_editor_page_lists_the_variables_in_russian(tenant_a, member_client):
    client = member_client(Role.MANAGER)
    client.cookies["django_language"] = "ru"
    page = client.get(
        reverse("documents:template_edit", args=[tenant_a.slug]) + "?kind=completion_act&language=ru"
    )
    assert page.status_code == 200
    text = text_of(page)
    assert "Юридическое наименование (если не указано — название)" in text and "Legal name" not in text


def test_a_stored_image_shows_as_a_preview_and_can_be_removed(tenant_a, member_client):
    client = member_client(Role.MANAGER)
    url = reverse("documents:settings", args=[tenant_a.slug])
    assert client.post(url, {"signer_name": "Olga Director", "stamp": png_upload()}).status_code == 302
    stamp = DocumentSettings.objects.get(tenant=tenant_a).stamp.name
    assert stamp

    page = client.get(url).content.decode()
    assert "data:image/png;base64," in page
    assert stamp not in page  # no storage path, no /media/ link
    assert (
        'name="stamp-clear"' in page and 'name="logo-clear"' not in page
    )  # "Remove" only for what is stored

    assert client.post(url, {"signer_name": "Olga Director", "stamp-clear": "on"}).status_code == 302
    paper = DocumentSettings.objects.get(tenant=tenant_a)
    assert not paper.stamp and paper.signer_name == "Olga Director"

    # Both a new file and "Remove": the form says which to choose and keeps the stored image.
    client.post(url, {"stamp": png_upload()})
    response = client.post(url, {"stamp": png_upload(), "stamp-clear": "on"})
    assert response.status_code == 200 and response.context["form"].errors["stamp"]
    assert DocumentSettings.objects.get(tenant=tenant_a).stamp
