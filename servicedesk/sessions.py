"""Sessions read from the cache, kept in the database: a staff page reads its session with no query, and
pages keep working when the cache (Redis) does not answer.

SESSION_ENGINE = "servicedesk.sessions" (the default with REDIS_URL set; docs/deploy.md). Django's
`cached_db` store does the same reads and writes, but in Django 5.2 it lets the cache's errors through
when it writes a session read from the database into the cache, in `exists` and in `delete`: with Redis
down every staff page failed. Here every cache call is guarded: an error is logged once (at warning, until
the cache answers again), and the store goes on with the database alone, which always has the session.

What the cache may still hold when it fails, and why none of it lets anybody in:

- **A removed session** (logout, or a login into another account: Django's `flush`). Its row leaves the
  database; if the cache does not answer the delete, its copy may come back with the cache (Redis keeps
  its data through a restart: AOF). Then the person's sessions are ended: `User.end_all_sessions()` bumps
  `session_generation`, which is part of the session hash Django checks against the user's row on every
  request (the row is read on every request anyway: no query more). Every login of that person then fails
  the check, that copy included, and they log in again on their other devices. Only when the copy could
  still log somebody in (its hash is the user's current one); only when the cache failed (one query for
  the user and one update then). Ending the logout with an error instead would keep the session alive for
  sure; a short life for cached copies would leave it alive for that time.
- **A session under its old key** (`cycle_key`: a log-in from an anonymous session, a password change).
  The data moves to a new key; the old key's copy holds either no login or the hash of the old password,
  which the check refuses: it is not revoked.
- **An older copy of a changed session** (a write the cache did not take): the messages or choices a
  session carries, never a login (logging in and out give the session a new key or remove it; a password
  change gives it a new key and hash).

The same race as Django's `cached_db` remains: a request that read the database just before a logout
removed the row can write its copy into the cache just after the logout removed it from there.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.core.cache.backends.base import BaseCache
from django.utils.crypto import constant_time_compare

log = logging.getLogger(__name__)

KEY_PREFIX = "servicedesk.sessions."

_failing = False  # this process saw the cache fail and has not seen it answer since: logged once


def _failed(action: str, error: Exception) -> None:
    global _failing
    if not _failing:
        _failing = True
        log.warning(
            "The session cache did not answer (%s: %s: %s): sessions are read from and written to the "
            "database alone until it does",
            action,
            type(error).__name__,
            error,
        )


def _answered() -> None:
    global _failing
    if _failing:
        _failing = False
        log.info("The session cache answers again")


class SessionStore(cached_db.SessionStore):
    cache_key_prefix = KEY_PREFIX
    _cache: BaseCache  # cached_db's: caches[settings.SESSION_CACHE_ALIAS]

    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._cycling = False  # cycle_key is moving the data to a new key (see the module's docstring)
        self._flushed: dict[str, Any] | None = None  # what a flush cleared, for its delete

    # --- the cache, guarded ------------------------------------------------------------------------------

    def _cache_get(self, key: str) -> dict | None:
        """The session's data, or None: not in the cache, or the cache did not answer."""
        try:
            found = self._cache.get(key)
        except Exception as error:
            _failed("get", error)
            return None
        _answered()
        return found

    def _cache_set(self, key: str, data: dict, age: int) -> None:
        try:
            self._cache.set(key, data, age)
        except Exception as error:
            _failed("set", error)
        else:
            _answered()

    def _cache_has(self, key: str) -> bool:
        try:
            found = key in self._cache
        except Exception as error:
            _failed("has_key", error)
            return False
        _answered()
        return found

    def _cache_delete(self, key: str) -> bool:
        """Whether the cache took the delete (a key it did not have counts)."""
        try:
            self._cache.delete(key)
        except Exception as error:
            _failed("delete", error)
            return False
        _answered()
        return True

    # --- the store ---------------------------------------------------------------------------------------

    def load(self) -> dict:
        data = self._cache_get(self.cache_key)
        if data is not None:
            return data
        session = self._get_session_from_db()  # type: ignore[attr-defined]  # Django's, not in the stubs
        if session is None:
            return {}
        data = self.decode(session.session_data)
        self._cache_set(self.cache_key, data, self.get_expiry_age(expiry=session.expire_date))
        return data

    def exists(self, session_key: str | None) -> bool:
        if not session_key:
            return False
        return self._cache_has(self.cache_key_prefix + session_key) or DBStore.exists(self, session_key)

    def save(self, must_create: bool = False) -> None:
        DBStore.save(self, must_create)
        self._cache_set(self.cache_key, self._session, self.get_expiry_age())  # type: ignore[attr-defined]

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        if not self._cache_delete(self.cache_key_prefix + session_key) and not self._cycling:
            self._end_sessions_of(session_key)
        DBStore.delete(self, session_key)

    def flush(self) -> None:
        # Django's flush clears the data before it deletes: keep what it held, for delete's revocation.
        self._flushed = dict(self._session_cache) if hasattr(self, "_session_cache") else None
        try:
            super().flush()
        finally:
            self._flushed = None

    def cycle_key(self) -> None:
        self._cycling = True
        try:
            super().cycle_key()
        finally:
            self._cycling = False

    def _end_sessions_of(self, session_key: str) -> None:
        """The cache may keep a copy of this session after its removal: if the copy could log somebody
        in, end every session of that person (module docstring)."""
        data = self._flushed if session_key == self.session_key else None
        if data is None:
            row = self.model.objects.filter(session_key=session_key).first()
            data = self.decode(row.session_data) if row is not None else {}
        user_id, session_hash = data.get(SESSION_KEY), data.get(HASH_SESSION_KEY)
        if user_id is None or not session_hash:
            return  # no login in it
        model = get_user_model()
        try:
            user = model._default_manager.get(pk=model._meta.pk.to_python(user_id))
        except (model.DoesNotExist, ValueError, TypeError):
            return
        hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
        if not any(constant_time_compare(session_hash, valid) for valid in hashes):
            return  # its hash no longer logs anybody in (a changed password, sessions already ended)
        end_all_sessions = getattr(user, "end_all_sessions", None)
        if end_all_sessions is None:
            log.error("A removed session may come back from the cache: %s cannot end its sessions", model)
            return
        end_all_sessions()
        log.warning("The cache did not take a session's removal: every session of user %s was ended", user.pk)

    # --- async: the same, in a thread (the project serves WSGI; Django's session code may call these) ---

    async def aload(self) -> dict:
        return await sync_to_async(self.load)()

    async def aexists(self, session_key: str | None) -> bool:
        return await sync_to_async(self.exists)(session_key)

    async def asave(self, must_create: bool = False) -> None:
        await sync_to_async(self.save)(must_create)

    async def adelete(self, session_key: str | None = None) -> None:
        await sync_to_async(self.delete)(session_key)

    async def aflush(self) -> None:
        await sync_to_async(self.flush)()

    async def acycle_key(self) -> None:
        await sync_to_async(self.cycle_key)()
