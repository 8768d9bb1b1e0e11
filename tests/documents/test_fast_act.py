"""Issue 12, the completion act within its CPU budget: the compiled-template cache of the sandbox, the lean
user-agent stylesheet of documents.rendering, and the default act of 20 lines on one page."""

from __future__ import annotations

import gc
from decimal import Decimal

import pytest
from django.utils import timezone

from documents import rendering, sandbox, services
from documents.models import DocumentSettings, Kind
from documents.sandbox import CompiledTemplates, TemplateRefused, TemplateTooCostly
from documents.variables import sample_act_context
from servicedesk.tenancy.models import Tenant

from .test_rendering import pdf_text

pytestmark = pytest.mark.once  # templates and PDFs, no database


def tenant() -> Tenant:
    return Tenant(
        pk=1,
        name="Bench Service",
        slug="bench",
        time_zone="Europe/Moscow",
        currency="RUB",
        legal_name="ООО «Бенч Сервис»",
        tax_id="7701234567",
        legal_address="Москва, ул. Примерная, 1",
    )


def act_context(language: str, lines: int) -> dict:
    """The preview's sample act (its checklist included) with `lines` lines: what bench/render_documents.py
    renders."""
    center = tenant()
    context = sample_act_context(
        center,
        language=language,
        lines=lines,
        paper=DocumentSettings(tenant_id=center.pk),
        privacy={"version": "2026-01", "title": ""},
    )
    context["document"]["number"] = "A-2026-00001"
    return context


# --- The compiled-template cache ------------------------------------------------------------------


@pytest.fixture
def cache(monkeypatch):
    """A small cache of its own in place of the process's."""
    own = CompiledTemplates(max_entries=3, max_chars=1_000)
    monkeypatch.setattr(sandbox, "compiled_templates", own)
    return own


def test_a_source_is_compiled_once_and_renders_the_same(cache, monkeypatch):
    compiled: list[str] = []
    real = sandbox.validate
    monkeypatch.setattr(sandbox, "validate", lambda source: compiled.append(source) or real(source))
    source = "<p>{{ order.number }}: {% for line in lines %}{{ line.description }}; {% endfor %}</p>"
    context = {"order": {"number": 7}, "lines": [{"description": "Screen"}, {"description": "Glass"}]}

    first = sandbox.render(source, context, language="en")
    second = sandbox.render(source, context, language="en")

    assert first == second == "<p>7: Screen; Glass; </p>"
    assert compiled == [source], "validated and compiled once"
    assert (cache.misses, cache.hits, len(cache)) == (1, 1, 1)
    # The same template object with other data: nothing of the first render stays in it.
    assert sandbox.render(source, {"order": {"number": 8}, "lines": []}, language="en") == "<p>8: </p>"


def test_a_changed_source_is_compiled_again(cache):
    context = {"order": {"number": 7}}
    assert sandbox.render("<p>№ {{ order.number }}</p>", context, language="ru") == "<p>№ 7</p>"
    assert sandbox.render("<p>No. {{ order.number }}</p>", context, language="ru") == "<p>No. 7</p>"
    assert (cache.misses, cache.hits, len(cache)) == (2, 0, 2)


def test_a_refused_source_is_refused_every_time_and_not_kept(cache):
    for _ in range(2):
        with pytest.raises(TemplateRefused, match="unknown variable"):
            sandbox.render("{{ settings.SECRET_KEY }}", {}, language="en")
    assert len(cache) == 0 and cache.misses == 2


def test_the_cache_keeps_the_most_recently_used_within_its_entries_and_characters(cache):
    sources = [f"<p>{i}</p>" for i in range(4)]
    for source in sources[:3]:
        cache.get(source)
    cache.get(sources[0])  # used again: the oldest is now sources[1]
    cache.get(sources[3])
    assert len(cache) == 3
    misses = cache.misses
    cache.get(sources[0])
    cache.get(sources[2])
    assert cache.misses == misses, "kept"
    cache.get(sources[1])
    assert cache.misses == misses + 1, "dropped: the least recently used"

    long = "<p>" + "x" * 600 + "</p>"
    cache.get(long)
    cache.get(long + " ")
    assert cache._chars <= cache.max_chars and len(cache) <= 2
    assert len(cache.get("<p>" + "y" * 1_200 + "</p>").render(sandbox.Context({}))) > 1_200
    assert cache._chars <= cache.max_chars, "a source longer than the whole cache is compiled, not kept"


def test_a_cached_template_gets_a_fresh_budget_on_every_render(cache):
    source = "{% for line in lines %}{% for l in lines %}x{% endfor %}{% endfor %}"
    many = {"lines": [{}] * 101}  # 101 + 101 x 101 iterations: over the 10,000 of one render
    for _ in range(2):
        with pytest.raises(TemplateTooCostly):
            sandbox.render(source, many, language="en")
    few = {"lines": [{}] * 99}  # 99 + 99 x 99 = 9,900: within one render's budget, every time
    for _ in range(3):
        assert len(sandbox.render(source, few, language="en")) == 99 * 99
    assert cache.hits == 4


def test_the_process_cache_is_bounded():
    assert sandbox.compiled_templates.max_entries <= 64
    assert sandbox.compiled_templates.max_chars <= 400_000


# --- The lean user-agent stylesheet ---------------------------------------------------------------


def lean_used(html: str, extra_css: str = "") -> bool:
    parsed = rendering._DocumentHTML(string=rendering._wrap(html, title="", language="en"))
    return not rendering._needs_full_user_agent_css(parsed.etree_element, extra_css)


def test_this_weasyprint_gets_the_lean_stylesheet():
    """None would mean WeasyPrint's own stylesheet changed: documents would still render, only slower."""
    assert rendering.lean_user_agent_stylesheet() is not None


@pytest.mark.parametrize("kind", Kind.values)
@pytest.mark.parametrize("language", ["en", "ru", "id"])
def test_every_default_document_uses_the_lean_stylesheet(kind, language):
    html = sandbox.render(
        services.default_template(kind, language), act_context(language, 3), language=language
    )
    assert lean_used(html, services.page_css_for("A-2026-00001", language))


def test_the_shared_stylesheet_needs_nothing_the_lean_one_leaves_out():
    text = rendering._base_stylesheet_text().lower()
    assert not any(word in text for word in rendering._FULL_UA_WORDS)


@pytest.mark.parametrize(
    "html",
    [
        '<p>Text<span style="float: footnote">A footnote</span></p>',
        '<p>Text<span style="float: foot&#110;ote">A footnote</span></p>',  # an entity: read decoded
        "<style>.n { float: foot\\6e ote }</style><p>Text<span class='n'>A footnote</span></p>",  # an escape
        "<style>.n { float: FOOTNOTE }</style><p>Text<span class='n'>A footnote</span></p>",
        "<style>@import '/static/documents/documents.css';</style><p>Text</p>",
        '<link rel="stylesheet" href="/static/documents/documents.css"><p>Text</p>',
        '<div style="display: list-item">An item</div>',
    ],
)
def test_documents_that_may_use_footnotes_notes_or_own_list_items_get_weasyprints_stylesheet(html):
    assert not lean_used(html)


def test_a_footnote_renders_with_weasyprints_stylesheet():
    """With the lean stylesheet a footnote has no ::footnote-call style and WeasyPrint fails: the check above
    is what keeps such a template working."""
    pdf = rendering.html_to_pdf(
        '<p>Warranty<span style="float: foot&#110;ote">Screens: 30 days.</span> terms</p>',
        tenant_id=None,
        language="en",
    )
    assert "Screens: 30 days." in pdf_text(pdf.pdf)


def test_list_items_keep_their_markers_with_the_lean_stylesheet(monkeypatch):
    html = "<ol><li>Keep the receipt</li><li>Bring the device</li></ol><ul><li>A</li></ul>"
    assert lean_used(html)
    lean = pdf_text(rendering.html_to_pdf(html, tenant_id=None, language="en").pdf)
    monkeypatch.setattr(rendering, "_needs_full_user_agent_css", lambda root, extra_css: True)
    full = pdf_text(rendering.html_to_pdf(html, tenant_id=None, language="en").pdf)
    assert lean == full and "1." in lean and "2." in lean and "•" in lean


# --- The default completion act -------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ru", "en", "id"])
def test_the_completion_act_of_20_lines_with_its_checks_is_one_page(language):
    context = act_context(language, 20)
    source = services.default_template(Kind.COMPLETION_ACT, language)
    with timezone.override("Europe/Moscow"):
        rendered = services.render_pdf(source, context, tenant_id=1, language=language)
    assert rendered.pages == 1
    text = pdf_text(rendered.pdf)
    for line in context["lines"]:
        assert line["description"] in text
    for check in context["checklist"]:
        assert check["label"] in text and check["stage"] in text
    assert context["client"]["name"] in text and "7701234567" in text
    assert context["item"]["serial"] in text


def test_the_russian_act_keeps_every_part_of_an_act():
    context = act_context("ru", 20)
    source = services.default_template(Kind.COMPLETION_ACT, "ru")
    with timezone.override("Europe/Moscow"):
        text = pdf_text(services.render_pdf(source, context, tenant_id=1, language="ru").pdf)
    for words in (
        "Акт выполненных работ",
        "Исполнитель",
        "Заказчик",
        "Изделие",
        "Работы 19 500,00",
        "Запасные части и материалы 78 600,00",
        "Итого",
        "Оплачено",
        "К оплате",
        "Проверки",
        "Приёмка: Корпус без трещин — Да",
        "Всего наименований 20",
        "(Девяносто восемь тысяч сто рублей 00 копеек)",
        "Гарантия: 90 дн.",
        "претензий",
        "Стр. 1 из 1",
    ):
        assert words in " ".join(text.split()), words


def test_the_act_groups_its_lines_by_kind_and_numbers_them_through():
    context = act_context("ru", 4)
    discount = dict(
        context["lines"][0],
        kind="discount",
        kind_label="Скидка",
        description="Компенсация по жалобе",
        quantity=Decimal("1"),
        unit_price=Decimal("-250.00"),
        amount=Decimal("-250.00"),
    )
    context["lines"].insert(1, discount)  # in the order of the lines, between the works
    context["discounts"] = [discount]
    context["totals"]["discounts"] = Decimal("-250.00")
    html = sandbox.render(services.default_template(Kind.COMPLETION_ACT, "ru"), context, language="ru")
    text = " ".join(html.replace("<", " <").split())
    order = [
        "Работы",
        "1 </td> <td>Диагностика #1",
        "2 </td> <td>Замена дисплея #3",
        "Запасные части и материалы",
        "3 </td> <td>Дисплейный модуль #2",
        "4 </td> <td>Термопаста #4",
        "Скидки",
        "-250,00",
        "5 </td> <td>Компенсация по жалобе",
    ]
    positions = [text.index(piece) for piece in order]
    assert positions == sorted(positions), text
    assert "Всего наименований 5" in " ".join(html.split())


def test_every_line_is_a_work_a_part_or_a_discount():
    """The act prints `works`, `parts` and `discounts`: together they are every line, whatever its kind."""
    from documents.variables import SCHEMA

    assert {"works", "parts", "discounts"} <= set(SCHEMA) and "discounts" in SCHEMA["totals"]
    context = act_context("en", 3)
    assert context["discounts"] == [] and context["totals"]["discounts"] == 0


# --- The collector paused while WeasyPrint renders -------------------------------------------------


def test_the_cyclic_collector_is_off_while_weasyprint_renders_and_on_again_after(monkeypatch):
    seen: list[bool] = []
    real = rendering._DocumentHTML.render
    monkeypatch.setattr(
        rendering._DocumentHTML, "render", lambda self, **kw: seen.append(gc.isenabled()) or real(self, **kw)
    )
    assert gc.isenabled()
    rendering.html_to_pdf("<p>Акт</p>", tenant_id=None, language="ru")
    assert seen == [False] and gc.isenabled()


def test_the_collector_comes_back_after_a_failed_render(monkeypatch):
    def broken(self, **kw):
        raise RuntimeError("odd HTML")

    monkeypatch.setattr(rendering._DocumentHTML, "render", broken)
    with pytest.raises(RuntimeError):
        rendering.html_to_pdf("<p>x</p>", tenant_id=None, language="en")
    assert gc.isenabled()


def test_overlapping_renders_resume_the_collector_when_the_last_ends():
    assert gc.isenabled()
    first, second = rendering.cyclic_gc_paused(), rendering.cyclic_gc_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled(), "another render still runs"
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_turned_off_elsewhere_stays_off():
    gc.disable()
    try:
        with rendering.cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
