"""axe-core in the browser tests: WCAG 2.1 A and AA, checked on the pages the tests open (docs/accessibility.md).

axe-core comes with axe-playwright-python (a dev dependency): its bundled `axe.min.js` is put into the page by
Playwright (DevTools protocol, which the page's Content Security Policy does not govern), never from a CDN.

    assert_accessible(page, "where")   runs axe now on the page as it is (an open menu, a loaded fragment) and
                                       fails naming each rule, its impact and the elements (CSS selector and HTML)
    watch_accessibility(context)       every document the context loads, and every htmx swap in it, is checked
                                       by itself in the page; `recorded_violations(page)` returns what was found
                                       (page_for does this for every browser test: see conftest)
"""

from __future__ import annotations

import json
from pathlib import Path

# The standard we keep: WCAG 2.1 levels A and AA (axe's tags; "wcag2*" are the 2.0 rules 2.1 includes).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
_VIOLATIONS_ATTR = "_servicedesk_axe_violations"


def _axe_script() -> str:
    from axe_playwright_python import base

    return Path(base.AXE_FILE_PATH).read_text(encoding="utf-8")


# In the page: run axe after each load and after each htmx swap (debounced), one run at a time (axe refuses
# a second concurrent run), and report each run's violations to the test through an exposed binding.
_WATCHER = """
(() => {
  if (window.top !== window) { return; }
  if (document.contentType !== "text/html") { return; }  // a PDF in the browser's own viewer is not our page
  const options = %(options)s;
  let queue = Promise.resolve();
  let timer = null;
  const check = (why) => {
    queue = queue.then(() => window.axe.run(document, options)).then((results) => {
      if (results.violations.length) { return window.__sdAxeReport(location.href, why, results.violations); }
    }).catch(() => {});
    return queue;
  };
  window.__sdAxeIdle = () => { if (timer) { clearTimeout(timer); timer = null; return check("htmx"); } return queue; };
  window.addEventListener("load", () => check("load"));
  document.addEventListener("htmx:afterSettle", () => {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(() => { timer = null; check("htmx"); }, 150);
  });
})();
"""


def format_violations(violations: list[dict], where: str) -> str:
    lines = [f"axe-core (WCAG 2.1 A/AA) found {len(violations)} rule(s) broken on {where}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact')}): {violation['help']} <{violation['helpUrl']}>"
        )
        for node in violation["nodes"][:8]:
            target = " ".join(str(part) for part in node["target"])
            html = " ".join(node.get("html", "").split())[:220]
            lines.append(f"    {target}\n      {html}")
            summary = " ".join((node.get("failureSummary") or "").split())
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    ... and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


def axe_violations(page) -> list[dict]:
    """axe's WCAG 2.1 A/AA violations on the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_script())
    page.evaluate("() => window.__sdAxeIdle ? window.__sdAxeIdle() : null")  # never two runs at once
    results = page.evaluate("(options) => window.axe.run(document, options)", AXE_OPTIONS)
    return results["violations"]


def assert_accessible(page, where: str = "") -> None:
    violations = axe_violations(page)
    assert not violations, format_violations(violations, f"{where or 'the page'} ({page.url}, {_size(page)})")


def _size(page) -> str:
    viewport = page.viewport_size or {}
    return f"{viewport.get('width')} px, {page.evaluate('document.documentElement.lang')}"


def watch_accessibility(context) -> None:
    """Check every document the context's pages load (and every htmx swap) with axe, in the page."""

    def report(source, url: str, why: str, violations: list[dict]) -> None:
        page = source["page"]
        found = getattr(page, _VIOLATIONS_ATTR, None)
        if found is None:
            found = []
            setattr(page, _VIOLATIONS_ATTR, found)
        width = (page.viewport_size or {}).get("width")
        found.append(format_violations(violations, f"{url} ({width} px, after {why})"))

    context.expose_binding("__sdAxeReport", report)
    context.add_init_script(script=_axe_script() + "\n" + _WATCHER % {"options": json.dumps(AXE_OPTIONS)})


def recorded_violations(page) -> list[str]:
    """What the watcher found on this page so far; waits for a run in progress."""
    if not page.is_closed():
        try:
            page.evaluate("() => window.__sdAxeIdle ? window.__sdAxeIdle() : null")
        except Exception:  # a page in the middle of a navigation: what it had reported still counts
            pass
    return list(getattr(page, _VIOLATIONS_ATTR, []))
