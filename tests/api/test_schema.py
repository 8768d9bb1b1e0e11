"""The OpenAPI schema validates; the request bodies it describes are the web forms' fields; the
documentation page is served from our own static files within the CSP."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse

from api import views
from orders.forms import IntakeForm, LineItemForm, TransitionForm

pytestmark = pytest.mark.django_db


def test_the_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "/api/v1/orders/{order_number}/actions/{action}/:" in text
    assert "bearerFormat: sdk_<prefix>_<secret>" in text


def test_the_schema_is_served(client):
    response = client.get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "ServiceDesk API"
    assert schema["paths"]["/api/v1/orders/"]["post"]["security"] == [{"apiKey": []}]


@pytest.mark.parametrize(
    "serializer, form, left_out",
    [
        (views.IntakeRequest, IntakeForm, {"photos"}),
        (views.LineRequest, LineItemForm, set()),
        (views.TransitionRequest, TransitionForm, set()),
    ],
)
def test_request_bodies_are_the_forms_fields(serializer, form, left_out):
    assert set(serializer().fields) == set(form.base_fields) - left_out


def test_the_docs_page_uses_our_own_files_only(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html and "<style" not in html and " style=" not in html  # no inline code (CSP)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(src.startswith("/") for src in sources), sources
    for src in sources:
        if src.startswith("/static/"):
            assert finders.find(src.removeprefix("/static/")), f"{src} is not one of our static files"
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
