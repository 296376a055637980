"""Every message the installed WTForms (and Flask-WTF's file validators) can
give is marked in Coop's code, so that `make messages` keeps it, and has a
Russian, Kyrgyz and Tajik translation with the same placeholders: WTForms
ships no Kyrgyz nor Tajik, and a WTForms upgrade that adds a message fails
here until it is translated. The messages are found by reading WTForms'
source for the string literals it hands to gettext and ngettext."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import flask_wtf
import pytest
import wtforms
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "N_": None, "lazy_pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd]|\{[a-z_]+\}")

Message = str | tuple[str, str]  # a message, or a singular and its plural


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def wtforms_messages() -> set[Message]:
    """The literal messages WTForms' and Flask-WTF's code translates:
    `….gettext("…")` and `….ngettext("…", "…", n)` (a message made at run
    time, as `gettext(e)` of an e-mail error, has no literal to find)."""
    found: set[Message] = set()
    for package in (wtforms, flask_wtf):
        for path in Path(package.__file__).parent.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                first = _literal(node.args[0])
                if name == "gettext" and first is not None:
                    found.add(first)
                elif name == "ngettext" and first is not None and len(node.args) > 1:
                    plural = _literal(node.args[1])
                    if plural is not None:
                        found.add((first, plural))
    return found


@pytest.fixture(scope="module")
def messages() -> set[Message]:
    found = wtforms_messages()
    assert "This field is required." in found and "Not a valid integer value." in found
    assert ("Field must be at least %(min)d character long.",
            "Field must be at least %(min)d characters long.") in found
    assert len(found) >= 35
    return found


def test_every_wtforms_message_is_marked_in_coops_code(messages: set[Message]) -> None:
    """coop.forms.wtforms_messages lists them: `make messages` drops from the
    catalogs what no code marks."""
    marked: set[Message] = set()
    for path, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / "coop"), method_map=[("**.py", "python")], keywords=KEYWORDS):
        if "forms.py" in path:
            marked.add(message if isinstance(message, str) else tuple(message[:2]))
    missing = sorted(map(str, messages - marked))
    assert not missing, f"not in coop.forms.wtforms_messages: {missing}"


@pytest.mark.parametrize("locale", ["ru", "ky", "tg"])
def test_every_wtforms_message_is_translated(messages: set[Message], locale: str) -> None:
    path = ROOT / "coop" / "translations" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    problems = []
    for message in sorted(messages, key=str):
        msgid = message if isinstance(message, str) else message[0]
        entry = catalog.get(msgid)
        if entry is None or entry.fuzzy:
            problems.append(f"untranslated: {message!r}")
            continue
        if isinstance(message, tuple) != isinstance(entry.id, tuple) or (
                isinstance(message, tuple) and tuple(entry.id) != message):
            problems.append(f"singular/plural differs: {message!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        expected = sorted(PLACEHOLDER.findall(msgid if isinstance(message, str)
                                              else message[1]))
        if isinstance(message, tuple) and len(strings) != catalog.num_plurals:
            problems.append(f"{len(strings)} plural forms: {message!r}")
        for text in strings:
            if not text.strip():
                problems.append(f"empty: {message!r}")
            elif sorted(PLACEHOLDER.findall(text)) != expected:
                problems.append(f"placeholders differ: {message!r} -> {text!r}")
    assert not problems, f"{locale}: " + "\n".join(problems)
