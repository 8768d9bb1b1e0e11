"""The template language of documents: documented variables, whitelisted tags and filters, no outside URLs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from documents import sandbox, services
from documents.models import DocumentSettings, Kind
from documents.sandbox import TemplateRefused, validate
from documents.variables import SCHEMA, Leaf, Seq, build_context, flat_schema, sample_context

LANGUAGES = ["en", "ru"]


@pytest.mark.parametrize("kind", Kind.values)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_default_template_passes_the_sandbox(kind, language):
    validate(services.default_template(kind, language))


@pytest.mark.parametrize(
    "source",
    [
        "{{ order.number }} {{ client.name|upper }} {{ totals.total|money }}",
        "{% for line in lines %}{{ forloop.counter }} {{ line.description }} {{ line.quantity|qty }}{% empty %}-{% endfor %}",
        "{% if item.present and order.estimate > 0 %}{{ item.serial|default:'—' }}{% endif %}",
        "{% with t=totals %}{{ t.total }}{% endwith %}",
        "{{ lines.0.description }} {{ lines|length }} {{ document.date|date:'d.m.Y' }}",
        "{% firstof tenant.legal_name tenant.name %}",
        '<img src="{{ tenant.logo }}"><img src="data:image/png;base64,iVBORw0KGgo=">',
        "<style>@font-face { src: url('/static/fonts/dejavu/DejaVuSans.ttf'); }</style>",
        '<a href="https://example.com">our website</a>',  # a link is printed, never fetched
    ],
)
def test_documented_templates_are_accepted(source):
    validate(source)


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("{{ order.secret }}", "order.secret"),
        ("{{ client.orders }}", "client.orders"),
        ("{{ settings.SECRET_KEY }}", "settings.SECRET_KEY"),
        ("{{ request.user }}", "request.user"),
        ("{{ order.number.real }}", "order.number.real"),
        ("{% for line in lines %}{{ line.cost_price }}{% endfor %}", "line.cost_price"),
        ("{% for x in lines %}{% endfor %}{{ x.description }}", "x.description"),
        ("{% if user.is_staff %}x{% endif %}", "user.is_staff"),
        ("{{ order.number|add:secret }}", "secret"),
        ("{% with a=order.tenant %}{% endwith %}", "order.tenant"),
    ],
)
def test_unknown_variables_are_refused_with_their_name(source, says):
    with pytest.raises(TemplateRefused) as error:
        validate(source)
    assert says in error.value.messages[0]


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("{% load static %}", "load"),
        ("{% load i18n %}{% translate 'x' %}", "load"),
        ('{% include "base.html" %}', "include"),
        ('{% extends "base.html" %}', "extends"),
        ("{% url 'home' %}", "url"),
        ("{% debug %}", "debug"),
        ("{% csrf_token %}", "csrf_token"),
        ("{% autoescape off %}{{ client.name }}{% endautoescape %}", "autoescape"),
        ("{{ client.name|safe }}", "safe"),
        ("{{ client.name|pprint }}", "pprint"),
    ],
)
def test_tags_and_filters_outside_the_whitelist_are_refused(source, says):
    with pytest.raises(TemplateRefused) as error:
        validate(source)
    assert says in error.value.messages[0]


def test_refusal_names_the_line():
    with pytest.raises(TemplateRefused) as error:
        validate("<p>ok</p>\n<p>{{ order.number }}</p>\n{% load static %}")
    assert "3" in error.value.messages[0]
    with pytest.raises(TemplateRefused) as error:
        validate("<p>ok</p>\n\n{{ nope }}")
    assert "3" in error.value.messages[0]


@pytest.mark.parametrize(
    "source",
    [
        '<img src="http://example.com/x.png">',
        '<img src="https://evil.test/track.gif">',
        "<img src='file:///etc/passwd'>",
        '<img src="//127.0.0.1/admin">',
        '<img src="http://127.0.0.1:8000/admin/">',
        '<img src="http://169.254.169.254/latest/meta-data/">',
        '<link rel="stylesheet" href="http://10.0.0.1/x.css">',
        "<style>@import 'http://example.com/x.css';</style>",
        "<style>body { background: url(http://127.0.0.1/x.png) }</style>",
        "<style>@font-face { src: url(file:///usr/share/fonts/x.ttf) }</style>",
        '<img src="/media/documents/999/assets/x.png">',  # another tenant's file: only variables may name uploads
        '<img src="../../../etc/passwd">',
        '<svg><image href="http://example.com/x.png"/></svg>',
    ],
)
def test_templates_naming_outside_resources_are_refused(source):
    with pytest.raises(TemplateRefused) as error:
        validate(source)
    assert "cannot be loaded" in error.value.messages[0]


def test_autoescape_keeps_client_input_as_text():
    html = sandbox.render("<p>{{ client.name }}</p>", {"client": {"name": '<img src="http://x">'}}, language="en")
    assert "<img" not in html and "&lt;img" in html


def test_money_and_qty_follow_the_language():
    source = "{{ totals.total|money }} {{ lines.0.quantity|qty }}"
    context = {"totals": {"total": Decimal("1234567.5")}, "lines": [{"quantity": Decimal("1.500")}]}
    assert sandbox.render(source, context, language="en") == "1,234,567.50 1.5"
    assert sandbox.render(source, context, language="ru") == "1\xa0234\xa0567,50 1,5"
    assert sandbox.render("{{ lines.0.quantity|qty }}", {"lines": [{"quantity": Decimal("2.000")}]}, language="en") == "2"


def _keys(schema) -> dict:
    out = {}
    for name, node in schema.items():
        if isinstance(node, Leaf):
            out[name] = None
        elif isinstance(node, Seq):
            out[name] = [_keys(node.fields)]
        else:
            out[name] = _keys(node)
    return out


def _shape(value, schema):
    if isinstance(schema, dict):
        assert isinstance(value, dict) and set(value) == set(schema), (set(value) ^ set(schema))
        for key, node in schema.items():
            _shape(value[key], node)
    elif isinstance(schema, list):
        assert isinstance(value, list)
        for element in value:
            _shape(element, schema[0])


def test_the_context_provides_exactly_the_documented_variables(done_order):
    order = services._order_for_document(done_order.pk, done_order.tenant_id, lock=False)
    from django.utils import timezone

    context = build_context(
        order, kind=Kind.COMPLETION_ACT, language="ru", number="A-2026-00001", version=1,
        issued_at=timezone.now(), paper=DocumentSettings.for_tenant(order.tenant_id),
        privacy=services.privacy_context(order.tenant_id),
    )
    _shape(context, _keys(SCHEMA))
    assert context["lines"], "the order has lines"
    sample = sample_context(order.tenant, kind=Kind.COMPLETION_ACT, language="en",
                            paper=DocumentSettings.for_tenant(order.tenant_id), privacy=services.privacy_context(order.tenant_id))
    _shape(sample, _keys(SCHEMA))


def test_every_variable_is_listed_for_the_editor():
    paths = {path for path, _d in flat_schema()}
    assert {"order.number", "client.name", "lines", "line.amount", "totals.in_words", "warranty.end"} <= paths
