"""Benchmark: render N completion acts of L lines each (default 100 x 20) and print the median time and
the memory per document.

    .venv/bin/python bench/render_documents.py [--count 100] [--lines 20] [--language ru]

What is measured: the default completion act template rendered in the sandbox, then HTML -> PDF with
WeasyPrint, the bundled DejaVu fonts and the safe URL fetcher: exactly documents.services.render_pdf,
what issue() runs between taking the number and storing the file. The database and storage writes
around it are not (they are milliseconds). Data: sample_context() with L lines, no database needed.

Wall time depends on what else runs on the machine; CPU time per document (process_time) does not,
so compare runs by it. Memory: the process's peak RSS after the run (ru_maxrss; WeasyPrint's C libraries included), its growth
over the run (does memory come back?), and the Python-level peak of one render (tracemalloc, measured
on a separate pass because tracing slows rendering down).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from documents import services  # noqa: E402
from documents.models import DocumentSettings, Kind  # noqa: E402
from documents.variables import sample_act_context  # noqa: E402
from servicedesk.tenancy.models import Tenant  # noqa: E402


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def context_with_lines(tenant: Tenant, language: str, lines: int) -> dict:
    return sample_act_context(
        tenant,
        language=language,
        lines=lines,
        paper=DocumentSettings(tenant_id=tenant.pk),
        privacy={"version": "2026-01", "title": ""},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--language", default="ru", choices=["en", "ru"])
    parser.add_argument("--out", default="", help="write the last PDF here, to look at it")
    args = parser.parse_args()

    tenant = Tenant(
        pk=1,
        name="Bench Service",
        slug="bench",
        time_zone="Europe/Moscow",
        currency="RUB",
        legal_name="ООО «Бенч Сервис»",
        tax_id="7701234567",
        legal_address="Москва, ул. Примерная, 1",
    )
    source = services.default_template(Kind.COMPLETION_ACT, args.language)
    context = context_with_lines(tenant, args.language, args.lines)
    context["document"]["number"] = "A-2026-00001"

    rss_start = rss_mib()
    with timezone.override(tenant.time_zone):
        services.render_pdf(
            source, context, tenant_id=tenant.pk, language=args.language
        )  # warm-up (imports, fonts)
        rss_warm = rss_mib()
        times, cpu_times, sizes, pages = [], [], [], set()
        for _ in range(args.count):
            started, cpu_started = time.perf_counter(), time.process_time()
            rendered = services.render_pdf(source, context, tenant_id=tenant.pk, language=args.language)
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu_started)
            sizes.append(len(rendered.pdf))
            pages.add(rendered.pages)
        rss_end = rss_mib()

        tracemalloc.start()
        python_peaks = []
        for _ in range(min(10, args.count)):
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            services.render_pdf(source, context, tenant_id=tenant.pk, language=args.language)
            python_peaks.append((tracemalloc.get_traced_memory()[1] - base) / 1024 / 1024)
        tracemalloc.stop()
    if args.out:
        Path(args.out).write_bytes(rendered.pdf)

    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times.sort()
    print(
        f"completion acts: {args.count} x {args.lines} lines ({args.language}), {sorted(pages)} page(s), "
        f"{statistics.median(sizes) / 1024:.0f} KiB each"
    )
    print(
        f"time per document: median {statistics.median(times) * 1000:.0f} ms, "
        f"p90 {times[int(len(times) * 0.9) - 1] * 1000:.0f} ms, min {times[0] * 1000:.0f} ms, "
        f"max {times[-1] * 1000:.0f} ms; total {sum(times):.1f} s"
    )
    # CPU time does not grow when other processes share the cores: the figure to compare across runs.
    # The mean as well: a collection of the whole process (Python's cyclic GC) lands on one render in several
    # and the median does not see it.
    print(
        f"CPU time per document: median {statistics.median(cpu_times) * 1000:.0f} ms, "
        f"mean {statistics.mean(cpu_times) * 1000:.0f} ms"
    )
    print(
        f"memory: peak RSS {peak_rss:.0f} MiB (before {rss_start:.0f}, after warm-up {rss_warm:.0f}, "
        f"after {args.count} renders {rss_end:.0f}); Python peak per render {statistics.median(python_peaks):.1f} MiB"
    )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
