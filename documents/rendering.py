"""HTML -> PDF with WeasyPrint, fetching nothing but the project's own files. Pure: no database.

Every URL in a document resolves against BASE_URL, an origin that does not exist
(https://servicedesk.invalid/). The fetcher then allows exactly:
- data: URIs (QR codes, inline images),
- BASE_URL/static/<path>: the project's static files (fonts, images), read from disk,
- BASE_URL/media/<path>: uploads of THIS tenant only (documents/<tenant_id>/..., orders/<tenant_id>/...),
  read through the default storage.
Everything else is refused before any I/O: http(s)://anything else, file://, ftp://, internal addresses
(127.0.0.1, 10.x, [::1], metadata endpoints ...), paths with "..", other tenants' uploads. Redirects
cannot happen (nothing is fetched over the network at all).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import mimetypes
import posixpath
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage
from weasyprint import CSS, HTML
from weasyprint import html as weasyprint_html
from weasyprint.css.counters import CounterStyle
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)
# WeasyPrint logs every rendering step at INFO: keep its warnings (refused fetches, CSS errors) only.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

BASE_URL = "https://servicedesk.invalid/"
_ORIGIN = "https://servicedesk.invalid"
STATIC_EXTENSIONS = {
    ".css",
    ".ttf",
    ".otf",
    ".woff",
    ".woff2",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svg",
    ".webp",
}
MEDIA_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
MAX_MEDIA_BYTES = 5 * 1024 * 1024


class FetchRefused(ValueError):
    """A document tried to load something it may not."""


def _clean_path(path: str) -> str:
    path = unquote(path)
    if "\x00" in path or "\\" in path:
        raise FetchRefused("bad characters in path")
    parts = path.split("/")
    if any(part in {"..", "."} for part in parts):
        raise FetchRefused("relative path segments")
    normal = posixpath.normpath(path)
    if normal != path.rstrip("/") and normal != path:
        raise FetchRefused("path is not normal")
    return normal


@functools.lru_cache(maxsize=64)
def _static_bytes(path: str) -> bytes:
    """Static files are few and never change while the process runs: keep them in memory (fonts!)."""
    found = finders.find(path)
    if not found:
        candidate = settings.STATIC_ROOT / path
        if candidate.is_file() and candidate.resolve().is_relative_to(settings.STATIC_ROOT.resolve()):
            found = str(candidate)
    if not found:
        raise FetchRefused(f"no such static file: {path}")
    with open(found, "rb") as handle:
        return handle.read()


class SafeFetcher(URLFetcher):
    """WeasyPrint's URL fetcher, reduced to the allow-list above. `refused` lists what was blocked."""

    def __init__(self, tenant_id: int | None) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, timeout=1)
        self.tenant_id = tenant_id
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        try:
            return self._fetch(url, headers)
        except Exception:
            self.refused.append(url[:200])
            logger.warning("Document fetch refused: %s", url[:200])
            raise

    def _fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if url[:5].lower() == "data:":
            return super().fetch(url, headers)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != _ORIGIN or parts.query or parts.username:
            raise FetchRefused(f"outside the allow-list: {url[:100]}")
        path = _clean_path(parts.path)
        extension = posixpath.splitext(path)[1].lower()
        if path.startswith("/static/"):
            if extension not in STATIC_EXTENSIONS:
                raise FetchRefused("static file type not allowed")
            relative = path.removeprefix("/static/")
            return URLFetcherResponse(url, _static_bytes(relative), {"Content-Type": _mime(relative)})
        if path.startswith("/media/"):
            name = path.removeprefix("/media/")
            allowed = (f"documents/{self.tenant_id}/assets/", f"orders/{self.tenant_id}/")
            if self.tenant_id is None or not name.startswith(allowed) or extension not in MEDIA_EXTENSIONS:
                raise FetchRefused("not this tenant's image")
            if default_storage.size(name) > MAX_MEDIA_BYTES:
                raise FetchRefused("image too large")
            with default_storage.open(name, "rb") as handle:
                return URLFetcherResponse(url, handle.read(), {"Content-Type": _mime(name)})
        raise FetchRefused(f"outside the allow-list: {url[:100]}")


def _mime(name: str) -> str:
    if name.endswith(".ttf"):
        return "font/ttf"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    refused: list[str]


def page_css(*, footer_left: str, page_label: str, of_label: str) -> str:
    """The page box every document shares: A4, margins, the document number and "Page 1 of 2" below."""

    def css_string(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'

    return (
        "@page { size: A4; margin: 12mm 12mm 16mm 16mm;"
        f" @bottom-left {{ content: {css_string(footer_left)}; font-size: 8pt; color: #666; }}"
        f" @bottom-right {{ content: {css_string(page_label)} ' ' counter(page) ' ' {css_string(of_label)} ' ' counter(pages);"
        " font-size: 8pt; color: #666; } }"
    )


@functools.lru_cache(maxsize=1)
def _base_stylesheet_text() -> str:
    return _static_bytes("documents/documents.css").decode()


@functools.lru_cache(maxsize=1)
def _shared_stylesheet() -> tuple[CSS, FontConfiguration]:
    """The shared stylesheet parsed once per process, its three fonts registered once in one FontConfiguration
    (each document used to parse it and register the fonts again: about a tenth of an act's time)."""
    font_config = FontConfiguration()
    css = CSS(
        string=_base_stylesheet_text(),
        base_url=BASE_URL,
        url_fetcher=SafeFetcher(None),  # the fonts are static files: no tenant's uploads
        font_config=font_config,
    )
    return css, font_config


def _stylesheet_for(html: str, fetcher: SafeFetcher) -> tuple[CSS, FontConfiguration]:
    """The shared stylesheet and fonts, unless the document declares fonts of its own (a tenant's template
    with @font-face): those would stay registered in the process's configuration, so it gets its own."""
    if "@font-face" not in html.lower():
        return _shared_stylesheet()
    font_config = FontConfiguration()
    css = CSS(string=_base_stylesheet_text(), base_url=BASE_URL, url_fetcher=fetcher, font_config=font_config)
    return css, font_config


# WeasyPrint's user-agent stylesheet gives EVERY element six pseudo-elements (::marker, ::footnote-call,
# ::footnote-marker, ::note-call, ::note-marker, ::note-callback), each cascaded and computed although only
# list items draw a marker and only `float: footnote` / `position: note()` elements the other five: on the
# completion act about 1,300 of its 1,550 computed styles. The lean copy keeps ::marker for <li> and drops
# the five note rules; a document whose CSS could use them (see _needs_full_user_agent_css) gets
# WeasyPrint's own stylesheet, unchanged.
_LEAN_UA_MARKER = ("\n::marker {", "\nli::marker {")
_LEAN_UA_DROPPED = ("footnote-call", "footnote-marker", "note-call", "note-marker", "note-callback")
# Words in a document's own CSS that make it take the full stylesheet: footnotes, notes, list items made
# of other elements than <li>, and CSS escapes (which could spell any of them).
_FULL_UA_WORDS = ("footnote", "note(", "list-item", "\\", "@import")


@functools.lru_cache(maxsize=1)
def lean_user_agent_stylesheet() -> CSS | None:
    """WeasyPrint's HTML user-agent stylesheet, ::marker for <li> only and without the five note rules,
    parsed once per process; None if this WeasyPrint's stylesheet does not read as expected (documents
    then use the full one)."""
    text = weasyprint_html.UA
    old, new = _LEAN_UA_MARKER
    edits = [text.count(old)]
    text = text.replace(old, new)
    for name in _LEAN_UA_DROPPED:
        text, count = re.subn(rf"^::{name} {{[^{{}}\n]*}}\n", "", text, flags=re.MULTILINE)
        edits.append(count)
    if edits != [1] * len(edits):
        logger.warning("WeasyPrint's user-agent stylesheet changed: documents use it in full")
        return None
    # Its @counter-style rules are already in WeasyPrint's own counter styles, which every document copies.
    return CSS(string=text, counter_style=CounterStyle())


def _needs_full_user_agent_css(root, extra_css: str) -> bool:
    """True if the document's own CSS (<style> elements, style attributes, the extra stylesheet) could use
    what the lean stylesheet leaves out, or loads CSS it cannot see (<link>, @import)."""
    texts = [extra_css]
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str):  # comments, processing instructions
            continue
        name = tag.rpartition("}")[2]
        if name == "link":
            return True
        if name == "style":
            texts.append("".join(element.itertext()))
        style = element.get("style")
        if style:
            texts.append(style)
    text = " ".join(texts).lower()
    return any(word in text for word in _FULL_UA_WORDS)


class _DocumentHTML(HTML):
    """WeasyPrint's HTML with the lean user-agent stylesheet when `lean_ua` is set."""

    lean_ua = False

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        lean = lean_user_agent_stylesheet() if self.lean_ua and not forms else None
        return [lean] if lean is not None else super()._ua_stylesheets(forms)


# Renders running with the collector paused (threads: the first pauses it, the last resumes it), and whether
# the collector was on when the first of them paused it.
_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_resume = False


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while WeasyPrint renders (reference counting still frees
    everything that is not in a cycle).

    A render allocates hundreds of thousands of objects, most of them alive until it ends: the collector ran
    about 17 times per act, tracing the render's live boxes and styles again each time and promoting them to
    the older generations, and every few acts a full collection traced the whole process (170,000 objects
    of Django, the apps and WeasyPrint's caches): together about a seventh of an act's CPU. Paused, the
    render's garbage is left in the youngest generation and the first collection after it frees it in one
    pass. Memory: a render's garbage cycles wait for that collection (a few MiB, the render's own peak).
    """
    global _gc_pauses, _gc_resume
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_resume = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_resume:
                gc.enable()


def html_to_pdf(
    html: str, *, tenant_id: int | None, extra_css: str = "", title: str = "", language: str = "en"
) -> Rendered:
    """Render a document body (HTML) to PDF bytes with the shared stylesheet and the safe fetcher."""
    fetcher = SafeFetcher(tenant_id)
    base, font_config = _stylesheet_for(html + extra_css, fetcher)
    stylesheets = [base]
    if extra_css:
        stylesheets.append(
            CSS(string=extra_css, base_url=BASE_URL, url_fetcher=fetcher, font_config=font_config)
        )
    with cyclic_gc_paused():
        parsed = _DocumentHTML(
            string=_wrap(html, title=title, language=language),
            base_url=BASE_URL,
            url_fetcher=fetcher,
        )
        parsed.lean_ua = not _needs_full_user_agent_css(parsed.etree_element, extra_css)
        document = parsed.render(stylesheets=stylesheets, font_config=font_config)
        pdf = document.write_pdf()
    return Rendered(pdf=pdf, pages=len(document.pages), refused=fetcher.refused)


def _wrap(body: str, *, title: str, language: str) -> str:
    from django.utils.html import escape

    return (
        f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body>{body}</body></html>"
    )
