"""The safe template language of message texts."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from notifications import templating
from notifications.defaults import DEFAULTS
from notifications.models import EMAIL_ONLY_KINDS, Kind

pytestmark = pytest.mark.once  # message templates, no database: .ci/run runs these once


def errors_of(text: str) -> list[str]:
    try:
        templating.validate(text)
    except ValidationError as error:
        return error.messages
    return []


def test_every_shipped_text_is_valid_and_complete():
    assert set(DEFAULTS) == {"en", "ru", "id"}
    for language, texts in DEFAULTS.items():
        assert set(texts) == set(Kind), language
        for kind, entry in texts.items():
            for text in (entry.email_subject, entry.email_body, entry.sms_body):
                assert errors_of(text) == [], (language, kind, text)
            assert entry.email_subject and entry.email_body
            assert bool(entry.sms_body) == (kind not in EMAIL_ONLY_KINDS)


def test_known_variables_pass():
    assert errors_of("Order {{ order.number }} for {{client.name}} at {{   pickup.address }}") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi {{ client.password }}", "Unknown variable(s): {{ client.password }}"),
        (
            "{{ settings.SECRET_KEY }} {{ order.client.phone }}",
            "{{ order.client.phone }}, {{ settings.SECRET_KEY }}",
        ),
        ("{% load static %}hi", "Template tags and comments"),
        ("{% if order.number %}x{% endif %}", "Template tags and comments"),
        ("{# note #}", "Template tags and comments"),
        ("{{ order.number|upper }}", "no filters"),
        ("{{ order.number }", "no filters"),
        ("{{ }}", "no filters"),
        ("{{ order .number }}", "no filters"),
    ],
)
def test_unknown_variables_tags_and_filters_are_refused(text, expected):
    messages = errors_of(text)
    assert messages, text
    assert any(expected in message for message in messages), messages


def test_render_replaces_in_one_pass():
    context = {"client.name": "{{ tenant.name }}", "tenant.name": "Alpha", "order.number": "7"}
    assert templating.render("{{ client.name }} / {{order.number}} / {{ tenant.name }}", context) == (
        "{{ tenant.name }} / 7 / Alpha"
    )  # a value is never expanded again


def test_render_html_escapes_values_and_text():
    context = {"client.name": '<script>alert("x")</script>', "public_url": "https://example.test/s/a?b=1&c=2"}
    html = templating.render_html("Hello <b>{{ client.name }}</b>\n\nLink: {{ public_url }}", context)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;" in html  # the manager's literal text is escaped too
    assert '<a href="https://example.test/s/a?b=1&amp;c=2">' in html
    assert html.startswith("<p>") and "</p>\n\n<p>" in html


def test_render_html_links_only_web_addresses():
    html = templating.render_html("{{ public_url }}", {"public_url": "javascript:alert(1)"})
    assert "<a" not in html


def test_subject_is_one_line():
    assert templating.one_line("Order\r\n#5 \n ready") == "Order #5 ready"


def test_sms_size():
    assert templating.sms_size("a" * 160) == templating.SmsSize(160, 1, False)
    assert templating.sms_size("a" * 161).parts == 2
    assert templating.sms_size("Заказ готов") == templating.SmsSize(11, 1, True)
    assert templating.sms_size("я" * 71).parts == 2
    assert templating.sms_size("").parts == 0


def test_a_line_whose_variables_are_all_empty_is_left_out():
    text = "Order {{ order.number }}\nVisit: {{ visit.date }} {{ visit.time }}\n\nThanks, {{ client.name }}"
    context = {"order.number": "5", "visit.date": "", "visit.time": " ", "client.name": "Anna"}
    assert templating.render(text, context) == "Order 5\n\nThanks, Anna"
    assert "Visit" not in templating.render_html(text, context)
    context["visit.date"] = "1 May"
    assert "Visit: 1 May" in templating.render(text, context)
