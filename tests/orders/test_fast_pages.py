"""The mechanisms that make the hot pages cheap (issue 12, docs/performance.md) give what they replace gave:
plain field rendering the markup crispy-forms wrote, the label maps Django's get_FOO_display answers (in the
active language), the QR code from the cache the picture it drew, the search by client ids the same orders."""

from __future__ import annotations

import re
from decimal import Decimal
from unittest import mock

import pytest
from django import forms
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone, translation

from orders import filters, presentation
from orders.filters import OrderFilter
from orders.models import Order, OrderStatus, Priority
from servicedesk.fields import DateInput
from servicedesk.labels import choice_label
from tests.factories import ClientFactory, OrderFactory

pytestmark = pytest.mark.django_db


def normal(html: str) -> str:
    """Markup without the whitespace crispy's templates leave, and attributes in one order."""
    html = re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).replace("> ", ">").replace(" <", "<").strip()

    def sort_attributes(tag: re.Match) -> str:
        name, rest = tag.group(1), tag.group(2)
        attributes = re.findall(r'[\w-]+(?:="[^"]*")?', rest)
        return "<" + name + "".join(" " + a for a in sorted(attributes)) + ">"

    return re.sub(r"<(\w+)((?:\s+[\w-]+(?:=\"[^\"]*\")?)*)\s*>", sort_attributes, html)


def both(form: forms.Form, name: str) -> tuple[str, str]:
    plain = Template("{% load plain_forms %}{{ f." + name + "|plain_field }}").render(Context({"f": form}))
    # crispy changes the widget's attributes as it renders: a fresh form for it
    again = type(form)(form.data) if form.is_bound else type(form)()
    again.is_valid() if again.is_bound else None
    crispy = Template("{% load crispy_forms_tags %}{{ f." + name + "|as_crispy_field }}").render(
        Context({"f": again})
    )
    return normal(plain), normal(crispy)


class Sample(forms.Form):
    text = forms.CharField(
        label="Text", required=False, widget=forms.TextInput(attrs={"placeholder": 'a "b" <c>'})
    )
    choice = forms.ChoiceField(
        choices=[("", "---"), ("1", "One & two"), ("G", [("2", "Two")])], required=False
    )
    many = forms.MultipleChoiceField(
        choices=[("1", "One"), ("2", "Two")], widget=forms.SelectMultiple(attrs={"size": 1}), required=False
    )
    flag = forms.BooleanField(label="Flag", required=False)
    number = forms.IntegerField(required=False, help_text="Whole <b>numbers</b>")
    day = forms.DateField(required=False, widget=DateInput)
    needed = forms.CharField(label="Needed")


@pytest.mark.parametrize(
    "data",
    [None, {"text": 'x"y', "choice": "zz", "many": ["2"], "flag": "on", "number": "x", "day": "2026-01-02"}],
    ids=["unbound", "bound with errors"],
)
@pytest.mark.parametrize("name", list(Sample.base_fields))
def test_plain_field_writes_what_crispy_writes(data, name):
    form = Sample(data)
    if data:
        form.is_valid()
    plain, crispy = both(form, name)
    assert plain == crispy


def test_the_order_filter_form_renders_as_crispy_rendered_it(tenant_a, manager_a):
    request = RequestFactory().get("/")
    request.tenant, request.membership = tenant_a, manager_a
    params = {"q": "Ivan", "status": ["new", "bogus"], "stage": "execution", "overdue": "on", "open_on": "x"}
    filterset = OrderFilter(params, queryset=Order.objects.for_tenant(tenant_a), request=request)
    filterset.is_valid()
    for name in filterset.form.fields:
        if name == "view":
            continue
        plain = Template("{% load plain_forms %}{{ f." + name + "|plain_field }}").render(
            Context({"f": filterset.form})
        )
        fresh = OrderFilter(params, queryset=Order.objects.for_tenant(tenant_a), request=request)
        fresh.is_valid()
        crispy = Template("{% load crispy_forms_tags %}{{ f." + name + "|as_crispy_field }}").render(
            Context({"f": fresh.form})
        )
        assert normal(plain) == normal(crispy), name


def test_the_order_pages_forms_render_as_crispy_rendered_them(tenant_a, manager_a, location_a):
    """The order page's inline forms (lines, payments, assignment with the visit's times) went from crispy to
    plain_field: the same markup, their prefixed ids (auto_id) included."""
    from datetime import datetime

    from orders.forms import AssignForm, LineItemForm, PaymentForm

    visit = timezone.make_aware(datetime(2026, 3, 10, 14, 30))

    def forms_():
        return [
            LineItemForm(auto_id="id_line_%s"),
            PaymentForm(auto_id="id_payment_%s", initial={"amount": Decimal("1500")}),
            AssignForm(
                tenant=tenant_a,
                auto_id="id_assign_%s",
                initial={
                    "version": 3,
                    "technician": manager_a.pk,
                    "workshop": location_a.pk,
                    "visit_address": "Mira 1",
                    "visit_start": visit,
                    "visit_end": None,
                },
            ),
        ]

    for plain_form, crispy_form in zip(forms_(), forms_(), strict=True):
        for name in plain_form.fields:
            if name == "version":
                continue
            plain = Template("{% load plain_forms %}{{ f." + name + "|plain_field }}").render(
                Context({"f": plain_form})
            )
            crispy = Template("{% load crispy_forms_tags %}{{ f." + name + "|as_crispy_field }}").render(
                Context({"f": crispy_form})
            )
            assert normal(plain) == normal(crispy), (type(plain_form).__name__, name)
            assert f'id="div_{plain_form[name].auto_id}"' in plain


def test_choice_labels_follow_the_active_language(tenant_a):
    order = OrderFactory(tenant=tenant_a, status=OrderStatus.IN_PROGRESS, priority=Priority.URGENT)
    with translation.override("en"):
        assert order.get_status_display() == "In progress"
        english_priority = order.get_priority_display()
    with translation.override("ru"):
        assert order.get_status_display() == "В работе"
        assert order.get_priority_display() != english_priority
    with translation.override("en"):
        assert order.get_status_display() == "In progress"


def test_a_value_outside_the_choices_is_shown_as_it_is():
    field = Order._meta.get_field("status")
    assert choice_label(field, "no-such-status") == "no-such-status"
    assert choice_label(field, None) is None


def test_the_qr_code_is_drawn_once_per_text():
    drawn = presentation._draw_qr("https://example.test/s/one/")
    with mock.patch.object(presentation, "_draw_qr", wraps=presentation._draw_qr) as draw:
        first = presentation.qr_data_uri("https://example.test/s/one/")
        second = presentation.qr_data_uri("https://example.test/s/one/")
        other = presentation.qr_data_uri("https://example.test/s/two/")
    assert first == second == drawn and other != first
    assert [call.args[0] for call in draw.call_args_list] == [
        "https://example.test/s/one/",
        "https://example.test/s/two/",
    ]


def test_a_search_matching_many_clients_filters_by_a_subquery(tenant_a, manager_a, monkeypatch):
    """Past SEARCH_CLIENT_IDS matching clients the ids are not listed; the orders found are the same."""
    request = RequestFactory().get("/")
    request.tenant, request.membership = tenant_a, manager_a
    clients = [ClientFactory(tenant=tenant_a, name=f"Petrov {i}") for i in range(4)]
    orders = [OrderFactory(tenant=tenant_a, client=c) for c in clients]
    OrderFactory(tenant=tenant_a, client=ClientFactory(tenant=tenant_a, name="Sidorov"))

    def found() -> set[int]:
        filterset = OrderFilter({"q": "petrov"}, queryset=Order.objects.for_tenant(tenant_a), request=request)
        return {o.pk for o in filterset.qs}

    listed = found()
    monkeypatch.setattr(filters, "SEARCH_CLIENT_IDS", 2)
    assert found() == listed == {o.pk for o in orders}
