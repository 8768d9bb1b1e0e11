"""The checklist pages: the managers' list (with the independent-check rule) and editor, the order's checklist
on the phone with one htmx save per item, the order page's panel and the job cards; constant query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import OrderStatus
from quality import checklists
from quality.checklists import ItemData
from quality.models import ChecklistAnswer, ChecklistVersion, ItemKind, QualitySettings
from servicedesk.tenancy.roles import Role
from tests.factories import QualitySettingsFactory, ServiceTypeFactory

from .checklist_kit import PHONE_CHECKLIST, Stage, photo

pytestmark = pytest.mark.django_db


def list_url(shop):
    return reverse("quality:checklists", args=[shop.tenant.slug])


def edit_url(shop, service=None):
    return reverse("quality:checklist_edit", args=[shop.tenant.slug, (service or shop.service).pk])


def page_url(shop, order):
    return reverse("quality:order_checklist", args=[shop.tenant.slug, order.number])


def answer_url(shop, order, item):
    return reverse("quality:answer", args=[shop.tenant.slug, order.number, item.pk])


def count_queries(client, url: str) -> int:
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


# --- The managers' pages -------------------------------------------------------------------------------
def test_the_list_shows_each_service_and_its_checklist(shop, member_client):
    body = member_client(Role.MANAGER).get(list_url(shop)).content.decode()
    assert "Phone repair" in body and "7 items" in body and "version 1" in body
    assert "Intake: condition of the item: 2" in body and "Handover: checked with the client: 1" in body


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.TECHNICIAN])
def test_only_managers_see_the_checklist_pages(shop, member_client, role):
    assert member_client(role).get(list_url(shop)).status_code == 403
    assert member_client(role).get(edit_url(shop)).status_code == 403


def test_the_rule_is_set_on_the_list_page(shop, member_client):
    client = member_client(Role.MANAGER)
    response = client.post(list_url(shop), {"independent_check": "on"}, follow=True)
    assert "Quality rules saved." in response.content.decode()
    assert QualitySettings.for_tenant(shop.tenant).independent_check is True
    client.post(list_url(shop), {})
    assert QualitySettings.for_tenant(shop.tenant).independent_check is False


def editor_post(items: list[dict], version: int, extra: int = 0) -> dict:
    data = {
        "version": str(version),
        "items-TOTAL_FORMS": str(len(items) + extra),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "60",
    }
    for n, item in enumerate(items):
        for key, value in item.items():
            data[f"items-{n}-{key}"] = value
    return data


def row(label, stage="diagnostics", kind="tick", order="", required=True, **more) -> dict:
    data = {"label": label, "stage": stage, "kind": kind, "ORDER": str(order)}
    if required:
        data["required"] = "on"
    data.update(more)
    return data


def test_the_editor_saves_a_new_version_in_the_order_given(shop, member_client):
    client = member_client(Role.MANAGER)
    page = client.get(edit_url(shop)).content.decode()
    assert (
        'value="No cracks on the body"' in page and 'name="items-9-label"' in page
    )  # 7 items and 3 empty rows
    response = client.post(
        edit_url(shop),
        editor_post(
            [
                row("Voltage", kind="number", order=2, min_value="11.5", max_value="12.6", unit="V"),
                row("Clean the contacts", order=1, required=False),
                row("Gone", order=3, DELETE="on"),
                row("", order=4),  # an empty row: ignored
            ],
            version=1,
        ),
        follow=True,
    )
    assert "saved as version 2" in response.content.decode()
    items = checklists.version_items(checklists.current_version(shop.service))
    assert [(i.label, i.kind, i.required, i.min_value, i.max_value, i.unit) for i in items] == [
        ("Clean the contacts", ItemKind.TICK, False, None, None, ""),
        ("Voltage", ItemKind.NUMBER, True, Decimal("11.500"), Decimal("12.600"), "V"),
    ]


def test_the_editor_explains_a_bad_range_and_keeps_the_input(shop, member_client):
    response = member_client(Role.MANAGER).post(
        edit_url(shop),
        editor_post(
            [
                row("Voltage", kind="number", min_value="13", max_value="12"),
                row("Pressure", kind="number", min_value="abc"),
            ],
            version=1,
        ),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        "“At most” is less than “at least”." in body
        and "Enter a number." in body
        and 'value="Pressure"' in body
    )
    assert ChecklistVersion.objects.filter(service_type=shop.service).count() == 1


def test_a_stale_editor_is_refused_without_overwriting(shop, member_client):
    checklists.save_checklist(shop.service, PHONE_CHECKLIST[:1], by=shop.owner, expected_version=1)
    response = member_client(Role.MANAGER).post(
        edit_url(shop), editor_post([row("Mine")], version=1), follow=True
    )
    assert "Someone else saved this checklist meanwhile." in response.content.decode()
    assert [i.label for i in checklists.version_items(checklists.current_version(shop.service))] == [
        "No cracks on the body"
    ]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"version": "1"},
        {"version": "abc", "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0"},
        {"version": "1", "items-TOTAL_FORMS": "999999", "items-INITIAL_FORMS": "0"},
        {
            "version": "1",
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "0",
            "items-0-label": "x\x00y",
            "items-0-stage": "nowhere",
            "items-0-kind": "video",
            "items-0-ORDER": "-5",
        },
    ],
)
def test_the_editor_survives_junk(shop, member_client, data):
    response = member_client(Role.MANAGER).post(edit_url(shop), data)
    assert response.status_code in {200, 302}
    assert ChecklistVersion.objects.filter(service_type=shop.service).count() == 1


def test_another_centers_service_is_not_found(shop, member_client, tenant_b, users_b):
    response = member_client(Role.MANAGER, tenant_b).get(
        reverse("quality:checklist_edit", args=[tenant_b.slug, shop.service.pk])
    )
    assert response.status_code == 404


# --- The order's checklist on the phone --------------------------------------------------------------
def test_the_phone_page_shows_the_stages_and_what_is_kept(shop, member_client):
    order = shop.take_in()
    shop.fill(order, Stage.INTAKE)
    shop.move(order, "plan")
    body = member_client(Role.TECHNICIAN).get(page_url(shop, order) + "?from=my_jobs").content.decode()
    assert (
        body.index('data-testid="stage-intake"')
        < body.index('data-testid="stage-diagnostics"')
        < body.index('data-testid="stage-quality"')
        < body.index('data-testid="stage-handover"')
    )
    intake = body[body.index('data-testid="stage-intake"') : body.index('data-testid="stage-diagnostics"')]
    assert "done, kept" in intake and "<fieldset disabled>" in intake
    assert "Allowed: 0–100 %" in body and 'capture="environment"' in body
    assert reverse("technicians:my_jobs", args=[shop.tenant.slug]) in body  # back to my jobs


def test_an_order_without_a_checklist_says_so(shop, member_client):

    order = shop.take_in(ServiceTypeFactory(tenant=shop.tenant, name="Advice", formats=["in_shop"]))
    body = member_client(Role.TECHNICIAN).get(page_url(shop, order)).content.decode()
    assert "This order has no checklist" in body


def htmx(client, url, data):
    return client.post(url, data, HTTP_HX_REQUEST="true")


def test_a_tick_saves_through_htmx_and_returns_the_item(shop, member_client):
    order = shop.take_in()
    item = shop.item(order, "No cracks on the body")
    response = htmx(
        member_client(Role.TECHNICIAN), answer_url(shop, order, item), {"revision": "0", "done": "on"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "Saved." in body and f'id="item-{item.pk}"' in body
    assert 'name="revision" value="1"' in body and "<html" not in body
    assert ChecklistAnswer.objects.get(order=order, item=item).done is True


@pytest.mark.parametrize(
    ("label", "data", "message"),
    [
        (
            "Battery capacity",
            {"revision": "0", "number": "120"},
            "“Battery capacity”: 120 is outside the allowed range 0–100 %.",
        ),
        ("Battery capacity", {"revision": "0", "number": "abc"}, "“Battery capacity”: enter a number."),
        ("Battery capacity", {"revision": "0", "number": "1" * 41}, "at most 40 characters"),
        (
            "Battery capacity",
            {"revision": "abc", "number": "50"},
            "The form was incomplete. Reload the page and try again.",
        ),
        ("Battery capacity", {"number": "50"}, "The form was incomplete. Reload the page and try again."),
        (
            "Battery capacity",
            {"revision": "7", "number": "50"},
            "Someone else changed “Battery capacity” meanwhile",
        ),
        ("Fault found", {"revision": "0", "text": "x" * 201}, "at most 200 characters"),
        ("Photo of the item", {"revision": "0"}, "Choose a photo."),
    ],
)
def test_bad_answers_come_back_in_the_item(shop, member_client, label, data, message):
    order = shop.take_in()
    item = shop.item(order, label)
    response = htmx(member_client(Role.TECHNICIAN), answer_url(shop, order, item), data)
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="item-error"' in body
    assert message in body.replace("&ldquo;", "“").replace("&rdquo;", "”").replace("&#x27;", "'")
    assert not ChecklistAnswer.objects.filter(order=order, item=item).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.jpg", b"<html>not an image</html>", "notes.jpg is not a photo (JPEG, PNG or WebP)."),
        ("empty.jpg", b"", "The submitted file is empty."),
    ],
)
def test_bad_photos_come_back_in_the_item(shop, member_client, name, content, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    order = shop.take_in()
    item = shop.item(order, "Photo of the item")
    response = htmx(
        member_client(Role.TECHNICIAN),
        answer_url(shop, order, item),
        {"revision": "0", "photo": SimpleUploadedFile(name, content, content_type="image/jpeg")},
    )
    assert response.status_code == 200 and message in response.content.decode()


def test_a_photo_too_big_comes_back_in_the_item(shop, member_client, settings):
    settings.ORDER_PHOTO_MAX_BYTES = 2000
    order = shop.take_in()
    item = shop.item(order, "Photo of the item")
    response = htmx(
        member_client(Role.TECHNICIAN),
        answer_url(shop, order, item),
        {"revision": "0", "photo": photo("huge.jpg", size=(500, 500))},
    )
    assert response.status_code == 200 and "huge.jpg is too large" in response.content.decode()


def test_a_photo_saves_and_shows(shop, member_client):
    order = shop.take_in()
    item = shop.item(order, "Photo of the item")
    body = htmx(
        member_client(Role.TECHNICIAN), answer_url(shop, order, item), {"revision": "0", "photo": photo()}
    ).content.decode()
    answer = ChecklistAnswer.objects.get(order=order, item=item)
    assert reverse("orders:photo", args=[shop.tenant.slug, order.number, answer.photo_id]) in body
    assert "Take another photo" in body


def test_a_frozen_answer_is_refused_with_the_reason(shop, member_client):
    order = shop.take_in()
    shop.fill(order, Stage.INTAKE)
    shop.move(order, "plan")
    item = shop.item(order, "No cracks on the body")
    body = htmx(
        member_client(Role.MANAGER), answer_url(shop, order, item), {"revision": "1"}
    ).content.decode()
    assert "The order is past “Intake: condition of the item” (now “Planned”)" in body.replace(
        "&ldquo;", "“"
    ).replace("&rdquo;", "”")
    assert ChecklistAnswer.objects.get(order=order, item=item).done is True


def test_without_htmx_the_answer_goes_back_to_the_page_with_a_message(shop, member_client):
    order = shop.take_in()
    item = shop.item(order, "Battery capacity")
    client = member_client(Role.TECHNICIAN)
    response = client.post(answer_url(shop, order, item), {"revision": "0", "number": "87"})
    assert response.status_code == 302 and response.url.endswith(f"#item-{item.pk}")
    assert "Saved: Battery capacity." in client.get(response.url).content.decode()
    response = client.post(answer_url(shop, order, item), {"revision": "1", "number": "300"}, follow=True)
    assert "outside the allowed range" in response.content.decode()


def test_another_technicians_order_is_refused(shop, member_client):
    from tests.factories import MembershipFactory, UserFactory

    order = shop.take_in()
    other = MembershipFactory(
        tenant=shop.tenant, role=Role.TECHNICIAN, user=UserFactory(email="t2@alpha.test")
    )
    from django.test import Client

    client = Client()
    client.force_login(other.user)
    item = shop.item(order, "Battery capacity")
    body = htmx(client, answer_url(shop, order, item), {"revision": "0", "number": "50"}).content.decode()
    assert "Only the technician assigned to this order can do this." in body
    assert not ChecklistAnswer.objects.filter(order=order).exists()


def test_an_item_of_another_order_or_center_is_not_found(shop, member_client):
    order = shop.take_in()
    checklists.save_checklist(shop.service, PHONE_CHECKLIST[:2], by=shop.manager, expected_version=1)
    newer = checklists.version_items(checklists.current_version(shop.service))[0]
    client = member_client(Role.TECHNICIAN)
    assert htmx(client, answer_url(shop, order, newer), {"revision": "0", "done": "on"}).status_code == 404
    item = shop.item(order, "No cracks on the body")
    assert (
        client.post(reverse("quality:answer", args=[shop.tenant.slug, 99999, item.pk]), {}).status_code == 404
    )


def test_the_phone_page_has_a_constant_number_of_queries(shop, member_client, django_assert_num_queries):
    client = member_client(Role.TECHNICIAN)
    small_order = shop.take_in()
    shop.answer(small_order, "Photo of the item", photo=photo())
    small = count_queries(client, page_url(shop, small_order))
    many = [
        ItemData(
            Stage.DIAGNOSTICS if n % 2 else Stage.QUALITY,
            [ItemKind.TICK, ItemKind.NUMBER, ItemKind.TEXT, ItemKind.PHOTO][n % 4],
            f"Check {n}",
        )
        for n in range(30)
    ]
    checklists.save_checklist(shop.service, PHONE_CHECKLIST + many, by=shop.manager, expected_version=1)
    big_order = shop.take_in()
    for label in ("No cracks on the body", "Check 1", "Check 2", "Check 3"):
        kind = shop.item(big_order, label).kind
        shop.answer(
            big_order,
            label,
            **{
                ItemKind.TICK: {"done": True},
                ItemKind.NUMBER: {"number": "1"},
                ItemKind.TEXT: {"text": "t"},
                ItemKind.PHOTO: {"photo": photo()},
            }[kind],
        )
    client.get(page_url(shop, big_order))
    with django_assert_num_queries(small):
        response = client.get(page_url(shop, big_order))
    assert response.content.decode().count('class="checklist-item') == 37


# --- On other pages ------------------------------------------------------------------------------------
def test_the_order_page_shows_the_checklist_and_the_checks(shop, member_client):
    order = shop.take_in()
    shop.answer(order, "No cracks on the body", done=True)
    shop.move(order, "plan")
    shop.answer(order, "Battery capacity", number="87")
    body = (
        member_client(Role.RECEPTION)
        .get(reverse("orders:detail", args=[shop.tenant.slug, order.number]))
        .content.decode()
    )
    panel = body[body.index('data-testid="quality-panel"') :]
    assert "Battery capacity: <strong>87 %</strong>" in panel and "(2/7)" in panel
    assert page_url(shop, order) in panel


def test_my_jobs_shows_each_checklist_and_what_is_still_required(shop, member_client):
    order = shop.take_in()
    shop.fill(order, Stage.INTAKE)
    shop.move(order, "plan")
    body = (
        member_client(Role.TECHNICIAN)
        .get(reverse("technicians:my_jobs", args=[shop.tenant.slug]))
        .content.decode()
    )
    card = body[body.index(f'data-testid="job-checklist-{order.number}"') :]
    assert "1/7" in card and "Still required (Diagnostics): Battery capacity" in card
    assert page_url(shop, order) + "?from=my_jobs" in card


def test_my_jobs_keeps_a_constant_number_of_queries_with_checklists(
    shop, member_client, django_assert_num_queries
):
    checks_on = QualitySettingsFactory(tenant=shop.tenant, independent_check=True)
    assert checks_on.independent_check
    client = member_client(Role.TECHNICIAN)
    url = reverse("technicians:my_jobs", args=[shop.tenant.slug])

    def jobs(n):
        for i in range(n):
            order = shop.take_in()
            shop.fill(order, Stage.INTAKE)
            shop.move(order, "plan")
            if i % 2:
                shop.fill(order, Stage.DIAGNOSTICS)
                shop.move(order, "start_work")
                shop.move(order, "finish_work")  # waiting for the check: the independent rule's data

    jobs(2)
    small = count_queries(client, url)
    jobs(8)
    with django_assert_num_queries(small):
        response = client.get(url)
    assert response.content.decode().count('data-testid="job-checklist-') == 10
    assert OrderStatus.QUALITY_CHECK in set(shop.service.orders.values_list("status", flat=True))
