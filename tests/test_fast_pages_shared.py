"""Issue 12 outside orders: the feedback list's and the stock list's filter forms written by `plain_field`
instead of crispy-forms (the same markup crispy wrote, unbound, bound and with errors), and url_maker
(reverse() once per page) giving what reverse() gives."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from quality.forms import FeedbackFilter
from quality.models import Feedback
from stock.forms import StockFilter
from stock.models import StockLevel
from tests.orders.test_fast_pages import normal

pytestmark = pytest.mark.django_db


def rendered(form, name: str, library: str, tag: str) -> str:
    return normal(
        Template("{% load " + library + " %}{{ f." + name + "|" + tag + " }}").render(Context({"f": form}))
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"rating": "4", "since": "2026-01-02", "low": "on"},
        {"rating": "9", "since": "x", "technician": "0"},
    ],
    ids=["empty", "filled", "errors"],
)
def test_the_feedback_filters_render_as_crispy_rendered_them(params, tenant_a, users_a):
    from servicedesk.tenancy.models import Membership
    from servicedesk.tenancy.roles import Role

    request = RequestFactory().get("/")
    request.tenant = tenant_a
    request.membership = Membership.objects.get(tenant=tenant_a, user=users_a[Role.MANAGER])

    def form():
        filterset = FeedbackFilter(params, queryset=Feedback.objects.for_tenant(tenant_a), request=request)
        filterset.is_valid()
        return filterset.form

    for name in ["rating", "technician", "since", "until", "low"]:
        assert rendered(form(), name, "plain_forms", "plain_field") == rendered(
            form(), name, "crispy_forms_tags", "as_crispy_field"
        ), name


@pytest.mark.parametrize(
    "params",
    [{}, {"q": 'Screen "x"', "location": "1", "low": "on"}, {"location": "bogus"}],
    ids=["empty", "filled", "errors"],
)
def test_the_stock_filters_render_as_crispy_rendered_them(params, tenant_a, users_a, location_a):
    from servicedesk.tenancy.models import Membership
    from servicedesk.tenancy.roles import Role

    request = RequestFactory().get("/")
    request.tenant = tenant_a
    request.membership = Membership.objects.get(tenant=tenant_a, user=users_a[Role.MANAGER])

    def form():
        filterset = StockFilter(params, queryset=StockLevel.objects.for_tenant(tenant_a), request=request)
        filterset.is_valid()
        return filterset.form

    for name in ["q", "location", "low"]:
        assert rendered(form(), name, "plain_forms", "plain_field") == rendered(
            form(), name, "crispy_forms_tags", "as_crispy_field"
        ), name


def test_url_maker_gives_what_reverse_gives():
    from django.urls import NoReverseMatch, reverse

    from servicedesk.web import url_maker

    detail = url_maker("orders:detail", "shop-987654321987")  # the stand-in inside the slug changes nothing
    for number in [1, 42, 987654321987, 10**12]:
        assert detail(number) == reverse("orders:detail", args=["shop-987654321987", number])
    with pytest.raises(NoReverseMatch):
        url_maker("orders:list", "shop")  # its URL takes no number
