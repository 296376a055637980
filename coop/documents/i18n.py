"""The documents' words: Flask-Babel's gettext with a catalog of their own.

The PDFs' strings are translated in coop/documents/translations/<locale>.po
(read at first use, no compile step); a string that is not there is looked up
in the app's catalog (coop/translations), so the words the pages already use
("Product", "Total", the split's reasons) are translated once, in one place.
English is the source, as everywhere."""

from __future__ import annotations

import gettext as stdlib_gettext
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


class _Catalog:
    def __init__(self, singular: dict[str, str], plural: dict[str, list[str]],
                 plural_of: Any) -> None:
        self.singular = singular
        self.plural = plural
        self.plural_of = plural_of


@lru_cache(maxsize=16)
def _catalog(locale: str) -> _Catalog:
    path = TRANSLATIONS / f"{locale}.po"
    if not path.exists():
        return _Catalog({}, {}, lambda n: int(n != 1))
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    singular: dict[str, str] = {}
    plural: dict[str, list[str]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple | list):
            forms = list(message.string)
            if all(forms):
                plural[message.id[0]] = forms
        elif message.string:
            singular[message.id] = message.string
    return _Catalog(singular, plural, stdlib_gettext.c2py(catalog.plural_expr))


def _current() -> _Catalog:
    locale = get_locale()
    return _catalog(locale.language if locale is not None else "en")


def gettext(string: str, **variables: Any) -> str:
    translated = _current().singular.get(string)
    if translated is None:
        translated = get_translations().ugettext(string)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    catalog = _current()
    forms = catalog.plural.get(singular)
    if forms is not None:
        translated = forms[min(catalog.plural_of(num), len(forms) - 1)]
    else:
        translated = get_translations().ungettext(singular, plural, num)
    return translated % variables


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    return LazyString(gettext, string, **variables)


_ = gettext
_l = lazy_gettext
