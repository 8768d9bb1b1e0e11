"""A center whose owner has not confirmed their e-mail address: its client messages are written but held
(not sent, no attempt used) and go out once the owner confirms; staff messages are not held."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from notifications import outbox
from notifications.models import Audience, Channel, Kind, Notification, State
from servicedesk.tenancy import services
from servicedesk.tenancy.models import Tenant
from servicedesk.tenancy.roles import Role
from tests.helpers import text_of

from .conftest import assign_technician, take_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def unconfirmed(tenant_a, users_a):
    """Alpha as if just signed up: its owner has not opened the confirmation link."""
    Tenant.objects.filter(pk=tenant_a.pk).update(owner_confirmed_at=None)
    users_a[Role.OWNER].__class__.objects.filter(pk=users_a[Role.OWNER].pk).update(email_confirmed_at=None)
    users_a[Role.OWNER].refresh_from_db()
    return tenant_a


def test_client_messages_are_held_not_sent(unconfirmed, django_capture_on_commit_callbacks, sms_outbox):
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(unconfirmed, email="anna@example.test", phone="+79161112233")

    rows = list(Notification.objects.filter(order=order).order_by("channel"))
    assert [(r.channel, r.state, r.attempts) for r in rows] == [
        (Channel.EMAIL, State.HELD, 0),
        (Channel.SMS, State.HELD, 0),
    ]
    assert {r.last_error for r in rows} == {"Held until the center's owner confirms their e-mail address."}
    assert mail.outbox == [] and sms_outbox == []
    # The relay leaves them alone too.
    assert outbox.relay() == {"requeued": 0}
    assert mail.outbox == []


def test_staff_messages_are_not_held(unconfirmed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assign_technician(take_in(unconfirmed, email="anna@example.test"))
    staff = Notification.objects.get(kind=Kind.TECHNICIAN_ASSIGNED)
    assert (staff.audience, staff.state) == (Audience.STAFF, State.SENT)
    assert [m.to for m in mail.outbox] == [[staff.recipient]]


def test_confirming_sends_the_held_messages_once(
    unconfirmed, users_a, django_capture_on_commit_callbacks, sms_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(unconfirmed, email="anna@example.test", phone="+79161112233")

    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_email(users_a[Role.OWNER])

    rows = Notification.objects.filter(order=order)
    assert {(r.state, r.attempts, r.last_error) for r in rows} == {(State.SENT, 1, "")}
    assert [m.to for m in mail.outbox] == [["anna@example.test"]]
    assert [s["to"] for s in sms_outbox] == ["+79161112233"]
    # Confirming again sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_email(users_a[Role.OWNER])
    assert len(mail.outbox) == 1 and len(sms_outbox) == 1


def test_a_held_message_cannot_be_resent(unconfirmed, users_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = take_in(unconfirmed, email="anna@example.test", phone="")
    row = Notification.objects.get(order=order, channel=Channel.EMAIL)
    manager = users_a[Role.MANAGER].memberships.get(tenant=unconfirmed)
    with pytest.raises(outbox.ResendRefused):
        outbox.resend(row, by=manager)


def test_the_outbox_page_says_why_a_message_waits(
    unconfirmed, member_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        take_in(unconfirmed, email="anna@example.test")
    page = text_of(
        member_client(Role.MANAGER).get(reverse("notifications:list", args=["alpha"]) + "?state=all")
    )
    assert 'data-state="unconfirmed"' in page
    assert "Held: e-mail not confirmed" in page


def test_other_centers_are_not_held(unconfirmed, tenant_b, users_b, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        take_in(tenant_b, email="boris@example.test", phone="")
    assert [m.to for m in mail.outbox] == [["boris@example.test"]]
