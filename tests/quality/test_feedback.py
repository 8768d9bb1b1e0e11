"""Client feedback: left once through the public link after handover, read by managers on their list."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from orders.models import EventKind, OrderStatus
from quality import services
from quality.models import Feedback
from servicedesk.tenancy.roles import Role
from tests.documents.conftest import make_order, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def done(tenant_a, users_a):
    return make_order(tenant_a, technician=member(tenant_a, Role.TECHNICIAN))


def feedback_url(order) -> str:
    return reverse("quality:feedback", args=[order.public_token])


# --- The rules ------------------------------------------------------------------------------------


def test_feedback_is_recorded_once_with_the_technician_and_a_timeline_event(done):
    feedback = services.leave_feedback(done, rating=4, comment="  Good, but slow.\r\nThanks ")
    assert (feedback.rating, feedback.comment, feedback.technician_id) == (
        4,
        "Good, but slow.\nThanks",
        done.technician_id,
    )
    event = done.events.get(kind=EventKind.FEEDBACK)
    assert event.by_client and "4" in event.display_text
    assert {k: v for k, v in event.data.items() if k != "text"} == {
        "feedback": feedback.pk,
        "rating": 4,
        "comment": "Good, but slow.\nThanks",
        "low": False,
    }
    assert not event.is_public
    with pytest.raises(ValidationError, match="already been received"):
        services.leave_feedback(done, rating=1)
    assert Feedback.objects.count() == 1


@pytest.mark.parametrize(("rating", "alerted"), [(1, True), (3, True), (4, False), (5, False)])
def test_a_low_rating_alerts_the_managers_by_e_mail(
    done, users_a, rating, alerted, django_capture_on_commit_callbacks
):
    from django.core import mail

    from notifications.models import Audience, Notification
    from notifications.models import Kind as NotificationKind

    with django_capture_on_commit_callbacks(execute=True):
        services.leave_feedback(done, rating=rating, comment="Nobody called me back")
    alerts = Notification.objects.filter(kind=NotificationKind.LOW_RATING)
    assert alerts.exists() == alerted
    if alerted:
        alert = alerts.get()
        assert (alert.audience, alert.recipient, alert.tenant_id) == (
            Audience.STAFF,
            users_a[Role.MANAGER].email,
            done.tenant_id,
        )
        assert f"{rating} of 5" in alert.subject and "Nobody called me back" in alert.body
        assert [m.to for m in mail.outbox if "of 5" in m.subject] == [[users_a[Role.MANAGER].email]]


@pytest.mark.parametrize("status", [s for s in OrderStatus.values if s != OrderStatus.HANDED_OVER])
def test_no_feedback_before_handover(tenant_a, users_a, status):
    order = make_order(tenant_a, status=status)
    assert services.why_no_feedback(order)
    with pytest.raises(ValidationError, match="handed over"):
        services.leave_feedback(order, rating=5)


@pytest.mark.parametrize("rating", [0, 6, -1, "5", None, 4.5])
def test_a_rating_outside_1_to_5_is_refused(done, rating):
    with pytest.raises(ValidationError, match="from 1 to 5"):
        services.leave_feedback(done, rating=rating)
    assert not Feedback.objects.exists()


def test_an_over_long_comment_is_refused(done):
    with pytest.raises(ValidationError, match="too long"):
        services.leave_feedback(done, rating=5, comment="x" * 2001)


def test_summary_and_split_by_technician(tenant_a, users_a):
    tech, manager = member(tenant_a, Role.TECHNICIAN), member(tenant_a, Role.MANAGER)
    for rating, who in [(5, tech), (4, tech), (2, manager), (5, None)]:
        services.leave_feedback(make_order(tenant_a, technician=who), rating=rating)
    summary = services.summarize(Feedback.objects.for_tenant(tenant_a))
    assert (summary.count, summary.average, summary.low) == (4, 4.0, 1)
    assert summary.by_rating == {5: 2, 4: 1, 3: 0, 2: 1, 1: 0}
    rows = {
        row["technician"]: (row["count"], row["average"])
        for row in services.by_technician(Feedback.objects.all())
    }
    assert rows == {tech.pk: (2, 4.5), None: (1, 5.0), manager.pk: (1, 2.0)}


# --- The client's page ----------------------------------------------------------------------------


def test_the_client_rates_the_order_on_the_public_page(client, done):
    page = client.get(reverse("orders:public_status", args=[done.public_token]))
    assert feedback_url(done) in page.content.decode()
    form = client.get(feedback_url(done))
    assert form.status_code == 200 and 'data-testid="feedback-form"' in form.content.decode()
    assert form["Cache-Control"] == "no-store" and form["Referrer-Policy"] == "no-referrer"

    response = client.post(feedback_url(done), {"rating": "2", "comment": "Nobody called <b>me</b>"})
    assert response.status_code == 302
    thanks = client.get(response["Location"]).content.decode()
    assert "Thank you for your feedback!" in thanks and "A manager will look into it" in thanks
    assert "Nobody called &lt;b&gt;me&lt;/b&gt;" in thanks  # escaped
    assert Feedback.objects.get().rating == 2
    status_page = client.get(reverse("orders:public_status", args=[done.public_token])).content.decode()
    assert (
        'data-testid="feedback-thanks"' in status_page and 'data-testid="feedback-invite"' not in status_page
    )


def test_a_second_submission_changes_nothing(client, done):
    client.post(feedback_url(done), {"rating": "5"})
    client.post(feedback_url(done), {"rating": "1", "comment": "changed my mind"})
    assert list(Feedback.objects.values_list("rating", "comment")) == [(5, "")]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"rating": "0"},
        {"rating": "abc"},
        {"rating": "6"},
        {"rating": "5", "comment": "x" * 2001},
        {"rating": "\x00"},
        {"rating": "5", "comment": "a\x00b"},
    ],
)
def test_bad_input_gives_the_form_again_with_a_message(client, done, data):
    response = client.post(feedback_url(done), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Feedback.objects.exists()


def test_before_handover_the_page_explains_and_the_post_is_refused(client, tenant_a, users_a):
    order = make_order(tenant_a, status=OrderStatus.READY)
    page = client.get(feedback_url(order)).content.decode()
    assert 'data-testid="feedback-not-yet"' in page and 'data-testid="feedback-form"' not in page
    client.post(feedback_url(order), {"rating": "5"})
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("token", ["x" * 43, "short", "A" * 100])
def test_unknown_tokens_are_404(client, done, token):
    assert client.get(f"/s/{token}/feedback/").status_code == 404
    assert client.post(f"/s/{token}/feedback/", {"rating": "5"}).status_code == 404


def test_an_expired_link_is_404(client, done, settings):
    settings.PUBLIC_LINK_DAYS_AFTER_CLOSE = 0
    from datetime import timedelta

    from django.utils import timezone

    done.closed_at = timezone.now() - timedelta(days=1)
    done.public_token_expires_at = timezone.now() - timedelta(seconds=1)
    done.save()
    assert client.get(feedback_url(done)).status_code == 404


def test_the_page_is_rate_limited(client, done, settings, steady_rate_window):
    settings.PUBLIC_PAGE_RATE = "3/m"
    codes = [client.get(feedback_url(done)).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429


def test_the_language_switch_comes_back_to_the_feedback_page(client, done):
    response = client.get(feedback_url(done) + "?language=ru")
    assert response.status_code == 302 and response["Location"] == feedback_url(done)
    assert "Как мы справились?" in client.get(feedback_url(done)).content.decode()


# --- The managers' list ---------------------------------------------------------------------------


LIST = "/alpha/quality/feedback/"


@pytest.mark.parametrize(
    ("role", "code"), [(Role.OWNER, 200), (Role.MANAGER, 200), (Role.RECEPTION, 403), (Role.TECHNICIAN, 403)]
)
def test_who_sees_the_list(member_client, role, code):
    assert member_client(role).get(LIST).status_code == code


def test_another_tenants_feedback_never_shows(member_client, tenant_a, tenant_b, users_a, users_b):
    services.leave_feedback(make_order(tenant_b, client_name="Beta Client"), rating=1, comment="Beta only")
    services.leave_feedback(make_order(tenant_a, client_name="Alpha Client"), rating=5, comment="Alpha only")
    html = member_client(Role.MANAGER).get(LIST).content.decode()
    assert "Alpha only" in html and "Beta only" not in html and "Beta Client" not in html
    assert member_client(Role.MANAGER, tenant_b).get(LIST).status_code == 404  # A's manager is not B's member


def test_filters_and_summary(member_client, tenant_a, users_a):
    tech = member(tenant_a, Role.TECHNICIAN)
    services.leave_feedback(make_order(tenant_a, technician=tech), rating=5, comment="great")
    services.leave_feedback(make_order(tenant_a), rating=2, comment="poor")
    manager = member_client(Role.MANAGER)
    low = manager.get(LIST, {"low": "on"})
    assert "poor" in low.content.decode() and "great" not in low.content.decode()
    assert low.context["summary"].count == 2  # the summary covers the period, not the rating filter
    by_tech = manager.get(LIST, {"technician": tech.pk})
    assert [f.comment for f in by_tech.context["rows"]] == ["great"]


@pytest.mark.parametrize(
    "params",
    [
        {"rating": "9"},
        {"technician": "abc"},
        {"technician": "999999"},
        {"since": "2026-02-30"},
        {"until": "x"},
        {"cursor": "!!"},
        {"low": "\x00"},
    ],
)
def test_bad_filters_give_a_message_not_a_500(member_client, params):
    response = member_client(Role.MANAGER).get(LIST, params)
    assert response.status_code == 200


def test_the_list_costs_the_same_for_5_and_40_rows(member_client, tenant_a, users_a):
    tech = member(tenant_a, Role.TECHNICIAN)
    manager = member_client(Role.MANAGER)

    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert manager.get(LIST).status_code == 200
        return len(captured)

    for _ in range(5):
        services.leave_feedback(make_order(tenant_a, technician=tech), rating=4, comment="ok")
    count_queries()  # the first request of a session pays for the session itself
    few = count_queries()
    for _ in range(35):
        services.leave_feedback(make_order(tenant_a), rating=3)
    assert count_queries() == few
