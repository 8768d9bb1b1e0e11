"""The Russian translation: complete, compiled, and used.

The .mo file is committed (the Docker image and bin/dev do not compile messages), so a test makes sure
it matches the .po. The .po is read by a small parser here: no gettext tools or polib needed in CI.
See docs/translations.md for the workflow.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "ru" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
RU_PLURALS = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
)


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


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return parse_po(PO)


def _messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.msgid != ""]


@pytest.mark.once
def test_po_header_has_russian_plural_forms(entries):
    header = next(e for e in entries if e.msgid == "" and e.msgctxt is None).msgstr[0]
    assert "Language: ru\n" in header
    assert f"Plural-Forms: {RU_PLURALS}\n" in header
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
def test_plural_entries_have_three_forms(entries):
    bad = [
        e.msgid for e in _messages(entries) if e.msgid_plural is not None and sorted(e.msgstr) != [0, 1, 2]
    ]
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
def test_mo_is_compiled_from_the_current_po(entries):
    """The committed .mo holds exactly the .po's translations (msgfmt / compilemessages after every edit)."""
    assert MO.exists(), f"{MO} is missing: run `manage.py compilemessages` (or msgfmt) and commit it"
    with MO.open("rb") as f:
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
    assert not stale, f"{MO.name} is out of date with {PO.name} (recompile): differing ids {stale}"
    changed = sorted(str(k) for k in expected if expected[k] != compiled[k])[:20]
    assert not changed, f"{MO.name} is out of date with {PO.name} (recompile): changed {changed}"


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
        lines = _eager_gettext_calls(path)
        if lines:
            offenders[rel] = lines
    new = {k: v for k, v in offenders.items() if k not in KNOWN_EAGER}
    assert not new, f"gettext() at import time (use gettext_lazy): {new}"
