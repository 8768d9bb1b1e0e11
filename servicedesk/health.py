"""Liveness and readiness for load balancers and docker-compose.

/healthz: the process answers (no database, no Redis): restart it only when this fails.
/readyz: each dependency it needs to serve pages (database, Redis when configured, migrations applied),
as JSON, 200 when all are ok, 503 otherwise: take it out of rotation until it recovers.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# Once every migration is applied it stays so for this process's life (a new release starts new
# processes), so the migration graph is read once, not on every probe.
_migrations_applied = False


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def _check_database() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return f"error: {type(error).__name__}"
    return "ok"


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
    except (redis.RedisError, OSError, ValueError) as error:
        return f"error: {type(error).__name__}"
    return "ok"


def _check_migrations() -> str:
    global _migrations_applied
    if _migrations_applied:
        return "ok"
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        return f"error: {type(error).__name__}"
    if pending:
        return f"error: {len(pending)} not applied"
    _migrations_applied = True
    return "ok"


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "redis": _check_redis()}
    checks["migrations"] = _check_migrations() if checks["database"] == "ok" else "unknown"
    ready = all(value in {"ok", "not configured"} for value in checks.values())
    if not ready:
        logger.warning("readyz: not ready: %s", checks)
    return JsonResponse({"ready": ready, "checks": checks}, status=200 if ready else 503)
