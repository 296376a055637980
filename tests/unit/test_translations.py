"""Every user-facing string is in the catalogs, and Russian, Kyrgyz and Tajik
have every one of them translated (no empty, no fuzzy entry)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
# as `make messages` extracts them (its -k options): lazy_pgettext has a context
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "N_": None, "lazy_pgettext": ((1, "c"), 2)}
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]


def _used() -> set[tuple[str | None, str]]:
    """(context, message) of every string the code translates."""
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
            str(ROOT / "coop"), method_map=METHODS, keywords=KEYWORDS):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


@pytest.fixture(scope="module")
def used() -> set[tuple[str | None, str]]:
    return _used()


def test_make_messages_extracts_what_this_test_checks() -> None:
    """`make messages` marks what it does not extract obsolete: a keyword
    missing there (lazy_pgettext was) takes its strings out of the catalogs."""
    makefile = (ROOT / "Makefile").read_text()
    extract = next(line for line in makefile.splitlines() if "pybabel extract" in line)
    for keyword in set(KEYWORDS) - set(DEFAULT_KEYWORDS):
        assert f"-k {keyword}" in extract, keyword


@pytest.mark.parametrize("locale", ["ru", "ky", "tg"])
def test_every_string_is_translated(used: set[tuple[str | None, str]], locale: str) -> None:
    path = ROOT / "coop" / "translations" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    known = set()
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and all(strings) and not message.fuzzy:
            known.add((message.context,
                       message.id if isinstance(message.id, str) else message.id[0]))
    assert len(used) > 500
    missing = sorted(used - known)
    assert not missing, f"{locale}: {len(missing)} untranslated, e.g. {missing[:5]}"
