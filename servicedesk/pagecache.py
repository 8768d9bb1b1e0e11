"""Whole staff pages served from the cache while nothing they show can have changed (issue 12).

Why: after the rows, cards and menu were cached by their content (servicedesk/fragments.py), a staff page still
spent 5-30 ms of CPU loading its data, computing the fragments' keys and rendering the rest, for a person who
mostly looks at the same list, order or board again a few seconds later. `@cached_page` keeps the rendered page
and serves it again as long as the data it was made from is unchanged, which **data versions** tell cheaply:

- **Every write bumps a version after it commits.** Each INSERT, UPDATE or DELETE the application sends through
  Django (model saves, `QuerySet.update()`, bulk operations, raw SQL: all pass the connection's execute wrappers)
  bumps, once its transaction commits, the version of the tenant whose request made it when it wrote one of the
  tenant-owned tables, and the *global* version otherwise (users, centers, memberships; writes from tasks and
  commands, which run outside any request's tenant). A rolled back transaction bumps nothing.
- **A cached page is the versions it was made at.** It is served only while the global and its tenant's
  versions are both unchanged, and only within the time slice it was made in (`PAGE_CACHE_SECONDS`, 60 s by
  default): what a page shows that changes with the clock alone (overdue, "in 5 min", the hours left today) is at
  most that old, and a bump lost to a cache hiccup is forgotten by then.
- **Its key** is everything else the page depends on: the tenant, the user and their role, the URL with its
  query, the host and scheme, the language, the time zone, whether htmx asked for a part, and the code's digest.

A page is kept from its second view within a slice on: a URL asked once (or a flood of made-up query strings)
leaves a marker of a few bytes, not a page. A request is rendered and not cached when: the method is not GET; it runs inside a transaction (it could read
its own uncommitted writes: this is also why tests, which wrap each test in a transaction, see every page
rendered, and the tests of this module commit for real); messages are waiting for it; the response is not a
200 HTML page, streams, or sets a cookie. `{% csrf_token %}` and every other copy of this request's CSRF token
are stored as a placeholder and replaced by a fresh token on each response (a token is never shared). When the
cache does not answer, pages are rendered as if there were none, and writes bump nothing.

The rollups' generation (quality.rollups) is a narrower version of the same idea for one dashboard query.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

from servicedesk.fragments import CACHE_ALIAS, code_digest, csrf_placeholder

log = logging.getLogger(__name__)

GLOBAL = "pv:global"

# The tenant whose request (or tenant-scoped task) is running: its writes to tenant-owned tables bump its version.
current_tenant_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "page_cache_tenant", default=None
)

# Tables whose writes change nothing a page shows: the session store and django-axes' login attempts.
IGNORED_TABLES = frozenset(
    {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}
)

_NOT_WRITES = ("SELECT", "SAVEPO", "RELEAS", "ROLLBA", "BEGIN", "COMMIT", "SET ", "SHOW ", "EXPLAI", "PRAGMA")
_WRITTEN_TABLE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([\w.]+)"?', re.IGNORECASE)


def tenant_version_key(tenant_id: int) -> str:
    return f"pv:t:{tenant_id}"


@contextmanager
def tenant_scope(tenant_id: int | None) -> Iterator[None]:
    """Writes inside count as this tenant's (tenant_view wraps every tenant request in it)."""
    token = current_tenant_id.set(tenant_id)
    try:
        yield
    finally:
        current_tenant_id.reset(token)


# --- Writes bump versions ------------------------------------------------------------------------------------
@functools.cache
def _tenant_tables() -> frozenset[str]:
    """The tables of tenant-owned models (a `tenant` field) and their many-to-many tables."""
    from django.apps import apps

    tables: set[str] = set()
    for model in apps.get_models():
        names = {field.name for field in model._meta.concrete_fields}
        if "tenant" not in names:
            continue
        tables.add(model._meta.db_table)
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            if through is not None:
                tables.add(through._meta.db_table)
    return frozenset(tables)


def version_key_for(sql: str) -> str | None:
    """The version a statement bumps: None for a read or an ignored table, the tenant's for a tenant-owned table
    written inside a tenant's scope, else the global one (an unknown statement counts as a write)."""
    head = sql.lstrip()[:6].upper()
    if head.startswith(_NOT_WRITES):
        return None
    match = _WRITTEN_TABLE.match(sql)
    table = match.group(1) if match else None
    if table in IGNORED_TABLES:
        return None
    tenant_id = current_tenant_id.get()
    if table is not None and tenant_id is not None and table in _tenant_tables():
        return tenant_version_key(tenant_id)
    return GLOBAL


class _Bump:
    """An on-commit callback that bumps one version; equal to another for the same key, so a transaction
    schedules each bump once."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Bump) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __call__(self) -> None:
        bump(self.key)


def bump(key: str) -> None:
    """A new version: incremented, or (evicted, or never set) a value no earlier version can have had."""
    cache = caches[CACHE_ALIAS]
    try:
        try:
            cache.incr(key)
        except ValueError:  # missing
            cache.set(key, time.time_ns(), None)
    except Exception:
        log.warning(
            "The cache did not answer: pages may show data up to PAGE_CACHE_SECONDS old", exc_info=True
        )


def _track_writes(
    connection: BaseDatabaseWrapper,
) -> Callable[[Callable, str, Any, bool, dict], Any]:
    def wrapper(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        result = execute(sql, params, many, context)
        key = version_key_for(sql)
        if key is not None:
            if connection.in_atomic_block:
                callback = _Bump(key)
                # run_on_commit holds (savepoint ids, callback, robust); a rolled back savepoint drops its own.
                if not any(entry[1] == callback for entry in connection.run_on_commit):
                    connection.on_commit(callback, robust=True)
            else:  # autocommit: already committed
                bump(key)
        return result

    wrapper.page_cache_tracker = True  # type: ignore[attr-defined]
    return wrapper


def track_writes(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """connection_created: every connection of the default database reports its writes (once per wrapper)."""
    if connection.alias != DEFAULT_DB_ALIAS:
        return
    if not any(getattr(w, "page_cache_tracker", False) for w in connection.execute_wrappers):
        connection.execute_wrappers.append(_track_writes(connection))


# --- Pages ---------------------------------------------------------------------------------------------------
_TOKEN_LIKE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")


def _tokens_to_placeholder(html: str, request: HttpRequest) -> str:
    """Every copy of this request's CSRF token (a masked form of its secret: 64 letters and digits) replaced by
    the placeholder."""
    from django.middleware.csrf import (  # type: ignore[attr-defined]  # Django's own check of a masked token
        _unmask_cipher_token,
    )

    secret = request.META.get("CSRF_COOKIE")
    placeholder = csrf_placeholder()

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        try:
            same = secret is not None and _unmask_cipher_token(token) == secret
        except Exception:
            same = False
        return placeholder if same else token

    return _TOKEN_LIKE.sub(replace, html)


def page_key(request: HttpRequest) -> str:
    tenant_id = request.tenant.pk  # type: ignore[attr-defined]
    parts = (
        request.get_full_path(),
        request.get_host(),
        str(request.scheme),
        str(request.user.pk),
        request.membership.role,  # type: ignore[attr-defined]
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        request.headers.get("HX-Request", ""),
        request.headers.get("HX-Target", ""),
        code_digest(),
    )
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
    return f"pg:{tenant_id}:{digest}"


def _cacheable_request(request: HttpRequest) -> bool:
    if not settings.PAGE_CACHE_ENABLED or request.method != "GET":
        return False
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return False
    return not len(get_messages(request))  # counts without marking them read


def _time_slice() -> int:
    return int(time.time()) // settings.PAGE_CACHE_SECONDS


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve a tenant page (inside `tenant_view`) from the cache while its data versions and time slice hold."""
    if hasattr(view, "tenant_perm"):  # the membership must be checked on every request, before the cache
        raise ImproperlyConfigured(f"@cached_page goes below @tenant_view, not above it ({view.__name__})")

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _cacheable_request(request):
            return view(request, *args, **kwargs)
        cache = caches[CACHE_ALIAS]
        key = page_key(request)
        tenant_key = tenant_version_key(request.tenant.pk)  # type: ignore[attr-defined]
        seen_key = key + ":seen"
        try:
            found = cache.get_many([GLOBAL, tenant_key, key, seen_key])
        except Exception:
            log.warning("The cache did not answer: the page is rendered", exc_info=True)
            return view(request, *args, **kwargs)
        versions = (found.get(GLOBAL), found.get(tenant_key), _time_slice())
        entry = found.get(key)
        if entry is not None and entry[0] == versions and None not in versions:
            return _response_from(entry, request)
        response = view(request, *args, **kwargs)
        if None in versions or seen_key not in found:
            # A page is kept from its second view in a slice on: a URL asked once (or a flood of made-up query
            # strings) leaves a marker of a few bytes, not a page. A version never set is set now.
            _remember(cache, seen_key, [k for k in (GLOBAL, tenant_key) if found.get(k) is None])
        elif not len(get_messages(request)):  # a message the view added shows once, not on every hit
            _store(cache, key, versions, response, request)
        return response

    return wrapper


def _remember(cache: Any, seen_key: str, missing_versions: list[str]) -> None:
    try:
        cache.set(seen_key, 1, settings.PAGE_CACHE_SECONDS * 2)
        for version_key in missing_versions:
            cache.add(version_key, time.time_ns(), None)
    except Exception:
        log.warning("The cache did not answer", exc_info=True)


def _store(cache: Any, key: str, versions: tuple, response: HttpResponse, request: HttpRequest) -> None:
    if (
        response.status_code != 200
        or response.streaming
        or response.cookies
        or not response.get("Content-Type", "").startswith("text/html")
    ):
        return
    html = _tokens_to_placeholder(response.content.decode(response.charset), request)
    headers = [(name, value) for name, value in response.items() if name.lower() != "content-length"]
    try:
        cache.set(key, (versions, headers, html), settings.PAGE_CACHE_SECONDS * 2)
    except Exception:
        log.warning("The cache did not answer: the page is not kept", exc_info=True)


def _response_from(entry: tuple, request: HttpRequest) -> HttpResponse:
    _versions, headers, html = entry
    placeholder = csrf_placeholder()
    if placeholder in html:
        html = html.replace(placeholder, get_token(request))
    response = HttpResponse(html)
    for name, value in headers:
        response[name] = value
    return response
