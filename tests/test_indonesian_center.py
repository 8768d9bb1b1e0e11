"""Issue #18, done when: "An owner in Indonesia signs up in Bahasa Indonesia, takes in an order from a +62
client, and the client gets Indonesian messages, an Indonesian status page and a receipt in IDR with NPWP on
it."

One journey through the public HTTP endpoints with Django's test client (fast: no browser). The owner switches
the site to Bahasa Indonesia as the navbar's switcher does (a POST to /i18n/setlang/), signs up in Indonesia,
confirms the e-mail from the link in the mail (a center's client messages are held until then), logs in,
fills NPWP and NIB in the center's settings, takes in an order from a number typed the Indonesian way, and
issues the intake receipt from the order page's documents panel. The client's SMS and e-mail are read from the
test outboxes, the status page is opened from the SMS link by a browser that has never been here, and the
receipt's PDF is read back as text. Every expected word is written out from locale/id/LC_MESSAGES/django.po
and notifications/defaults.py.
"""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.test import Client as Browser
from django.urls import reverse

from notifications import sms
from orders.models import Order, ServiceType
from servicedesk.accounts.models import User
from servicedesk.tenancy.models import Tenant
from tests.documents.pdf_reading import pdf_text
from tests.helpers import form_values, links_in, text_of

pytestmark = pytest.mark.django_db

PASSWORD = "kopi-Tubruk-4821-pagi"
NPWP = "01.234.567.8-901.000"
NIB = "9120001234567"


@pytest.fixture
def outboxes(settings, celery_eager, tmp_path):
    """Messages go to the in-memory outboxes (SMS: notifications.sms.outbox; e-mail: Django's locmem), the
    tasks that send them run in-process, and the PDFs land in a scratch media folder."""
    settings.SMS_BACKEND = "notifications.sms.LocmemBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def path_of(link: str) -> str:
    """ "/s/<token>/" of an absolute link (links are built with settings.SITE_URL)."""
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_an_owner_in_indonesia_signs_up_takes_in_an_order_and_the_client_hears_indonesian(
    client, outboxes, mailoutbox, django_capture_on_commit_callbacks
):
    # --- The owner switches the site to Bahasa Indonesia and signs up ------------------------------------
    response = client.post(reverse("set_language"), {"language": "id", "next": "/accounts/signup/"})
    assert response.status_code == 302 and response.url == "/accounts/signup/"
    signup_page = client.get("/accounts/signup/")
    assert "Daftarkan pusat servis" in text_of(signup_page)
    suggested = form_values(signup_page, containing='name="tenant_name"')
    assert (suggested["country"], suggested["language"]) == ("ID", "id")  # the page's language suggests them

    response = client.post(
        "/accounts/signup/",
        {
            **suggested,
            "full_name": "Dewi Lestari",
            "email": "dewi@servisjaya.test",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "tenant_name": "Servis Jaya",
            "slug": "servis-jaya",
            "location_name": "Gerai Sudirman",
            "location_address": "Jl. Jend. Sudirman No. 5, Jakarta",
            "time_zone": "",  # the country's main zone
            "starter_catalogue": "phones",
        },
    )
    assert response.status_code == 302 and response.url == reverse("accounts:signup_sent")
    assert "Periksa kotak masuk Anda untuk menyelesaikan pendaftaran" in text_of(client.get(response.url))
    center = Tenant.objects.get(slug="servis-jaya")
    assert (center.country, center.language, center.currency, center.time_zone) == (
        "ID",
        "id",
        "IDR",
        "Asia/Jakarta",
    )

    # --- The confirmation mail, in Indonesian; its link confirms the address -----------------------------
    [confirmation] = mailoutbox
    assert confirmation.to == ["dewi@servisjaya.test"]
    assert confirmation.subject == "Konfirmasi alamat e-mail Anda untuk ServiceDesk"
    confirm_link = links_in(confirmation.body)[0]
    assert client.get(path_of(confirm_link)).status_code == 200
    assert User.objects.get(email="dewi@servisjaya.test").email_confirmed_at is not None

    response = client.post("/accounts/login/", {"username": "dewi@servisjaya.test", "password": PASSWORD})
    assert response.status_code == 302

    # --- NPWP and NIB in the center's settings, under the names Indonesia gives them ---------------------
    settings_url = reverse("tenancy:settings", kwargs={"tenant_slug": "servis-jaya"})
    settings_page = client.get(settings_url)
    labels = {
        field: " ".join(re.sub(r"<[^>]+>", " ", text).split())
        for field, text in re.findall(
            r'<label[^>]*for="id_(\w+)"[^>]*>(.*?)</label>', settings_page.content.decode(), re.S
        )
    }
    assert (labels["tax_id"], labels["registration_number"]) == ("NPWP", "NIB")  # what Indonesia calls them
    response = client.post(
        settings_url,
        {
            **form_values(settings_page, containing='name="tax_id"'),
            "legal_name": "PT Servis Jaya Abadi",
            "tax_id": NPWP,
            "registration_number": NIB,
        },
    )
    assert response.status_code == 302
    assert "Pengaturan disimpan." in text_of(client.get(response.url))

    # This center sends SMS around the clock (the same time twice: no quiet hours), so what the client gets
    # does not depend on the hour the test runs at in Jakarta.
    quiet_url = reverse("notifications:settings", args=["servis-jaya"])
    response = client.post(quiet_url, {"quiet_from": "00:00", "quiet_to": "00:00"})
    assert response.status_code == 302
    assert "Jam tenang disimpan." in text_of(client.get(response.url))

    # --- An order from a +62 client, the number typed the local way ---------------------------------------
    intake_url = reverse("orders:intake", args=["servis-jaya"])
    intake_page = client.get(intake_url)
    screen = ServiceType.objects.for_tenant(center).get(name="Ganti layar HP")  # the starter catalogue's
    assert screen.base_price == Decimal("855000.00")  # in rupiah (4 500 roubles' worth), not Rp 4.500
    assert f'<option value="{screen.pk}"' in intake_page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            intake_url,
            {
                **form_values(intake_page, containing='name="client_phone"'),
                "client_phone": "0812-3456-7890",
                "client_name": "Siti Rahmawati",
                "client_email": "siti@example.test",
                "consent": "on",
                "service_type": screen.pk,
                "item_kind": "HP",
                "item_brand": "Samsung",
                "item_model": "Galaxy A54",
                "item_serial": "356789104512345",
                "item_condition": "Layar retak di pojok kanan atas",
                "item_accessories": "Casing",
                "problem": "Layar retak, sentuhan tidak berfungsi",
                "estimate": "850000",
                "prepayment": "100000",
            },
            follow=True,
        )
    order = Order.objects.for_tenant(center).select_related("client").get()
    assert response.redirect_chain[-1][0] == reverse("orders:detail", args=["servis-jaya", order.number])
    assert "Order #1 sudah diterima." in text_of(response)
    assert (order.client.phone, order.client.language) == ("+6281234567890", "id")

    # --- The client's SMS and e-mail, in Indonesian ---------------------------------------------------
    [text] = [message for message in outboxes if message["to"] == "+6281234567890"]
    status_link = links_in(text["text"])[0]
    assert text["text"] == f"Servis Jaya: order #1 sudah kami terima. Status: {status_link}"
    [mail_to_client] = [message for message in mailoutbox if message.to == ["siti@example.test"]]
    assert mail_to_client.subject == "Order #1 sudah kami terima"
    assert mail_to_client.body.startswith(
        "Halo, Siti Rahmawati!\n\nOrder Anda #1 sudah kami terima: Ganti layar HP"
    )
    assert f"Pantau status order Anda kapan saja di sini: {status_link}" in mail_to_client.body

    # --- The status page from the SMS link, on a phone that has never been here ---------------------------
    status_page = Browser(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get(path_of(status_link))
    assert status_page.status_code == 200
    assert '<html lang="id"' in status_page.content.decode()
    page = " ".join(re.sub(r"<[^>]+>", " ", text_of(status_page)).split())  # the words a reader sees
    assert "Untuk Siti R. Order No. 1 HP Samsung Galaxy A54 Baru" in page
    assert "Permintaan Anda sudah kami terima dan pekerjaan akan segera kami jadwalkan." in page
    assert "Target selesai" in page and "Riwayat" in page
    assert "Pembayaran diterima" in page and "Order diterima" in page  # the history

    # --- The intake receipt from the order page's documents panel: rupiah without decimals, NPWP -----------
    order_page = client.get(reverse("orders:detail", args=["servis-jaya", order.number]))
    issue_form = form_values(order_page, containing='value="intake_receipt"')
    assert issue_form == {"kind": "intake_receipt", "language": "id"}  # the client's language first
    response = client.post(
        reverse("documents:issue", args=["servis-jaya", order.number]), {**issue_form, "then": "open"}
    )
    assert response.status_code == 302
    pdf = client.get(response.url)
    assert pdf["Content-Type"] == "application/pdf"
    receipt = " ".join(pdf_text(b"".join(pdf.streaming_content)).replace("\xa0", " ").split())
    assert re.search(r"Tanda Terima Servis No\. R-\d{4}-00001 tanggal", receipt)  # this year's first
    assert f"PT Servis Jaya Abadi NPWP {NPWP}, NIB {NIB}" in receipt
    assert "Pelanggan Siti Rahmawati, +62 812-3456-7890" in receipt
    assert "Estimasi biaya Rp 850.000 Uang muka Rp 100.000" in receipt
    assert f"Status order Anda, kapan saja: {status_link}" in receipt
    assert "850.000,00" not in receipt and "IDR" not in receipt
