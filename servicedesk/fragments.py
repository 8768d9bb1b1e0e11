"""Fragment caching: rows and cards rendered once and kept, keyed by everything they show (issue 12).

A page of 50 orders spent most of its time rendering the same rows again (docs/performance.md, "Pages against
a bare view"). `{% cachedfor o in orders fingerprint "orders.row" %} ... {% empty %} ... {% endcachedfor %}`
renders each item's block once and keeps the HTML in the cache alias "fragments" (Redis in production, local
memory in development and tests); the next page view reads every row of the page in one round trip
(`get_many`) and renders only the rows it did not find.

**A key is the fragment's content, not a version to bump.** Each fragment kind registers a fingerprint
function `(item, context) -> tuple` that returns every value the block shows or decides on: the order's status,
its client's name, the technician's name, whether it is overdue *now*, the money ... The key is a hash of that
tuple with the tenant, the language, the time zone and a digest of the code (templates, Python, translations:
a deploy renders again). Nothing has to be invalidated: a changed value is a different key, and the old entry
expires. The price is that a value the block shows but the fingerprint forgets shows stale: a fingerprint lives
next to the query that loads the rows, and tests change every value it lists and see the page change.

Rules for a cached block:
- it reads only its item, `tenant`, `request`-free values the fingerprint covers, and constant context;
- `forloop` is not set inside it;
- `{% csrf_token %}` may be used: the block is rendered with a placeholder, and the placeholder is replaced by
  this request's token after the cache (a token is per session: it is never stored in a fragment).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django import template
from django.conf import settings
from django.core.cache import caches
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

log = logging.getLogger(__name__)

CACHE_ALIAS = "fragments"
FRAGMENT_SECONDS = 60 * 60 * 24  # keys never go stale (they are the content); this only bounds the memory

Fingerprint = Callable[[Any, template.Context], tuple]
_fingerprints: dict[str, Fingerprint] = {}


def register_fingerprint(name: str, function: Fingerprint) -> None:
    """Name a fragment kind and the function that lists every value one of its fragments shows."""
    _fingerprints[name] = function


# The code a fragment was rendered with is part of its key: a deploy that changes a template, a filter or a
# translation renders every fragment again instead of serving the old markup.
_CODE_SUFFIXES = {".py", ".html", ".mo", ".txt"}
_SKIPPED_DIRS = {".venv", ".git", "node_modules", "tests", "bench", "static", "media", "__pycache__", "docs"}


@functools.cache
def code_digest() -> str:
    """A digest of the project's templates, Python and compiled translations (once per process)."""
    digest = hashlib.blake2b(digest_size=8)
    root = Path(settings.BASE_DIR)
    for path in sorted(_code_files(root)):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _code_files(directory: Path) -> Iterable[Path]:
    for entry in directory.iterdir():
        if entry.is_dir():
            if entry.name not in _SKIPPED_DIRS and not entry.name.startswith("."):
                yield from _code_files(entry)
        elif entry.suffix in _CODE_SUFFIXES:
            yield entry


def fragment_key(name: str, tenant_id: int | None, values: tuple) -> str:
    """The cache key of one fragment: its kind, the code, the tenant, the language, the time zone and a hash of
    the values it shows."""
    content = hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()
    return (
        f"frag:{name}:{code_digest()}:{tenant_id}:{translation.get_language()}:"
        f"{timezone.get_current_timezone_name()}:{content}"
    )


@functools.cache
def csrf_placeholder() -> str:
    """What `{% csrf_token %}` writes inside a cached block; secret-derived, so no content can forge it."""
    return "csrfplaceholder" + hashlib.blake2b(settings.SECRET_KEY.encode(), digest_size=12).hexdigest()


def render_many(
    name: str,
    items: list,
    context: template.Context,
    render_one: Callable[[Any], str],
) -> SafeString:
    """The fragments of `items`, in order: all looked up in one round trip, the missing ones rendered by
    `render_one(item)` (with the csrf placeholder in the context) and stored in one round trip."""
    fingerprint = _fingerprints[name]
    tenant = context.get("tenant")
    tenant_id = getattr(tenant, "pk", None)
    keys = [fragment_key(name, tenant_id, fingerprint(item, context)) for item in items]
    cache = caches[CACHE_ALIAS]
    try:
        found: dict[str, str] = cache.get_many(keys)
    except Exception:  # pages work without the cache: every fragment is rendered
        log.warning("The fragments' cache did not answer: rendering them", exc_info=True)
        found = {}
    rendered: dict[str, str] = {}
    parts: list[str] = []
    placeholder = csrf_placeholder()
    with context.push(csrf_token=placeholder):
        for item, key in zip(items, keys, strict=True):
            html = found.get(key)
            if html is None:
                html = rendered.get(key)
            if html is None:
                html = str(render_one(item))
                rendered[key] = html
            parts.append(html)
    if rendered:
        try:
            cache.set_many(rendered, FRAGMENT_SECONDS)
        except Exception:
            log.warning("The fragments' cache did not answer: nothing kept", exc_info=True)
    html = "".join(parts)
    if placeholder in html:
        token = context.get("csrf_token")
        if token and token != "NOTPROVIDED":
            html = html.replace(placeholder, str(token))
        else:  # as {% csrf_token %} renders without a token: nothing
            html = html.replace(
                format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', placeholder), ""
            )
    return mark_safe(html)  # noqa: S308 (each part is a rendered template)


# --- The template tag ----------------------------------------------------------------------------------------
register = template.Library()


class CachedForNode(template.Node):
    def __init__(
        self,
        var: str,
        sequence: FilterExpression,
        name: str,
        nodelist: NodeList,
        empty: NodeList,
        *,
        is_reversed: bool = False,
    ) -> None:
        self.var, self.sequence, self.name = var, sequence, name
        self.nodelist, self.empty, self.is_reversed = nodelist, empty, is_reversed

    def render(self, context: template.Context) -> str:
        items = list(self.sequence.resolve(context, ignore_failures=True) or [])
        if self.is_reversed:
            items.reverse()
        if not items:
            return self.empty.render(context)

        def render_one(item: Any) -> str:
            with context.push({self.var: item}):
                return self.nodelist.render(context)

        return render_many(self.name, items, context, render_one)


@register.tag
def cachedfor(parser: Parser, token: Token) -> CachedForNode:
    """{% cachedfor o in orders [reversed] fingerprint "orders.row" %} ... {% empty %} ... {% endcachedfor %}"""
    bits = token.split_contents()
    is_reversed = len(bits) == 7 and bits[4] == "reversed"
    if is_reversed:
        del bits[4]
    if len(bits) != 6 or bits[2] != "in" or bits[4] != "fingerprint":
        raise template.TemplateSyntaxError(
            'Usage: {% cachedfor item in items [reversed] fingerprint "kind" %} ... {% endcachedfor %}'
        )
    name = bits[5].strip("\"'")
    if name not in _fingerprints:
        raise template.TemplateSyntaxError(f"cachedfor: no fingerprint registered as {name!r}")
    nodelist = parser.parse(("empty", "endcachedfor"))
    empty = NodeList()
    if parser.next_token().contents == "empty":
        empty = parser.parse(("endcachedfor",))
        parser.delete_first_token()
    return CachedForNode(
        bits[1], parser.compile_filter(bits[3]), name, nodelist, empty, is_reversed=is_reversed
    )


class CachedBlockNode(template.Node):
    def __init__(self, name: str, nodelist: NodeList) -> None:
        self.name, self.nodelist = name, nodelist

    def render(self, context: template.Context) -> str:
        return render_many(self.name, [None], context, lambda _none: self.nodelist.render(context))


@register.tag
def cachedblock(parser: Parser, token: Token) -> CachedBlockNode:
    """{% cachedblock "tenancy.nav" %} ... {% endcachedblock %}: one block, its fingerprint called with None."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError('Usage: {% cachedblock "kind" %} ... {% endcachedblock %}')
    name = bits[1].strip("\"'")
    if name not in _fingerprints:
        raise template.TemplateSyntaxError(f"cachedblock: no fingerprint registered as {name!r}")
    nodelist = parser.parse(("endcachedblock",))
    parser.delete_first_token()
    return CachedBlockNode(name, nodelist)
