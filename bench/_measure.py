"""Measuring shared by the benchmarks (bench/orders.py, bench/pages.py): a page requested in-process through
Django's test client (URL routing, middleware, the view, its queries, the template; no network), after
warm-ups, timed by wall clock and by the process's CPU time (which includes SQLite's work but not
PostgreSQL's, and is comparable across runs on a busy machine)."""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass


@dataclass
class Timing:
    wall_ms: float  # median
    p90_ms: float
    cpu_ms: float  # median
    queries: int  # of one request


def measure(client, url: str, requests: int, warmup: int = 3) -> Timing:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        cpu.append((time.process_time() - started_cpu) * 1000)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    times.sort()
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    return Timing(statistics.median(times), p90, statistics.median(cpu), len(captured))


def list_query_of(client, url: str) -> str:
    """The SQL of the list's page query (the one with LIMIT page size + 1) as the view runs it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    for query in captured.captured_queries:
        if 'FROM "orders_order"' in query["sql"] and "LIMIT 51" in query["sql"]:
            return query["sql"]
    raise LookupError(f"no page query found for {url}")


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join("  " + " ".join(str(part) for part in row[-1:]) for row in cursor.fetchall())


def next_cursor_url(client, url: str) -> str:
    response = client.get(url)
    found = re.search(r'href="\?([^"]+)" data-testid="next-page"', response.content.decode())
    if not found:
        raise LookupError(f"no next page on {url}")
    return url.split("?")[0] + "?" + found.group(1).replace("&amp;", "&")
