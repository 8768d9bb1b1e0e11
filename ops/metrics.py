"""The /metrics page for Prometheus, the request timer, and the outbox backlog read at scrape time.

/metrics is off unless METRICS_TOKEN (sent as `Authorization: Bearer <token>`) or METRICS_ALLOWED_IPS
(the scraper's address as the server sees it) is set; otherwise, and for anyone else, it is a 404.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from servicedesk.metrics import REQUEST_SECONDS


class RequestMetricsMiddleware:
    """Times every request by its URL name (not its path: paths carry ids and tokens)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or "unnamed") if match else "unresolved"
        REQUEST_SECONDS.labels(
            view=view,
            method=request.method if request.method in _METHODS else "other",
            status=f"{response.status_code // 100}xx",
        ).observe(time.perf_counter() - started)
        return response


_METHODS = {"GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}


class OutboxCollector(Collector):
    """The notification backlog of all centers: rows waiting or in flight, by channel and state, and
    the age of the oldest waiting row. Sent and failed rows are history, not backlog: they are not
    counted, so a scrape costs the same however long the outbox's history (each waiting state is small
    and the pending and sending ones have partial indexes)."""

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        backlog = GaugeMetricFamily(
            "servicedesk_outbox_backlog",
            "Notifications waiting or being sent, by channel and state.",
            labels=["channel", "state"],
        )
        oldest = GaugeMetricFamily(
            "servicedesk_outbox_oldest_pending_seconds",
            "Age of the oldest queued notification, by channel.",
            labels=["channel"],
        )
        return backlog, oldest

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Registering asks for the names; without describe() it would collect, i.e. query, at import.
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from notifications.models import Notification, State

        backlog, oldest = self._families()
        now = timezone.now()
        try:
            for state in State.values:
                if state in {State.SENT, State.FAILED}:
                    continue
                rows = (
                    Notification.objects.filter(state=state)
                    .values("channel")
                    .annotate(count=Count("id"), first=Min("created_at"))
                )
                for row in rows:
                    backlog.add_metric([row["channel"], state], row["count"])
                    if state == State.PENDING:
                        oldest.add_metric([row["channel"]], (now - row["first"]).total_seconds())
        except DatabaseError:
            return  # the database is down: /readyz says so; the process metrics still answer
        yield backlog
        yield oldest


_OUTBOX = OutboxCollector()
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    REGISTRY.register(_OUTBOX)  # once per process: this module is imported once


def _registry() -> CollectorRegistry:
    """This process's metrics, or with PROMETHEUS_MULTIPROC_DIR every process's, added up."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(_OUTBOX)
    return registry


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        if sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].encode(), token.encode()):
            return True
    return (
        bool(settings.METRICS_ALLOWED_IPS) and request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS
    )


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        raise Http404()
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


def serve_worker_metrics() -> None:
    """In a Celery worker's main process: serve every worker process's metrics on CELERY_METRICS_PORT."""
    port = settings.CELERY_METRICS_PORT
    if not port:
        return
    from prometheus_client import start_http_server

    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start_http_server(port, registry=registry)
