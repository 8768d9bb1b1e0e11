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
- At render time WeasyPrint's URL fetcher (documents.rendering) refuses everything but the project's
  static files, the tenant's own media and data: URIs: the second lock on the same door.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

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
from django.utils.translation import gettext as _

from .variables import SCHEMA, Leaf, Seq

ALLOWED_TAGS = ("if", "for", "with", "firstof", "cycle", "now", "spaceless", "comment", "ifchanged", "templatetag")
ALLOWED_FILTERS = (
    "date", "time", "default", "default_if_none", "upper", "lower", "title", "capfirst", "linebreaks",
    "linebreaksbr", "length", "yesno", "truncatechars", "truncatewords", "join", "first", "last",
    "pluralize", "floatformat", "add", "cut", "divisibleby", "wordwrap", "stringformat",
)

MAX_TEMPLATE_CHARS = 100_000

library = Library()
for _name in ALLOWED_TAGS:
    library.tags[_name] = defaulttags.register.tags[_name]
for _name in ALLOWED_FILTERS:
    library.filters[_name] = defaultfilters.register.filters[_name]


@library.filter(is_safe=False)
def money(value, digits: int = 2) -> str:
    """1234.5 -> "1,234.50" (en) or "1 234,50" (ru): in the document's language."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return formats.number_format(amount, decimal_pos=int(digits), use_l10n=True, force_grouping=True)


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


# No loaders, no libraries, and in place of Django's builtins only the whitelisted library above.
engine = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, builtins=[], autoescape=True, debug=False)
engine.template_builtins = [library]


# --- Validation -----------------------------------------------------------------------------------

FORLOOP = {
    "forloop": {
        "counter": Leaf("1, 2, 3 ..."), "counter0": Leaf("0, 1, 2 ..."), "revcounter": Leaf(""),
        "revcounter0": Leaf(""), "first": Leaf(""), "last": Leaf(""),
    }
}

_URL_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.\-]*):|^\s*//|^\s*\\\\")
_RESOURCE_REFS = [
    re.compile(r"""\b(?:src|srcset|poster|data|background|xlink:href)\s*=\s*["']?\s*([^"'\s>]*)""", re.I),
    re.compile(r"""url\(\s*["']?\s*([^"')\s]*)""", re.I),
    re.compile(r"""@import\s+["']([^"']*)""", re.I),
    re.compile(r"""<link\b[^>]*\bhref\s*=\s*["']?\s*([^"'\s>]*)""", re.I),
    re.compile(r"""<(?:image|use|feImage)\b[^>]*\bhref\s*=\s*["']?\s*([^"'\s>]*)""", re.I),
]


class TemplateRefused(ValidationError):
    pass


def _refuse(message: str, lineno: int | None = None) -> TemplateRefused:
    if lineno:
        message = _("Line %(line)s: %(message)s") % {"line": lineno, "message": message}
    return TemplateRefused(message)


def _lineno(node: Node) -> int | None:
    token = getattr(node, "token", None)
    return getattr(token, "lineno", None)


def check_resource_urls(source: str) -> None:
    """Resources may only be data: URIs, template variables ({{ tenant.logo }}) or /static/ paths."""
    for pattern in _RESOURCE_REFS:
        for match in pattern.finditer(source):
            url = match.group(1).strip()
            if not url or url.startswith("{{") or url.startswith("#"):
                continue
            scheme = _URL_SCHEME.match(url)
            if scheme and (scheme.group(1) or "").lower() == "data":
                continue
            if scheme or not url.startswith("/static/"):
                line = source.count("\n", 0, match.start()) + 1
                raise _refuse(
                    _("“%(url)s” cannot be loaded: documents may only use images and styles given by the "
                      "variables (e.g. {{ tenant.logo }}), data: URIs or the project's /static/ files.")
                    % {"url": url[:80]},
                    line,
                )


def _describe(path: tuple[str, ...]) -> str:
    return "{{ " + ".".join(path) + " }}"


def _check_path(path: tuple[str, ...], scope: dict, lineno: int | None):
    """The schema node a variable path leads to, or TemplateRefused."""
    root = path[0]
    if root not in scope:
        raise _refuse(_("unknown variable %(var)s. See the list of variables next to the editor.")
                      % {"var": _describe(path)}, lineno)
    node = scope[root]
    for depth, bit in enumerate(path[1:], start=1):
        if isinstance(node, dict) and bit in node:
            node = node[bit]
        elif isinstance(node, Seq) and bit.isdigit():
            node = node.fields
        else:
            raise _refuse(_("unknown variable %(var)s: %(parent)s has no “%(bit)s”.")
                          % {"var": _describe(path), "parent": ".".join(path[:depth]), "bit": bit}, lineno)
    return node


def _check_filter_expression(fe: FilterExpression, scope: dict, lineno: int | None):
    node = None
    var = fe.var
    if isinstance(var, Variable) and var.lookups is not None:
        node = _check_path(tuple(var.lookups), scope, lineno)
    for _func, args in fe.filters:
        for is_lookup, arg in args:
            if is_lookup and isinstance(arg, Variable) and arg.lookups is not None:
                _check_path(tuple(arg.lookups), scope, lineno)
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
        return Template(source, engine=engine)
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
                % {"filter": match.group(1), "filters": ", ".join((*ALLOWED_FILTERS, "money", "qty"))}
            ) from None
        raise _refuse(_("the template cannot be read: %(error)s") % {"error": text}) from None


def validate(source: str) -> Template:
    """Refuse (TemplateRefused) unknown tags, filters, variables and external resource URLs."""
    check_resource_urls(source)
    template = compile_template(source)
    _walk(template.nodelist, dict(SCHEMA))
    return template


def render(source: str, context: dict, *, language: str) -> str:
    """Validate and render a template body with a context built by documents.variables."""
    template = validate(source)
    with translation.override(language):
        return template.render(Context(context, autoescape=True))
