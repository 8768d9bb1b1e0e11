"""A client hears their own language: messages to them follow Client.language, staff keep the center's."""

from __future__ import annotations

import pytest
from django.core import mail

from notifications.models import Audience, Notification
from orders import services
from orders.models import ServiceFormat
from servicedesk.tenancy.roles import Role

from .conftest import assign_technician, member, service_type, tenant_location

pytestmark = pytest.mark.django_db


def intake(tenant, *, language: str, phone: str, name: str = "Анна"):
    data = services.IntakeData(
        client=None,
        client_name=name,
        client_phone=phone,
        client_email="anna@example.test",
        client_language=language,
        consent=True,
        service_type=service_type(tenant),
        format=ServiceFormat.IN_SHOP,
        intake_location=tenant_location(tenant),
        problem="Does not switch on",
    )
    return services.take_in(tenant, data, by=member(tenant, Role.RECEPTION))


def test_a_russian_client_of_an_english_center_hears_russian(
    tenant_a, users_a, django_capture_on_commit_callbacks, sms_outbox
):
    assert tenant_a.language == "en"
    with django_capture_on_commit_callbacks(execute=True):
        order = intake(tenant_a, language="ru", phone="+79161110001")
        assign_technician(order)
    assert order.client.language == "ru"
    client_mail, staff_mail = mail.outbox
    assert client_mail.to == ["anna@example.test"]
    assert client_mail.subject == f"Заказ №{order.number} принят"
    assert "Здравствуйте, Анна!" in client_mail.body
    assert sms_outbox[0]["text"].startswith("Alpha Repairs: заказ №")
    # The technician is staff: the center's language, not the client's.
    assert staff_mail.subject == f"Order #{order.number} is assigned to you"
    languages = dict(Notification.objects.filter(order=order).values_list("audience", "language"))
    assert languages == {Audience.CLIENT: "ru", Audience.STAFF: "en"}


def test_a_client_without_a_language_hears_the_centers(
    tenant_a, users_a, django_capture_on_commit_callbacks, sms_outbox
):
    tenant_a.language = "ru"
    tenant_a.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        order = intake(tenant_a, language="", phone="+79161110002")
    assert mail.outbox[0].subject == f"Заказ №{order.number} принят"


def test_a_language_the_interface_lacks_falls_back_to_the_centers(
    tenant_a, users_a, django_capture_on_commit_callbacks, sms_outbox
):
    """A code stored by a language later removed (or mistyped through the admin) never breaks a message."""
    with django_capture_on_commit_callbacks(execute=True):
        order = intake(tenant_a, language="xx", phone="+79161110003", name="Anna")
    assert mail.outbox[0].subject == f"Order #{order.number} received"
