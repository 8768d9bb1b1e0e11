"""Checklists: versions, the version an order keeps, gating per stage with the missing items named, answers
frozen once their stage is passed, the answers' validation (number range, text, photos), concurrent answers,
and the answers on the completion act."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from documents import sandbox
from documents import services as document_services
from documents.models import DocumentSettings, Kind
from documents.variables import SCHEMA, build_context, flat_schema, sample_context
from orders import services as order_services
from orders.lifecycle import TransitionRefused, available_actions
from orders.models import EventKind, OrderEvent, OrderPhoto, OrderStatus
from orders.permissions import ActorRefused
from quality import checklists
from quality.checklists import Answer, ItemData
from quality.models import ChecklistAnswer, ChecklistItem, ChecklistVersion, ItemKind, OrderChecklist
from tests.factories import ServiceTypeFactory

from .checklist_kit import PHONE_CHECKLIST, Stage, photo

pytestmark = pytest.mark.django_db

S = OrderStatus


# --- Versions -----------------------------------------------------------------------------------------
def test_editing_makes_a_new_version_and_an_order_keeps_the_one_it_started_with(shop):
    first = shop.take_in()
    new_list = [
        PHONE_CHECKLIST[0],
        ItemData(Stage.INTAKE, ItemKind.TEXT, "Scratches"),
        *PHONE_CHECKLIST[2:5],
        PHONE_CHECKLIST[6],
    ]  # "Scratches" added, the intake photo and the photo after the repair removed
    second_version = checklists.save_checklist(shop.service, new_list, by=shop.manager, expected_version=1)
    assert second_version.number == 2
    second = shop.take_in()

    labels = lambda order: [e.item.label for e in checklists.load_state(order).entries]  # noqa: E731
    assert labels(first) == [
        "No cracks on the body",
        "Photo of the item",
        "Battery capacity",
        "Fault found",
        "Screen responds to touch",
        "Photo after the repair",
        "The client checked it works",
    ]
    assert labels(second) == [
        "No cracks on the body",
        "Scratches",
        "Battery capacity",
        "Fault found",
        "Screen responds to touch",
        "The client checked it works",
    ]
    assert checklists.load_state(first).version.number == 1
    # The first order still needs its photo after the repair; the second does not.
    assert [e.item.label for e in checklists.load_state(first).missing(Stage.QUALITY)] == [
        "Screen responds to touch",
        "Photo after the repair",
    ]
    assert [e.item.label for e in checklists.load_state(second).missing(Stage.QUALITY)] == [
        "Screen responds to touch"
    ]


def test_saving_the_same_list_makes_no_version_and_a_stale_editor_is_refused(shop):
    assert (
        checklists.save_checklist(shop.service, PHONE_CHECKLIST, by=shop.manager, expected_version=1) is None
    )
    checklists.save_checklist(shop.service, PHONE_CHECKLIST[:3], by=shop.manager, expected_version=1)
    with pytest.raises(checklists.ChecklistChanged):
        checklists.save_checklist(shop.service, PHONE_CHECKLIST[:2], by=shop.owner, expected_version=1)
    assert list(
        ChecklistVersion.objects.filter(service_type=shop.service)
        .values_list("number", flat=True)
        .order_by("number")
    ) == [1, 2]


def test_reordering_is_a_new_version_with_the_new_order(shop):
    reordered = [PHONE_CHECKLIST[6], *PHONE_CHECKLIST[:6]]
    version = checklists.save_checklist(shop.service, reordered, by=shop.manager, expected_version=1)
    assert [i.label for i in checklists.version_items(version)][:2] == [
        "The client checked it works",
        "No cracks on the body",
    ]
    assert [i.position for i in checklists.version_items(version)] == [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (ItemData(Stage.INTAKE, ItemKind.TICK, "   "), "Item 1: say what to check."),
        (ItemData(Stage.INTAKE, ItemKind.TICK, "x" * 201), "Item 1: at most 200 characters."),
        (ItemData("afterwards", ItemKind.TICK, "Clean"), "Item 1: choose a stage."),
        (ItemData(Stage.INTAKE, "video", "Clean"), "Item 1: choose how it is answered."),
        (
            ItemData(
                Stage.INTAKE, ItemKind.NUMBER, "Voltage", min_value=Decimal("5"), max_value=Decimal("3")
            ),
            "Item 1: “at least” is more than “at most”.",
        ),
        (
            ItemData(Stage.INTAKE, ItemKind.NUMBER, "Voltage", max_value=Decimal("1e12")),
            "Item 1: the range must be numbers below a billion.",
        ),
    ],
)
def test_bad_items_are_refused_with_their_number(shop, item, message):
    with pytest.raises(ValidationError) as refused:
        checklists.save_checklist(shop.service, [item], by=shop.manager, expected_version=1)
    assert refused.value.messages == [message]


def test_a_range_belongs_to_numbers_only(shop):
    version = checklists.save_checklist(
        shop.service,
        [
            ItemData(
                Stage.INTAKE,
                ItemKind.TICK,
                "  Clean   inside ",
                min_value=Decimal("1"),
                max_value=Decimal("2"),
                unit="V",
            )
        ],
        by=shop.manager,
        expected_version=1,
    )
    item = checklists.version_items(version)[0]
    assert (item.label, item.min_value, item.max_value, item.unit) == ("Clean inside", None, None, "")


@pytest.mark.parametrize("role", ["reception", "tech"])
def test_only_managers_edit_checklists(shop, role):
    with pytest.raises(ActorRefused):
        checklists.save_checklist(
            shop.service, PHONE_CHECKLIST[:1], by=getattr(shop, role), expected_version=1
        )


def test_a_service_without_a_checklist_gives_its_orders_none(shop):

    bare = ServiceTypeFactory(tenant=shop.tenant, name="Consultation", formats=["in_shop"])
    order = shop.take_in(bare)
    assert not OrderChecklist.objects.filter(order=order).exists()
    shop.move(order, "plan")  # nothing to fill in
    # A checklist made later does not reach the order already taken in.
    checklists.save_checklist(bare, PHONE_CHECKLIST, by=shop.manager, expected_version=0)
    shop.move(order, "start_work")
    assert order.status == S.IN_PROGRESS


def test_an_emptied_checklist_gives_new_orders_none(shop):
    checklists.save_checklist(shop.service, [], by=shop.manager, expected_version=1)
    assert checklists.load_state(shop.take_in()) is None


# --- Gating ------------------------------------------------------------------------------------------
def refused(shop, order, action, by=None) -> str:
    with pytest.raises(TransitionRefused) as refusal:
        shop.move(order, action, by=by)
    return str(refusal.value)


def test_intake_items_before_planning(shop):
    order = shop.take_in()
    assert refused(shop, order, "plan") == (
        "Fill in the checklist first (Intake: condition of the item): “No cracks on the body”."
    )
    shop.answer(order, "No cracks on the body", by=shop.reception, done=True)
    shop.move(order, "plan")
    assert order.status == S.PLANNED


@pytest.mark.parametrize(
    ("start", "action"),
    [
        (S.DIAGNOSTICS, "start_work"),
        (S.DIAGNOSTICS, "request_approval"),
        (S.DIAGNOSTICS, "wait_for_parts"),
        (S.PLANNED, "start_work"),  # starting the work straight away does not skip the diagnostics checks
    ],
)
def test_diagnostics_items_before_leaving_diagnostics(shop, start, action):
    order = shop.take_in()
    shop.fill(order, Stage.INTAKE)
    shop.move(order, "plan")
    if start == S.DIAGNOSTICS:
        shop.move(order, "start_diagnostics")
    if action == "request_approval":
        from orders.models import Order

        Order.objects.filter(pk=order.pk).update(estimate=Decimal("100"))
    assert refused(shop, order, action) == "Fill in the checklist first (Diagnostics): “Battery capacity”."
    shop.answer(order, "Battery capacity", number="87")
    shop.move(order, action)
    assert order.status != start


def test_hold_and_cancel_are_never_blocked(shop):
    order = shop.take_in()
    shop.fill(order, Stage.INTAKE)
    shop.move(order, "plan")
    shop.move(order, "start_diagnostics")
    shop.move(order, "hold", by=shop.manager, reason="Client abroad")
    shop.move(order, "resume", by=shop.manager)
    shop.move(order, "cancel", by=shop.manager, reason="Client changed their mind")
    assert order.status == S.CANCELLED


def walk_to_quality_check(shop, order):
    shop.fill(order, Stage.INTAKE)
    shop.move(order, "plan")
    shop.move(order, "start_diagnostics")
    shop.fill(order, Stage.DIAGNOSTICS)
    shop.move(order, "start_work")
    shop.move(order, "finish_work")  # the quality items are checked before passing, not before finishing


def test_quality_items_before_passing_the_check(shop):
    order = shop.take_in()
    walk_to_quality_check(shop, order)
    assert order.status == S.QUALITY_CHECK
    assert refused(shop, order, "pass_check") == (
        "Fill in the checklist first (Before the quality check): “Screen responds to touch”, “Photo after the repair”."
    )
    shop.answer(order, "Screen responds to touch", done=True)
    assert refused(shop, order, "pass_check") == (
        "Fill in the checklist first (Before the quality check): “Photo after the repair”."
    )
    shop.answer(order, "Photo after the repair", photo=photo())
    shop.move(order, "pass_check")
    assert order.status == S.READY


def test_handover_items_before_handing_over(shop):
    order = shop.take_in()
    walk_to_quality_check(shop, order)
    shop.fill(order, Stage.QUALITY)
    shop.move(order, "pass_check")
    assert refused(shop, order, "hand_over") == (
        "Fill in the checklist first (Handover: checked with the client): “The client checked it works”."
    )
    shop.answer(order, "The client checked it works", by=shop.reception, done=True)
    shop.move(order, "hand_over")
    assert order.status == S.HANDED_OVER


def test_the_blocked_button_stays_and_the_independent_rule_hides_it(shop):
    order = shop.take_in()
    walk_to_quality_check(shop, order)
    # The checklist guard is "shown": the button stays, pressing it says what is missing.
    assert "pass_check" in [t.action for t in available_actions(order, shop.tech)]


def test_unticking_makes_a_required_item_missing_again(shop):
    order = shop.take_in()
    shop.answer(order, "No cracks on the body", done=True)
    shop.answer(order, "No cracks on the body", done=False)
    assert refused(shop, order, "plan").endswith("“No cracks on the body”.")


def test_optional_items_never_block(shop):
    order = shop.take_in()
    walk_to_quality_check(shop, order)
    state = checklists.load_state(order)
    assert not state.entry(shop.item(order, "Photo of the item").pk).answered
    assert not state.entry(shop.item(order, "Fault found").pk).answered  # and yet the order got this far


# --- Frozen answers ----------------------------------------------------------------------------------
def test_answers_are_frozen_once_their_stage_is_passed(shop):
    order = shop.take_in()
    shop.answer(order, "No cracks on the body", done=True)
    shop.move(order, "plan")
    with pytest.raises(ValidationError) as frozen:
        shop.answer(order, "No cracks on the body", by=shop.manager, done=False)
    assert frozen.value.messages == [
        "The order is past “Intake: condition of the item” (now “Planned”): those answers are kept as they were."
    ]
    # On hold the order keeps its place: intake stays frozen, diagnostics stays open.
    shop.move(order, "hold", by=shop.manager, reason="Waiting for the client")
    with pytest.raises(ValidationError):
        shop.answer(order, "No cracks on the body", by=shop.manager, done=False)
    shop.answer(order, "Battery capacity", by=shop.manager, number="90")
    assert ChecklistAnswer.objects.get(order=order, item__label="No cracks on the body").done is True


def test_a_failed_check_reopens_the_quality_answers(shop):
    order = shop.take_in()
    walk_to_quality_check(shop, order)
    shop.answer(order, "Screen responds to touch", done=True)
    shop.move(order, "return_to_work", by=shop.manager, reason="Dead pixel")
    shop.answer(order, "Screen responds to touch", done=False)  # still open: the stage was not passed
    with pytest.raises(ValidationError):
        shop.answer(order, "Battery capacity", number="50")  # diagnostics stays frozen


def test_a_closed_orders_answers_are_kept(shop):
    order = shop.take_in()
    shop.move(order, "cancel", by=shop.manager, reason="No longer needed")
    with pytest.raises(ValidationError) as frozen:
        shop.answer(order, "The client checked it works", by=shop.manager, done=True)
    assert frozen.value.messages == ["The order is closed: its checklist answers are kept as they were."]


# --- Validation of answers ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("120", "“Battery capacity”: 120 is outside the allowed range 0–100 %."),
        ("-0.5", "“Battery capacity”: -0.5 is outside the allowed range 0–100 %."),
        ("abc", "“Battery capacity”: enter a number."),
        ("NaN", "“Battery capacity”: enter a number."),
        ("Infinity", "“Battery capacity”: enter a number."),
        ("1e30", "“Battery capacity”: enter a number."),
    ],
)
def test_numbers_out_of_range_are_refused_clearly(shop, value, message):
    order = shop.take_in()
    with pytest.raises(ValidationError) as problem:
        shop.answer(order, "Battery capacity", number=value)
    assert problem.value.messages == [message]
    assert not ChecklistAnswer.objects.filter(order=order).exists()


def test_numbers_take_a_comma_and_the_bounds(shop):
    order = shop.take_in()
    assert shop.answer(order, "Battery capacity", number="87,5").number == Decimal("87.500")
    assert shop.answer(order, "Battery capacity", number="100").number == Decimal("100.000")
    cleared = shop.answer(order, "Battery capacity", number="")
    assert cleared.number is None and not cleared.is_answered


def test_text_answers(shop):
    order = shop.take_in()
    assert shop.answer(order, "Fault found", text="  Broken\x00 connector  ").text == "Broken connector"
    with pytest.raises(ValidationError) as problem:
        shop.answer(order, "Fault found", text="x" * 201)
    assert problem.value.messages == ["“Fault found”: at most 200 characters."]


def test_a_photo_answer_is_a_photo_of_the_order(shop):
    order = shop.take_in()
    answer = shop.answer(order, "Photo of the item", by=shop.reception, photo=photo())
    stored = OrderPhoto.objects.get(pk=answer.photo_id)
    assert stored.order_id == order.pk and stored.caption == "Checklist: Photo of the item"
    assert stored.image.name.endswith(".jpg") and stored.display
    assert OrderEvent.objects.filter(
        order=order, kind=EventKind.PHOTO, message="Checklist: Photo of the item"
    ).exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ("text", "notes.jpg is not a photo (JPEG, PNG or WebP)."),
        ("gif", "anim.gif is not a photo (JPEG, PNG or WebP)."),
    ],
)
def test_a_file_that_is_not_a_photo_is_refused(shop, upload, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    order = shop.take_in()
    file = (
        SimpleUploadedFile("notes.jpg", b"<html>not an image</html>", content_type="image/jpeg")
        if upload == "text"
        else photo("anim.gif", fmt="GIF")
    )
    with pytest.raises(ValidationError) as problem:
        shop.answer(order, "Photo of the item", photo=file)
    assert problem.value.messages == [message]
    assert not OrderPhoto.objects.filter(order=order).exists()


def test_a_photo_too_big_is_refused(shop, settings):
    settings.ORDER_PHOTO_MAX_BYTES = 1000
    order = shop.take_in()
    big = photo("big.jpg", size=(400, 400))
    with pytest.raises(ValidationError) as problem:
        shop.answer(order, "Photo of the item", photo=big)
    assert problem.value.messages[0].startswith("big.jpg is too large (")
    assert problem.value.messages[0].endswith("the limit is 0.0 MB.")


def test_a_photo_item_needs_a_photo(shop):
    order = shop.take_in()
    with pytest.raises(ValidationError) as problem:
        shop.answer(order, "Photo of the item")
    assert problem.value.messages == ["“Photo of the item”: choose a photo."]


# --- Concurrency and scope ---------------------------------------------------------------------------
def test_an_answer_changed_meanwhile_is_not_overwritten(shop):
    order = shop.take_in()
    item = shop.item(order, "Battery capacity")
    checklists.answer_item(order, item, Answer(number="80"), by=shop.tech, expected_revision=0)
    with pytest.raises(checklists.AnswerChanged) as changed:  # a second phone that loaded the page before
        checklists.answer_item(order, item, Answer(number="60"), by=shop.manager, expected_revision=0)
    assert "Someone else changed “Battery capacity” meanwhile" in changed.value.messages[0]
    saved = checklists.answer_item(order, item, Answer(number="60"), by=shop.manager, expected_revision=1)
    assert (saved.number, saved.revision, saved.answered_by) == (Decimal("60.000"), 2, shop.manager.user)


def test_an_item_of_another_version_is_refused(shop):
    order = shop.take_in()
    checklists.save_checklist(shop.service, PHONE_CHECKLIST[:2], by=shop.manager, expected_version=1)
    newer = ChecklistItem.objects.get(version__number=2, label="No cracks on the body")
    with pytest.raises(ValidationError) as problem:
        checklists.answer_item(order, newer, Answer(done=True), by=shop.tech, expected_revision=0)
    assert problem.value.messages == ["This item is not on this order's checklist."]


@pytest.mark.parametrize(
    ("label", "role", "allowed"),
    [
        ("No cracks on the body", "reception", True),  # intake: at the counter
        ("Battery capacity", "reception", False),  # diagnostics: the workshop only
        ("Screen responds to touch", "reception", False),
        ("The client checked it works", "reception", True),  # handover: at the counter
        ("Battery capacity", "owner", True),
    ],
)
def test_who_answers_which_stage(shop, label, role, allowed):
    order = shop.take_in()
    kind = shop.item(order, label).kind
    value = {"done": True} if kind == ItemKind.TICK else {"number": "50"}
    if allowed:
        shop.answer(order, label, by=getattr(shop, role), **value)
    else:
        with pytest.raises(ActorRefused):
            shop.answer(order, label, by=getattr(shop, role), **value)


# --- The completion act ------------------------------------------------------------------------------
def done_order(shop):
    order = shop.take_in()
    shop.answer(order, "No cracks on the body", done=True)
    shop.move(order, "plan")
    shop.answer(order, "Battery capacity", number="87.5")
    shop.answer(order, "Fault found", text="Worn connector")
    shop.move(order, "start_work")
    order_services.add_line_item(
        order,
        kind="work",
        description="Connector replacement",
        quantity=Decimal("1"),
        unit_price=Decimal("0"),
        by=shop.tech,
    )
    shop.move(order, "finish_work")
    shop.fill(order, Stage.QUALITY)
    shop.move(order, "pass_check")
    shop.fill(order, Stage.HANDOVER)
    shop.move(order, "hand_over")
    return order


def test_the_checklist_is_a_documented_variable():
    paths = dict(flat_schema())
    assert {"checklist", "answer.stage", "answer.label", "answer.answer", "answer.photo"} <= set(paths)
    assert "checklist" in SCHEMA


def test_the_completion_act_shows_the_answers(shop):
    order = done_order(shop)
    template, _source = document_services.template_for(shop.tenant, Kind.COMPLETION_ACT, "ru")
    locked = document_services._order_for_document(order.pk, order.tenant_id, lock=False)
    context = build_context(
        locked,
        kind=Kind.COMPLETION_ACT,
        language="ru",
        number="A-1",
        version=1,
        issued_at=order.closed_at,
        paper=DocumentSettings.for_tenant(shop.tenant),
        privacy=document_services.privacy_context(shop.tenant),
    )
    assert [(row["stage"], row["label"], row["answer"]) for row in context["checklist"]] == [
        ("Приёмка", "No cracks on the body", "Да"),
        ("Приёмка", "Photo of the item", "—"),
        ("Диагностика", "Battery capacity", "87,5 %"),
        ("Диагностика", "Fault found", "Worn connector"),
        ("Контроль качества", "Screen responds to touch", "Да"),
        ("Контроль качества", "Photo after the repair", "Фото сделано"),
        ("Выдача", "The client checked it works", "Да"),
    ]
    assert context["checklist"][5]["photo"].startswith(f"/media/orders/{shop.tenant.pk}/")
    html = sandbox.render(template, context, language="ru")
    assert "Проверки" in html and "87,5 %" in html and "Worn connector" in html and "Фото сделано" in html
    english = sandbox.render(
        document_services.template_for(shop.tenant, Kind.COMPLETION_ACT, "en")[0],
        {**context, "checklist": [{**context["checklist"][2], "stage": "Diagnostics", "answer": "87.5 %"}]},
        language="en",
    )
    assert "Checks" in english and "Battery capacity" in english and "87.5 %" in english


def test_an_order_without_a_checklist_prints_no_checks_section(shop):

    bare = ServiceTypeFactory(tenant=shop.tenant, name="Consultation", formats=["in_shop"])
    order = shop.take_in(bare)
    locked = document_services._order_for_document(order.pk, order.tenant_id, lock=False)
    context = build_context(
        locked,
        kind=Kind.COMPLETION_ACT,
        language="en",
        number="A-1",
        version=1,
        issued_at=order.created_at,
        paper=DocumentSettings.for_tenant(shop.tenant),
        privacy=document_services.privacy_context(shop.tenant),
    )
    assert context["checklist"] == []
    html = sandbox.render(
        document_services.template_for(shop.tenant, Kind.COMPLETION_ACT, "en")[0], context, language="en"
    )
    assert "Checks made" not in html


def test_previews_have_sample_answers(shop):
    sample = sample_context(
        shop.tenant,
        kind=Kind.COMPLETION_ACT,
        language="en",
        paper=DocumentSettings.for_tenant(shop.tenant),
        privacy=document_services.privacy_context(shop.tenant),
    )
    assert [row["label"] for row in sample["checklist"]] == [
        "No cracks on the body",
        "Battery capacity",
        "Photo after the repair",
        "The client checked it works",
    ]


def test_the_issued_completion_act_pdf_lists_the_checks(shop):
    from tests.documents.pdf_reading import pdf_text

    order = done_order(shop)
    document = document_services.issue(order, Kind.COMPLETION_ACT, "en", by=shop.reception)
    text = pdf_text(document.file.read())
    assert "Checks made" in text and "Battery capacity" in text and "87.5 %" in text and "Photo taken" in text


# --- The demo ------------------------------------------------------------------------------------------
def test_the_demo_has_checklists_and_orders_that_follow_them(settings, tmp_path):
    from orders.demo import seed_demo_orders
    from quality.demo import seed_demo_checklists
    from quality.models import QualityCheck
    from servicedesk.tenancy.demo import seed_demo_staff

    settings.MEDIA_ROOT = tmp_path / "media"
    staff = seed_demo_staff()
    seed_demo_orders(staff)
    seed_demo_checklists(staff)
    seed_demo_checklists(staff)  # safe to run again
    assert ChecklistVersion.objects.filter(tenant=staff.tenant).count() == 5
    pinned = {
        oc.order.status: oc.order
        for oc in OrderChecklist.objects.filter(tenant=staff.tenant).select_related("order")
    }
    assert set(pinned) == {S.HANDED_OVER, S.QUALITY_CHECK, S.DIAGNOSTICS, S.NEW}
    done = checklists.load_state(pinned[S.HANDED_OVER])
    assert done.answered_count == done.total == 8  # every check answered, the optional ones too
    back = checklists.load_state(pinned[S.QUALITY_CHECK])
    assert [e.item.label for e in back.missing(Stage.QUALITY)] == [
        "Keyboard and touchpad tested",
        "Photo of the test results",
    ]
    assert QualityCheck.objects.filter(order=pinned[S.QUALITY_CHECK], passed=False).exists()
