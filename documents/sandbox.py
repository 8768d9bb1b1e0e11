"""The restricted template language of documents: Django's syntax, with a short list of tags and
filters and only the documented variables (documents.variables.SCHEMA).

- An Engine with no loaders and no libraries: {% load %}, {% include %}, {% extends %}, {% url %},
  {% csrf_token %}, {% debug %} ... do not exist, so a template that uses them fails to parse.
- validate(source) parses the template and walks its node tree: every variable (in {{ }}, in filter
  arguments, in {% if %}, {% for %}, {% with %} ...) must be a documented path, e.g. order.number or
  line.amount inside {% for line in lines %}; anything else is refused with the line number.
  Resource URLs (src=, url(), @import, <link href>) must be data: or the paths the context supplies;
  a template naming http://, file:// or an internal address is refused before it is ever rendered.
- The context holds plain dicts, lists, strings, numbers and dates (never model instances), so even a
  path that slipped through could not reach the database.
- A work budget (Budget) is checked while rendering, because Django's template engine has none: four
  nested {% for %} over a 55-character text ran 37 s and froze every worker. Loop iterations, output
  size, the length of any value a filter makes, the numbers given to width/precision filters
  (stringformat, floatformat, money) and the wall-clock time are counted; past a limit the render stops
  with TemplateTooCostly, a sentence naming the problem, within about a second.
- At render time WeasyPrint's URL fetcher (documents.rendering) refuses everything but the project's
  static files, the tenant's own media and data: URIs: the second lock on the same door.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser

import tinycss2
from django.core.exceptions import ValidationError
from django.template import (
    Context,
    Engine,
    Library,
    Template,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.template.base import FilterExpression, Node, TextNode, Variable, VariableNode
from django.template.defaulttags import (
    CycleNode,
    FirstOfNode,
    ForNode,
    IfChangedNode,
    IfNode,
    NowNode,
    WithNode,
)
from django.utils import formats, translation
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from servicedesk.money_format import currency_digits, format_amount, format_money, is_currency

from .variables import SCHEMA, Leaf, Seq

ALLOWED_TAGS = (
    "if",
    "for",
    "with",
    "firstof",
    "cycle",
    "now",
    "spaceless",
    "comment",
    "ifchanged",
    "templatetag",
)
ALLOWED_FILTERS = (
    "date",
    "time",
    "default",
    "default_if_none",
    "upper",
    "lower",
    "title",
    "capfirst",
    "linebreaks",
    "linebreaksbr",
    "length",
    "yesno",
    "truncatechars",
    "truncatewords",
    "join",
    "first",
    "last",
    "pluralize",
    "floatformat",
    "add",
    "cut",
    "divisibleby",
    "wordwrap",
    "stringformat",
)
# Filters of ours (defined below): amounts and quantities in the document's language.
OWN_FILTERS = ("money", "price", "qty")

MAX_TEMPLATE_CHARS = 100_000

# The work budget of one render. The default documents use a few dozen loop iterations and about
# 10-20 thousand characters; these limits leave room for orders with hundreds of lines.
MAX_LOOP_ITERATIONS = 10_000
MAX_OUTPUT_CHARS = (
    200_000  # also the longest value any filter may make; WeasyPrint lays out ~30k chars a second
)
MAX_RENDER_SECONDS = 1.0
# Numbers a filter turns into that many characters: stringformat:"%099999d", floatformat:99999, money:99999.
MAX_FILTER_NUMBER = {"stringformat": 100, "floatformat": 20, "money": 10}


class TemplateRefused(ValidationError):
    pass


class TemplateTooCostly(TemplateRefused):
    """The render went over the work budget; the message names which limit."""


@dataclass
class Budget:
    """What one render may spend. Charged by the loop ticks, the output of leaf nodes and the filters.

    Hand-written because Django's engine has no limits of its own. Once spent, the error is kept:
    {% if %} swallows exceptions of its comparisons, so every later charge and the end of the render
    raise it again.
    """

    max_iterations: int = MAX_LOOP_ITERATIONS
    max_output: int = MAX_OUTPUT_CHARS
    seconds: float = MAX_RENDER_SECONDS
    iterations: int = 0
    output: int = 0
    deadline: float = 0.0
    error: TemplateTooCostly | None = None

    def start(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def fail(self, message: str, **params: object) -> TemplateTooCostly:
        """`message` is marked with gettext_noop and translated when shown, not here: the render runs in
        the document's language, the editor shows errors in the staff member's."""
        if self.error is None:
            self.error = TemplateTooCostly(_shown_later(message, params))
        return self.error

    def check(self) -> None:
        if self.error is not None:
            raise self.error
        if time.monotonic() > self.deadline:
            raise self.fail(
                gettext_noop(
                    "The template takes too long to render (over %(seconds)s s); simplify its loops."
                ),
                seconds=f"{self.seconds:g}",
            )

    def loop(self) -> None:
        self.iterations += 1
        if self.iterations > self.max_iterations:
            raise self.fail(
                gettext_noop("The template repeats a loop too many times (over %(n)s iterations)."),
                n=self.max_iterations,
            )
        self.check()

    def emit(self, size: int) -> None:
        self.output += size
        if self.output > self.max_output:
            raise self.fail(
                gettext_noop("The document would be too long (over %(n)s characters of HTML)."),
                n=self.max_output,
            )
        self.check()

    def value(self, name: str, value) -> None:
        if isinstance(value, str | list | tuple) and len(value) > self.max_output:
            raise self.fail(
                gettext_noop(
                    "The filter |%(filter)s makes a value too long (over %(n)s characters or items)."
                ),
                filter=name,
                n=self.max_output,
            )


def _translate_later(message: str, params: dict[str, object]) -> str:
    shown = {
        key: formats.number_format(value, force_grouping=True) if isinstance(value, int) else value
        for key, value in params.items()
    }
    return gettext(message) % shown


_shown_later = lazy(_translate_later, str)


_budget: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "documents_sandbox_budget", default=None
)


def _current_budget() -> Budget:
    budget = _budget.get()
    if budget is None:  # rendered outside SandboxTemplate.render: refuse rather than run without limits
        raise RuntimeError("Sandbox templates render only through SandboxTemplate.render().")
    return budget


def filter_argument_problem(name: str, arg) -> str | None:
    """Why a filter argument asks for too much work (a huge width or precision), or None."""
    limit = MAX_FILTER_NUMBER.get(name)
    if limit is None or arg is None:
        return None
    for digits in re.findall(r"\d+", str(arg)[:200]):
        if len(digits) > 6 or int(digits) > limit:
            return _('|%(filter)s:"%(arg)s" asks for %(number)s characters; at most %(limit)s.') % {
                "filter": name,
                "arg": str(arg)[:20],
                "number": digits[:12],
                "limit": limit,
            }
    return None


def _budgeted(name: str, func):
    """A filter that checks its arguments first and the size of what it made after."""

    @functools.wraps(func)  # keeps is_safe/needs_autoescape/... and __wrapped__ for Django's argument check
    def wrapper(value, *args, **kwargs):
        budget = _current_budget()
        budget.check()
        problem = filter_argument_problem(name, args[0]) if args else None
        if problem:
            raise budget.fail(problem)
        try:
            result = func(value, *args, **kwargs)
        except TemplateRefused:
            raise
        except Exception:  # divisibleby:0, a number too long to convert ...: a message, not a 500
            raise budget.fail(
                _("The filter |%(filter)s cannot work with the value it was given.") % {"filter": name}
            ) from None
        budget.value(name, result)
        return result

    wrapper.sandbox_name = name
    return wrapper


library = Library()
for _name in ALLOWED_TAGS:
    library.tags[_name] = defaulttags.register.tags[_name]
for _name in ALLOWED_FILTERS:
    library.filters[_name] = defaultfilters.register.filters[_name]


class LoopTick(Node):
    """Placed first in every {% for %} body: charges one iteration of the budget per pass."""

    child_nodelists = ()

    def render(self, context) -> str:
        _current_budget().loop()
        return ""


@library.tag("for")
def do_for(parser, token) -> ForNode:
    node = defaulttags.do_for(parser, token)
    node.nodelist_loop.insert(0, LoopTick())
    return node


# The decimals of the document's currency (2 for RUB, 0 for IDR) and its code: render() sets both from
# tenant.currency.
_money_digits: contextvars.ContextVar[int] = contextvars.ContextVar("money_digits", default=2)
_money_currency: contextvars.ContextVar[str] = contextvars.ContextVar("money_currency", default="")


@library.filter(is_safe=False)
def money(value, digits: int | None = None) -> str:
    """1234.5 -> "1,234.50" (en), "1 234,50" (ru), "150.000" (id, IDR): in the document's language, with
    its currency's decimals unless told (servicedesk.money_format, as pages and e-mails)."""
    if value in (None, ""):
        return ""
    try:
        Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return format_amount(value, digits=_money_digits.get() if digits is None else int(digits))


@library.filter(is_safe=False)
def price(value) -> str:
    """1234.5 -> "1 234,50 ₽" (ru, RUB), "Rp 9.000" (id, IDR), "$1,234.50" (en, USD): the amount with the
    center's currency where the document's language puts it (servicedesk.money_format.format_money)."""
    currency = _money_currency.get()
    if not currency:
        return money(value)
    return format_money(value, currency, translation.get_language())


@library.filter(is_safe=False)
def qty(value) -> str:
    """Quantities without trailing zeros: 1.000 -> "1", 1.500 -> "1.5" (en) / "1,5" (ru)."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value)).normalize()
    except (InvalidOperation, ValueError):
        return str(value)
    if amount == amount.to_integral():
        amount = amount.quantize(Decimal(1))
    return formats.number_format(amount, use_l10n=True)


for _name, _func in list(library.filters.items()):
    library.filters[_name] = _budgeted(_name, _func)


class SandboxTemplate(Template):
    """A template of the sandbox engine: every render runs under a fresh Budget."""

    def render(self, context=None, *, budget: Budget | None = None) -> str:
        budget = budget or Budget()
        budget.start()
        token = _budget.set(budget)
        try:
            html = super().render(context)
        except RecursionError:
            raise _too_deep() from None
        finally:
            _budget.reset(token)
        if budget.error is not None:  # spent inside an {% if %} comparison, which swallows errors
            raise budget.error
        return html


def _charged(render_annotated):
    def charged(context) -> str:
        budget = _current_budget()
        budget.check()
        html = render_annotated(context)
        budget.emit(len(html))
        return html

    return charged


def _instrument(nodelist) -> None:
    """Charge the output of every leaf node (text, {{ values }}, {% cycle %} ...) to the budget: blocks
    ({% for %}, {% if %} ...) only join what their leaves make, so the leaves' sum bounds the output."""
    for node in nodelist:
        children = [getattr(node, attr, None) for attr in node.child_nodelists]
        children = [child for child in children if child]
        if children:
            for child in children:
                _instrument(child)
        elif not isinstance(node, LoopTick):
            node.render_annotated = _charged(node.render_annotated)


# No loaders, no libraries, and in place of Django's builtins only the whitelisted library above.
engine = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, builtins=[], autoescape=True, debug=False)
engine.template_builtins = [library]


# --- Validation -----------------------------------------------------------------------------------

FORLOOP = {
    "forloop": {
        "counter": Leaf("1, 2, 3 ..."),
        "counter0": Leaf("0, 1, 2 ..."),
        "revcounter": Leaf(""),
        "revcounter0": Leaf(""),
        "first": Leaf(""),
        "last": Leaf(""),
    }
}

_URL_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.\-]*):|^\s*//|^\s*\\\\")
# Attributes whose value WeasyPrint may fetch; href only on the elements that load it (a link is printed).
_RESOURCE_ATTRIBUTES = {"src", "srcset", "poster", "data", "background", "xlink:href"}
_HREF_ELEMENTS = {"link", "image", "use", "feimage", "base"}
# CSS functions whose string argument is a URL (url("...") is a function when quoted).
_CSS_URL_FUNCTIONS = {"url", "src", "image", "image-set", "-webkit-image-set"}
_VARIABLE_MARK = "sandbox-variable"


def _refuse(message: str, lineno: int | None = None) -> TemplateRefused:
    if lineno:
        message = _("Line %(line)s: %(message)s") % {"line": lineno, "message": message}
    return TemplateRefused(message)


def _lineno(node: Node) -> int | None:
    token = getattr(node, "token", None)
    return getattr(token, "lineno", None)


def _check_url(url: str, line: int) -> None:
    url = url.strip()
    if not url or url.startswith((_VARIABLE_MARK, "#")):
        return
    scheme = _URL_SCHEME.match(url)
    if scheme and (scheme.group(1) or "").lower() == "data":
        return
    if scheme or not url.startswith("/static/"):
        raise _refuse(
            _(
                "“%(url)s” cannot be loaded: documents may only use images and styles given by the "
                "variables (e.g. {{ tenant.logo }}), data: URIs or the project's /static/ files."
            )
            % {"url": url[:80]},
            line,
        )


def _check_css_tokens(tokens, first_line: int) -> None:
    """Every URL in parsed CSS: url(...) tokens, url("...")/image-set("...") functions, @import "...".

    tinycss2 decodes escapes as a browser would, so \\75 rl(http://...) is a url token like any other."""
    for token in tokens or ():
        line = first_line + max(getattr(token, "source_line", 1), 1) - 1
        if token.type == "url":
            _check_url(token.value, line)
        elif token.type == "function" and token.lower_name in _CSS_URL_FUNCTIONS:
            for argument in token.arguments:
                if argument.type in ("string", "url"):
                    _check_url(argument.value, line)
        elif token.type == "at-rule" and token.lower_at_keyword == "import":
            for part in token.prelude:
                if part.type == "string":
                    _check_url(part.value, line)
        for attribute in ("prelude", "content", "arguments"):
            children = getattr(token, attribute, None)
            if isinstance(children, list):
                _check_css_tokens(children, first_line)


class _ResourceFinder(HTMLParser):
    """Reads the template as HTML (entities decoded, as WeasyPrint will) and checks every resource URL
    of attributes, style attributes and <style> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._style: list[str] | None = None
        self._style_line = 1

    def handle_starttag(self, tag: str, attrs) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if value is None:
                continue
            if name in _RESOURCE_ATTRIBUTES or (name == "href" and tag in _HREF_ELEMENTS):
                candidates = (
                    [part.split()[0] for part in value.split(",") if part.split()]
                    if name == "srcset"
                    else [value]
                )
                for url in candidates:
                    _check_url(url, line)
            elif name == "style":
                _check_css_tokens(tinycss2.parse_component_value_list(value), line)
        if tag == "style":
            self._style, self._style_line = [], line

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        if self._style is not None:
            self._style.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style" and self._style is not None:
            _check_css_tokens(tinycss2.parse_stylesheet("".join(self._style)), self._style_line)
            self._style = None

    def close(self) -> None:
        if (
            self._style is not None
        ):  # <style> never closed: html.parser keeps the rest unparsed, WeasyPrint reads it
            self._style.append(self.rawdata)
            self.handle_endtag("style")
        super().close()


def check_resource_urls(source: str) -> None:
    """Resources may only be data: URIs, template variables ({{ tenant.logo }}) or /static/ paths.

    Parsed, not pattern-matched: HTML with html.parser (entities decoded), CSS with tinycss2 (escapes
    decoded), so "\\75 rl(" or "&#104;ttp:" cannot hide a URL. Template tags are dropped and every
    {{ value }} becomes a marker first; a value can only be what the context gives. The URL fetcher of
    documents.rendering stays the real guard: it refuses at render time whatever this check missed.
    """
    text = re.sub(r"\{#.*?#\}|\{%.*?%\}", "", source)
    text = re.sub(r"\{\{.*?\}\}", _VARIABLE_MARK, text)
    finder = _ResourceFinder()
    finder.feed(text)
    finder.close()


def _describe(path: tuple[str, ...]) -> str:
    return "{{ " + ".".join(path) + " }}"


def _check_path(path: tuple[str, ...], scope: dict, lineno: int | None):
    """The schema node a variable path leads to, or TemplateRefused."""
    root = path[0]
    if root not in scope:
        raise _refuse(
            _("unknown variable %(var)s. See the list of variables next to the editor.")
            % {"var": _describe(path)},
            lineno,
        )
    node = scope[root]
    for depth, bit in enumerate(path[1:], start=1):
        if isinstance(node, dict) and bit in node:
            node = node[bit]
        elif isinstance(node, Seq) and bit.isdigit():
            node = node.fields
        else:
            raise _refuse(
                _("unknown variable %(var)s: %(parent)s has no “%(bit)s”.")
                % {"var": _describe(path), "parent": ".".join(path[:depth]), "bit": bit},
                lineno,
            )
    return node


def _check_filter_expression(fe: FilterExpression, scope: dict, lineno: int | None):
    node = None
    var = fe.var
    if isinstance(var, Variable) and var.lookups is not None:
        node = _check_path(tuple(var.lookups), scope, lineno)
    for func, args in fe.filters:
        for is_lookup, arg in args:
            if is_lookup and isinstance(arg, Variable) and arg.lookups is not None:
                _check_path(tuple(arg.lookups), scope, lineno)
            else:  # a literal: "05d" (a constant) or 99999 (a Variable holding a number)
                literal = arg.literal if isinstance(arg, Variable) else arg
                problem = filter_argument_problem(getattr(func, "sandbox_name", ""), literal)
                if problem:
                    raise _refuse(problem, lineno)
    return node


def _check_condition(condition, scope: dict, lineno: int | None) -> None:
    if condition is None:
        return
    value = getattr(condition, "value", None)
    if isinstance(value, FilterExpression):
        _check_filter_expression(value, scope, lineno)
    for attr in ("first", "second"):
        child = getattr(condition, attr, None)
        if child is not None:
            _check_condition(child, scope, lineno)


def _walk(nodelist, scope: dict) -> None:
    for node in nodelist:
        lineno = _lineno(node)
        if isinstance(node, TextNode):
            continue
        if isinstance(node, VariableNode):
            _check_filter_expression(node.filter_expression, scope, lineno)
        elif isinstance(node, IfNode):
            for condition, nodelist_ in node.conditions_nodelists:
                _check_condition(condition, scope, lineno)
                _walk(nodelist_, scope)
        elif isinstance(node, ForNode):
            sequence = _check_filter_expression(node.sequence, scope, lineno)
            element = sequence.fields if isinstance(sequence, Seq) else Leaf("")
            inner = {**scope, **FORLOOP}
            if len(node.loopvars) == 1:
                inner[node.loopvars[0]] = element
            else:
                for name in node.loopvars:
                    inner[name] = Leaf("")
            _walk(node.nodelist_loop, inner)
            _walk(node.nodelist_empty, scope)
        elif isinstance(node, WithNode):
            inner = dict(scope)
            for name, fe in node.extra_context.items():
                inner[name] = _check_filter_expression(fe, scope, lineno) or Leaf("")
            _walk(node.nodelist, inner)
        elif isinstance(node, FirstOfNode):
            for fe in node.vars:
                _check_filter_expression(fe, scope, lineno)
            if node.asvar:
                scope[node.asvar] = Leaf("")
        elif isinstance(node, CycleNode):
            for fe in node.cyclevars:
                _check_filter_expression(fe, scope, lineno)
            if node.variable_name:
                scope[node.variable_name] = Leaf("")
        elif isinstance(node, NowNode):
            if node.asvar:
                scope[node.asvar] = Leaf("")
        elif isinstance(node, IfChangedNode):
            for fe in node._varlist:
                _check_filter_expression(fe, scope, lineno)
            _walk(node.nodelist_true, scope)
            _walk(node.nodelist_false, scope)
        else:
            for attr in getattr(node, "child_nodelists", ()):
                _walk(getattr(node, attr, None) or [], scope)


def compile_template(source: str) -> Template:
    """Parse with the restricted engine; TemplateRefused with a readable reason on any problem."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise _refuse(_("The template is too long (at most %(n)s characters).") % {"n": MAX_TEMPLATE_CHARS})
    try:
        template = SandboxTemplate(source, engine=engine)
    except TemplateSyntaxError as error:
        text = str(error)
        match = re.search(r"Invalid block tag on line (\d+): '([^']+)'", text)
        if match:
            raise _refuse(
                _("the tag {%% %(tag)s %%} is not allowed in documents. Allowed tags: %(tags)s.")
                % {"tag": match.group(2), "tags": ", ".join(ALLOWED_TAGS)},
                int(match.group(1)),
            ) from None
        match = re.search(r"Invalid filter: '([^']+)'", text)
        if match:
            raise _refuse(
                _("the filter |%(filter)s is not allowed in documents. Allowed filters: %(filters)s.")
                % {"filter": match.group(1), "filters": ", ".join((*ALLOWED_FILTERS, *OWN_FILTERS))}
            ) from None
        raise _refuse(_("the template cannot be read: %(error)s") % {"error": text}) from None
    _instrument(template.nodelist)
    return template


def _too_deep() -> TemplateRefused:
    return TemplateRefused(
        _(
            "The template nests its tags too deeply; use fewer levels of {% if %}, {% for %} "
            "and {% with %} inside each other."
        )
    )


def validate(source: str) -> Template:
    """Refuse (TemplateRefused) unknown tags, filters, variables and external resource URLs."""
    check_resource_urls(source)
    try:  # parsing, walking and rendering recurse once per level of nesting
        template = compile_template(source)
        _walk(template.nodelist, dict(SCHEMA))
    except RecursionError:
        raise _too_deep() from None
    return template


class CompiledTemplates:
    """Validated templates, kept by the SHA-256 of their exact source: a source is checked and compiled once
    per process, not on every render (the act's template took about 3 ms of its 5 in the sandbox).

    Bounded twice: at most `max_entries` templates and `max_chars` characters of their sources together
    (a compiled template takes 25-60 times its source in memory), the least recently used go first. A
    refused source is not kept: it is checked again, and refused again, each time. What is kept is only
    ever rendered through SandboxTemplate.render, so each render still gets a fresh Budget; a template
    holds no state between renders (Django keeps a render's state in its context). The variables it was
    checked against (documents.variables.SCHEMA) are complete once the apps are ready and do not change.
    """

    def __init__(self, max_entries: int, max_chars: int) -> None:
        self.max_entries = max_entries
        self.max_chars = max_chars
        self._entries: OrderedDict[bytes, tuple[Template, int]] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, source: str) -> Template:
        key = hashlib.sha256(source.encode("utf-8", "surrogatepass")).digest()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[0]
            self.misses += 1
        template = validate(source)  # outside the lock: TemplateRefused propagates, nothing is kept
        size = len(source)
        if size > self.max_chars:
            return template
        with self._lock:
            if key not in self._entries:
                self._entries[key] = (template, size)
                self._chars += size
                while len(self._entries) > self.max_entries or self._chars > self.max_chars:
                    _key, (_template, dropped) = self._entries.popitem(last=False)
                    self._chars -= dropped
        return template

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._chars = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


# The 12 default templates (4 kinds x 3 languages) and the tenants' own versions in use: at most 64 of
# them and 400,000 characters of source. Compiled, a template takes about 25 times its source (the
# default act: 4,300 characters, 118 KB) and at most about 60 times (a source of nothing but tags and
# variables): about 10 MB per process when full of ordinary templates, 23 MB at worst.
compiled_templates = CompiledTemplates(max_entries=64, max_chars=400_000)


def render(source: str, context: dict, *, language: str) -> str:
    """Validate (once per source: compiled_templates) and render a template body with a context built by
    documents.variables."""
    template = compiled_templates.get(source)
    tenant = context.get("tenant")
    with document_currency(tenant.get("currency", "") if isinstance(tenant, dict) else ""):
        with translation.override(language):
            return template.render(Context(context, autoescape=True))


@contextlib.contextmanager
def document_currency(currency: str) -> Iterator[None]:
    """|money and |price inside use this currency's decimals and sign (an unknown code: 2 decimals, no sign)."""
    known = is_currency(currency)
    digits_token = _money_digits.set(currency_digits(currency) if known else 2)
    currency_token = _money_currency.set(currency if known else "")
    try:
        yield
    finally:
        _money_digits.reset(digits_token)
        _money_currency.reset(currency_token)
