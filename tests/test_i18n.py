"""The Russian and Indonesian translations: complete, compiled, and used.

The .mo files are committed (the Docker image and bin/dev do not compile messages), so a test makes sure
each matches its .po. The .po is read by a small parser here (no polib). Two checks need the gettext tools
(xgettext, msgfmt): that every message makemessages would extract today is in each catalogue, translated
and not fuzzy, and msgfmt's own --check --statistics. They skip without the tools on a developer's machine
and fail without them in CI (CI=true; .ci/run installs gettext). A heuristic check finds template text not
marked for translation. See docs/translations.md for the workflow.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gettext
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
RU_PLURALS = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
)
# Every translated language: its plural forms (the header's Plural-Forms) and how many msgstr[n] a plural has.
CATALOGUES = {"ru": (RU_PLURALS, 3), "id": ("nplurals=1; plural=0;", 1)}


def po_path(language: str) -> Path:
    return ROOT / "locale" / language / "LC_MESSAGES" / "django.po"


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # index 0 for singular entries
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(text: str) -> str:
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """Active (non-obsolete) entries of a .po file, header included (msgid ""). Entries are separated by
    blank lines, as msgmerge/makemessages always write them."""
    entries: list[Entry] = []
    first_line = 1
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, target = Entry(line=first_line), None
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                entry.flags |= {f.strip() for f in line[2:].split(",")}
            elif line.startswith("#"):
                continue  # comments, references, obsolete entries (#~)
            elif line.startswith('"'):
                name, index = target
                if name == "msgstr":
                    entry.msgstr[index] += _unquote(line)
                else:
                    setattr(entry, name, getattr(entry, name) + _unquote(line))
            else:
                keyword, _, rest = line.partition(" ")
                m = re.fullmatch(r"msgstr(?:\[(\d+)\])?", keyword)
                if m:
                    target = ("msgstr", int(m.group(1) or 0))
                    entry.msgstr[target[1]] = _unquote(rest)
                elif keyword in ("msgctxt", "msgid", "msgid_plural"):
                    target = (keyword, None)
                    setattr(entry, keyword, _unquote(rest))
                else:
                    raise AssertionError(f"{path}: cannot parse {line!r}")
        if target is not None:
            entries.append(entry)
        first_line += block.count("\n") + 2
    return entries


@pytest.fixture(scope="module", params=sorted(CATALOGUES))
def language(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def entries(language) -> list[Entry]:
    return parse_po(po_path(language))


def _messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.msgid != ""]


@pytest.mark.once
def test_every_language_has_a_catalogue():
    assert set(CATALOGUES) == {code for code, _ in settings.LANGUAGES} - {"en"}


@pytest.mark.once
def test_po_header_has_the_plural_forms(entries, language):
    header = next(e for e in entries if e.msgid == "" and e.msgctxt is None).msgstr[0]
    assert f"Language: {language}\n" in header
    assert f"Plural-Forms: {CATALOGUES[language][0]}\n" in header
    assert "charset=UTF-8" in header


@pytest.mark.once
def test_every_message_is_translated_and_checked(entries):
    messages = _messages(entries)
    assert len(messages) > 500  # the parser really read the file
    untranslated = [
        f"line {e.line}: {e.msgid!r}" for e in messages if not all(v.strip() for v in e.msgstr.values())
    ]
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in entries if "fuzzy" in e.flags]
    assert not untranslated, "Untranslated (run makemessages, then translate):\n" + "\n".join(untranslated)
    assert not fuzzy, "Fuzzy (check the translation, then drop the flag):\n" + "\n".join(fuzzy)


@pytest.mark.once
def test_plural_entries_have_every_form(entries, language):
    forms = list(range(CATALOGUES[language][1]))
    bad = [e.msgid for e in _messages(entries) if e.msgid_plural is not None and sorted(e.msgstr) != forms]
    assert not bad


_PLACEHOLDER = re.compile(r"%\(\w+\)[-+ #0-9.]*[sdfr]|%%")


@pytest.mark.once
def test_placeholders_are_kept(entries):
    bad = []
    for e in _messages(entries):
        if "python-format" not in e.flags:
            continue
        wanted = sorted(_PLACEHOLDER.findall(e.msgid_plural or e.msgid))
        for s in e.msgstr.values():
            if sorted(_PLACEHOLDER.findall(s)) != wanted and not (
                e.msgid_plural and set(_PLACEHOLDER.findall(s)) == set(wanted)
            ):
                bad.append(f"line {e.line}: {e.msgid!r} -> {s!r}")
    assert not bad, "\n".join(bad)


@pytest.mark.once
def test_mo_is_compiled_from_the_current_po(entries, language):
    """The committed .mo holds exactly the .po's translations (msgfmt / compilemessages after every edit)."""
    po = po_path(language)
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `manage.py compilemessages` (or msgfmt) and commit it"
    with mo.open("rb") as f:
        compiled = gettext.GNUTranslations(f)._catalog  # noqa: SLF001 - the parsed catalogue is what Django uses
    expected: dict = {}
    for e in _messages(entries):
        if "fuzzy" in e.flags or not all(e.msgstr.values()):
            continue  # msgfmt leaves these out
        if e.msgid_plural is None:
            expected[e.key] = e.msgstr[0]
        else:
            for i, s in e.msgstr.items():
                expected[(e.key, i)] = s
    compiled = {k: v for k, v in compiled.items() if k != ""}
    stale = sorted(str(k) for k in expected.keys() ^ compiled.keys())[:20]
    assert not stale, f"{mo.name} is out of date with {po.name} (recompile): differing ids {stale}"
    changed = sorted(str(k) for k in expected if expected[k] != compiled[k])[:20]
    assert not changed, f"{mo.name} is out of date with {po.name} (recompile): changed {changed}"


@pytest.fixture
def english_afterwards():
    """LocaleMiddleware activates the request's language in this thread: put the default back afterwards."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


def test_login_page_speaks_russian(client, db, english_afterwards):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ru")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ru">' in html
    assert "Вход в ServiceDesk" in html
    assert "Забыли пароль?" in html
    assert "Forgot your password?" not in html


def test_language_switch_sticks_for_the_session(client, db, english_afterwards):
    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/accounts/login/"})
    assert response.status_code == 302
    html = client.get("/accounts/login/").content.decode()
    assert "Вход в ServiceDesk" in html


def test_dashboard_in_russian(member_client, tenant_a, english_afterwards):
    from servicedesk.tenancy.roles import Role

    html = member_client(Role.MANAGER).get(f"/{tenant_a.slug}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    for word in ("Сводка", "Заказы", "Новый заказ", "Клиенты"):
        assert word in html
    for word in (">Dashboard<", " Orders<", "New order<"):
        assert word not in html


def test_login_page_speaks_indonesian(client, db, english_afterwards):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="id")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="id">' in html
    assert "Masuk ke ServiceDesk" in html
    assert "Lupa kata sandi?" in html
    assert "Forgot your password?" not in html


def test_every_switch_offers_bahasa_indonesia(client, db, english_afterwards):
    """The navbar lists each language in its own name; a POST to set_language sticks like ru's."""
    html = client.get("/accounts/login/").content.decode()
    assert 'value="id"' in html and "Bahasa Indonesia" in html and "Русский" in html
    response = client.post("/i18n/setlang/", {"language": "id", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert "Masuk ke ServiceDesk" in client.get("/accounts/login/").content.decode()


def test_dashboard_in_indonesian(member_client, tenant_a, english_afterwards):
    from servicedesk.tenancy.roles import Role

    html = member_client(Role.MANAGER).get(f"/{tenant_a.slug}/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    for word in ("Dasbor", "Order baru", "Pelanggan"):
        assert word in html
    for word in (">Dashboard<", "New order<", ">Clients<"):
        assert word not in html


# --- Against what makemessages extracts today (needs the gettext tools) ----------------------------------

# The directories makemessages skips (the same --ignore as docs/translations.md).
_NOT_EXTRACTED = {"node_modules", "staticfiles", "bench", "locale", "media"}


def _gettext_tools() -> None:
    missing = [tool for tool in ("xgettext", "msgmerge", "msgfmt") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the gettext tools ({', '.join(missing)}): apt-get install gettext")
        pytest.skip(f"gettext tools missing: {', '.join(missing)}")


@functools.cache
def _extracted_keys() -> frozenset[str]:
    """The msgids (with their contexts) makemessages extracts from the current tree.

    Run in a scratch directory that links the project's top-level directories, with LOCALE_PATHS pointing
    to the scratch `locale/`: the real catalogues are never touched."""
    from django.core.management import call_command
    from django.test import override_settings

    with tempfile.TemporaryDirectory() as tmp:
        mirror = Path(tmp)
        for path in ROOT.iterdir():
            if path.name.startswith(".") or path.name in _NOT_EXTRACTED:
                continue
            (mirror / path.name).symlink_to(path)
        (mirror / "locale").mkdir()
        with override_settings(LOCALE_PATHS=[mirror / "locale"]), contextlib.chdir(mirror):
            call_command("makemessages", locale=["xx"], symlinks=True, no_wrap=True, verbosity=0)
        extracted = parse_po(mirror / "locale" / "xx" / "LC_MESSAGES" / "django.po")
    return frozenset(e.key for e in _messages(extracted))


def _pending_keys() -> set[str]:
    """Messages with a translation waiting in locale-pending/ (the lead merges those into ru)."""
    return {e.key for f in sorted((ROOT / "locale-pending").glob("*.po")) for e in _messages(parse_po(f))}


@pytest.mark.once
def test_every_extracted_message_is_translated():
    """What the code and templates ask for today, not only what the catalogue happens to hold: a string
    added without running makemessages fails here, in each language. One test for all languages: makemessages
    writes scratch files beside the templates, so two runs at once (xdist workers) would trip over each other."""
    _gettext_tools()
    extracted = _extracted_keys()
    assert len(extracted) > 500  # makemessages really ran
    problems = []
    for language in sorted(CATALOGUES):
        done = {
            e.key
            for e in _messages(parse_po(po_path(language)))
            if "fuzzy" not in e.flags and all(v.strip() for v in e.msgstr.values())
        }
        missing = sorted(extracted - done)
        pending = _pending_keys() if language == "ru" else set()
        report = [
            f"{k!r}" + ("  (waiting in locale-pending/: merge it)" if k in pending else "") for k in missing
        ]
        if missing:
            problems.append(
                f"{len(missing)} message(s) not translated in {language} "
                f"(run makemessages -l {language}, translate, compile):\n" + "\n".join(report[:50])
            )
    assert not problems, "\n\n".join(problems)


@pytest.mark.once
def test_msgfmt_check_and_statistics(language):
    """msgfmt's own checks (format strings, header, plural forms) and its count: translated only."""
    _gettext_tools()
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(po_path(language))],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LC_ALL": "C"},
    )
    assert result.returncode == 0, result.stderr
    stats = result.stderr.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ translated messages?\.", stats), stats


# --- Template text not marked for translation (a heuristic) -----------------------------------------------

# Per-language on purpose: the document defaults (one file per language) and the 500 page (renders with no
# context at all, so it carries every language's text itself).
_TEMPLATES_NOT_TRANSLATED = ("templates/documents/defaults/", "templates/500.html")
# Names and codes that are the same in every language.
_UNTRANSLATED_WORDS = re.compile(
    r"\b(?:ServiceDesk|API|CSV|QR|SMS|SLA|NPS|PDF|IMEI|SKU|JSON|REST)\b|Authorization: Bearer"
)
_TEMPLATE_SKIP = [
    re.compile(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S),
    re.compile(r"\{#.*?#\}", re.S),
    re.compile(r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S),
    re.compile(r"<script\b.*?</script>", re.S | re.I),
    re.compile(r"<style\b.*?</style>", re.S | re.I),
    re.compile(r"\{%.*?%\}", re.S),
    re.compile(r"\{\{.*?\}\}", re.S),
]
_TEXT_ATTRIBUTES = re.compile(
    r'\b(?:title|placeholder|alt|aria-label|data-bs-title|label)\s*=\s*"([^"]*)"', re.I
)
_TAG = re.compile(r"<[^>]*>", re.S)


def untranslated_template_text(source: str) -> list[str]:
    """Text a template prints as is: what is left once translation tags, other tags, variables, comments,
    scripts, styles and HTML tags are gone, plus the attributes people read (title, placeholder ...).

    Flagged: any Cyrillic; a capitalised Latin word; or three lower-case words in a row (one or two are
    usually CSS classes or ids left from a block, e.g. "container public-page")."""
    for pattern in _TEMPLATE_SKIP:
        source = pattern.sub(" ", source)
    chunks = [m.group(1) for m in _TEXT_ATTRIBUTES.finditer(source)] + _TAG.sub("\n", source).split("\n")
    found = []
    for chunk in (c.strip() for c in chunks):
        text = _UNTRANSLATED_WORDS.sub(" ", chunk)
        if (
            re.search(r"[А-Яа-яЁё]", text)
            or re.search(r"\b[A-Z][a-z]+", text)
            or re.search(r"\b[a-z]{2,}\s+[a-z]{2,}\s+[a-z]{2,}", text)
        ):
            found.append(chunk)
    return found


@pytest.mark.once
@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("<p>Hello there</p>", ["Hello there"]),
        ('<input placeholder="Name or phone">', ["Name or phone"]),
        ("<td>Готово</td>", ["Готово"]),
        ("<p>no items yet</p>", ["no items yet"]),
        (
            '<p>{% translate "Hello" %} {{ name }}</p><b>{% blocktranslate %}Hi {{ n }}{% endblocktranslate %}</b>',
            [],
        ),
        ("{# Default receipt #}{% block main_class %}container public-page{% endblock %}<b>QR</b> · CSV", []),
        ("<script>const x = 'Hello World';</script><i class=\"bi bi-x\"></i> ServiceDesk", []),
    ],
)
def test_the_template_text_heuristic(source, found):
    assert untranslated_template_text(source) == found


@pytest.mark.once
def test_templates_hold_no_text_unmarked_for_translation():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*")):
        rel = path.relative_to(ROOT).as_posix()
        if path.suffix not in {".html", ".txt"} or rel.startswith(_TEMPLATES_NOT_TRANSLATED):
            continue
        offenders += [
            f"{rel}: {text!r}" for text in untranslated_template_text(path.read_text(encoding="utf-8"))
        ]
    assert not offenders, "Wrap these in {% translate %} / {% blocktranslate %}:\n" + "\n".join(offenders)


# Translations resolved at import time are frozen in the language of whoever imported the module first:
# module-level and class-level constants must use gettext_lazy. Files listed here are known offenders
# reported to their owners; the list may only shrink.
KNOWN_EAGER: set[str] = set()


def _eager_gettext_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {
        a.asname or a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module == "django.utils.translation"
        for a in n.names
        if a.name in {"gettext", "ngettext", "pgettext", "npgettext"}
    }
    found: list[int] = []

    def visit(node, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if (
                not in_function
                and isinstance(child, ast.Call)
                and isinstance(child.func, ast.Name)
                and child.func.id in names
            ):
                found.append(child.lineno)
            visit(
                child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            )

    if names:
        visit(tree, False)
    return found


@pytest.mark.once
def test_no_new_translations_frozen_at_import_time():
    offenders = {}
    top = [
        p
        for p in ROOT.iterdir()
        if p.is_dir()
        and not p.name.startswith(".")
        and p.name not in {"tests", "node_modules", "staticfiles", "static", "media", "bench"}
    ]
    for path in (f for d in top for f in d.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/migrations/" in rel:
            continue
        if path.name.endswith((".html.py", ".txt.py")):
            continue  # makemessages' temporary copy of a template (another test may be extracting right now)
        lines = _eager_gettext_calls(path)
        if lines:
            offenders[rel] = lines
    new = {k: v for k, v in offenders.items() if k not in KNOWN_EAGER}
    assert not new, f"gettext() at import time (use gettext_lazy): {new}"
