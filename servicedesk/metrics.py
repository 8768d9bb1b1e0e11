"""The process's Prometheus metrics: defined here, at the bottom of the layers, so any app may count.

Only prometheus_client is imported here. The /metrics page, the request middleware and the collectors
that read the database live in the `ops` app. With PROMETHEUS_MULTIPROC_DIR set (gunicorn workers and
Celery worker processes sharing one directory, see docs/deploy.md), counts from every process are added
up when /metrics is read; without it (development, tests) each process counts for itself.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUEST_SECONDS = Histogram(
    "servicedesk_request_seconds",
    "Time to answer a request, by URL name (the view), method and status class.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASK_FAILURES = Counter("servicedesk_task_failures", "Celery tasks that raised, by task name.", ["task"])
DOCUMENTS_RENDERED = Counter("servicedesk_documents_rendered", "PDF documents rendered, by kind.", ["kind"])
LOGINS_LOCKED_OUT = Counter("servicedesk_logins_locked_out", "Log-ins refused by the lock-out (django-axes).")
