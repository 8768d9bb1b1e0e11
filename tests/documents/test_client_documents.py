"""Issue 14 item 8: the English signer title, and the client's act and warranty card behind the status token."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from documents import services
from documents.models import DocumentSettings, Kind
from documents.variables import signer_title
from orders.models import OrderStatus

from .conftest import make_order, stored_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()


def test_the_signer_title_is_in_the_documents_language():
    russian = DocumentSettings(signer_name="Ольга Иванова", signer_title="Генеральный директор")
    assert signer_title(russian, "ru") == "Генеральный директор"
    assert signer_title(russian, "en") == "Authorised signatory"  # never Cyrillic on an English act
    russian.signer_title_en = "Director"
    assert signer_title(russian, "en") == "Director"
    english = DocumentSettings(signer_name="Jane Doe", signer_title="Managing director")
    assert signer_title(english, "en") == "Managing director"


def test_the_english_act_prints_the_english_signer_title(done_order, reception_a):
    paper = DocumentSettings.for_tenant(done_order.tenant_id)
    paper.signer_name, paper.signer_title, paper.signer_title_en = (
        "Olga Ivanova",
        "Генеральный директор",
        "Director",
    )
    paper.save()
    for kind in (Kind.COMPLETION_ACT, Kind.WARRANTY_CARD):
        text = stored_text(services.issue(done_order, kind, "en", by=reception_a))
        assert "Director Olga Ivanova" in " ".join(text.split())
        assert "Генеральный" not in text


def _status(order, client):
    return client.get(reverse("orders:public_status", args=[order.public_token]))


def test_after_handover_the_status_page_offers_the_act_and_the_warranty_card(done_order, reception_a, client):
    act = services.issue(done_order, Kind.COMPLETION_ACT, "en", by=reception_a)
    card = services.issue(done_order, Kind.WARRANTY_CARD, "en", by=reception_a)
    page = _status(done_order, client).content.decode()
    act_url = reverse("documents_public:public_document", args=[done_order.public_token, "completion_act"])
    card_url = reverse("documents_public:public_document", args=[done_order.public_token, "warranty_card"])
    assert act_url in page and card_url in page
    response = client.get(act_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert (response["Referrer-Policy"], response["Cache-Control"]) == ("no-referrer", "no-store")
    assert response["X-Robots-Tag"].startswith("noindex")
    assert b"".join(response.streaming_content) == act.file.open("rb").read()
    assert client.get(card_url).status_code == 200 and card.pk


def test_no_documents_before_handover_for_another_kind_or_a_wrong_token(tenant_a, users_a, client):
    from documents.models import Kind as K

    from .conftest import member

    ready = make_order(tenant_a, status=OrderStatus.READY)
    services.issue(ready, K.WARRANTY_CARD, "en", by=member(tenant_a, "reception"))
    assert "documents/warranty_card" not in _status(ready, client).content.decode()
    url = reverse("documents_public:public_document", args=[ready.public_token, "warranty_card"])
    assert client.get(url).status_code == 404
    done = make_order(tenant_a)
    for kind in ("intake_receipt", "service_contract", "nonsense"):
        assert (
            client.get(
                reverse("documents_public:public_document", args=[done.public_token, kind])
            ).status_code
            == 404
        )
    wrong = reverse("documents_public:public_document", args=["x" * 43, "completion_act"])
    assert client.get(wrong).status_code == 404
    # issued nothing yet: nothing offered, nothing served
    assert (
        client.get(
            reverse("documents_public:public_document", args=[done.public_token, "completion_act"])
        ).status_code
        == 404
    )
