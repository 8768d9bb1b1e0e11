"""The page benchmark still runs: bench/pages.py seeds a tiny center on SQLite and requests every page it
measures, so a page or model change that breaks the benchmark (a new NOT NULL column its bulk insert does
not fill, a page that no longer answers 200, a renamed URL) fails here rather than on the day someone
measures. A subprocess with a clean environment: the benchmark sets up Django its own way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.once  # the bench scripts make their own scratch databases: .ci/run runs these once

ROOT = Path(__file__).resolve().parent.parent


def run_bench(script: str, *args: str, database: Path, timeout: int) -> subprocess.CompletedProcess:
    """bench/<script> on a scratch SQLite file, in a clean environment; fails with the script's output."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    result = subprocess.run(
        [sys.executable, f"bench/{script}", *args, "--database-url", f"sqlite:///{database}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result


PAGES = {
    "order_list",
    "order_list_filtered",
    "order_list_deep",
    "order_search_phone",
    "order_detail",
    "public_status",
    "dashboard",
    "planning_board",
    "my_jobs",
    "client_detail",
    "stock_list",
    "feedback_list",
    "document_archive",
}


def test_pages_benchmark_seeds_and_measures_every_page(tmp_path):
    report = tmp_path / "pages.json"
    result = run_bench(
        "pages.py",
        *("--orders", "200", "--tenants", "2", "--requests", "2", "--warmup", "1", "--json", str(report)),
        database=tmp_path / "bench.sqlite3",
        timeout=120,
    )
    figures = json.loads(report.read_text())
    assert figures["orders"] == 200
    assert figures["bare_cpu_ms"] > 0
    assert set(figures["pages"]) == PAGES
    for name, page in figures["pages"].items():
        assert page["queries"] >= 1, name
        assert page["cpu_ms"] > 0 and page["wall_ms"] > 0, name
        assert abs(page["ratio"] - figures["bare_cpu_ms"] / page["cpu_ms"]) < 1e-3, name
    assert "bare view: median CPU" in result.stdout
    assert not (tmp_path / "bench.sqlite3").exists()  # the scratch file is removed afterwards


def test_dashboard_benchmark_seeds_a_history_and_measures_the_dashboard(tmp_path):
    """bench/quality.py at a tiny size: its bulk seed still fills every NOT NULL column, its rollups equal a
    recomputation (the script checks and fails otherwise, also after --rebuild), the dashboard answers."""
    report = tmp_path / "quality.json"
    result = run_bench(
        "quality.py",
        *("--orders", "600", "--years", "0.5", "--requests", "2", "--warmup", "1", "--rebuild"),
        *("--json", str(report)),
        database=tmp_path / "bench.sqlite3",
        timeout=180,
    )
    figures = json.loads(report.read_text())
    assert figures["orders"] == 600 and figures["vendor"] == "sqlite"
    assert set(figures["pages"]) == {
        "dashboard",
        "dashboard_filtered",
        "dashboard_year",
        "dashboard_cold",
        "export_technicians",
    }
    queries = {name: page["queries"] for name, page in figures["pages"].items()}
    assert (
        queries["dashboard"]
        == queries["dashboard_filtered"]
        == queries["dashboard_year"]
        == queries["dashboard_cold"]
    )
    assert "equal to the seeded ones" in result.stdout
    assert not (tmp_path / "bench.sqlite3").exists()


def test_import_benchmark_imports_and_reimports_a_small_file(tmp_path):
    """bench/imports.py at 1,200 rows (three chunks, the last one short): every row imported, the same
    file again changes nothing (the script asserts both), the last line gives the rows per second."""
    result = run_bench("imports.py", "--rows", "1200", database=tmp_path / "bench.sqlite3", timeout=180)
    assert "'created_clients': 1200" in result.stdout and "'unchanged_clients': 1200" in result.stdout
    assert "1,200 client rows imported at " in result.stdout and "rows/s" in result.stdout
    assert not (tmp_path / "bench.sqlite3").exists()


def test_growth_is_measured_with_the_page_cache_off():
    """--growth implies --cold: the requests run with PAGE_CACHE_ENABLED = False (the full-page cache for staff
    pages, read only where it exists), so growth is the views' and their queries', not a cache's."""
    from bench.pages import bench_settings, parse_args

    growth = parse_args(["--growth"])
    assert growth.cold
    assert bench_settings(growth)["PAGE_CACHE_ENABLED"] is False
    assert bench_settings(parse_args(["--cold"]))["PAGE_CACHE_ENABLED"] is False
    warm = bench_settings(parse_args([]))
    assert "PAGE_CACHE_ENABLED" not in warm and warm["ROOT_URLCONF"] == "bench.bare_urls"


def test_reuse_and_pages_go_with_growth():
    from bench.pages import parse_args

    assert parse_args(["--growth", "--reuse", "--pages", "dashboard"]).reuse
    for alone in (["--reuse"], ["--pages", "dashboard"]):
        with pytest.raises(SystemExit):
            parse_args(alone)
