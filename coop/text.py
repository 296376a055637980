"""The one cleaning of text people send: every text field of every form (by
construction, through coop.forms.Form) and every text in an API body
(coop.api.inputs.Body.text) goes through `clean_text`.

What it refuses, with a message the person understands, before any service or
the database sees the text: control characters (a NUL is what PostgreSQL
rejects; line breaks only in a multi-line field, where they are normalised to
"\\n"), direction overrides and isolates (they make a name read backwards on a
page or a PDF), more than MAX_COMBINING accents on one letter ("Zalgo" text),
lone surrogates and non-characters, and text longer than the field's limit.
What it keeps is in Unicode NFC, so "й" typed as и + ◌̆ is the "й" searched for.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from flask import Flask, Response, request
from flask_babel import lazy_gettext as _l

from coop.errors import DomainError

# Direction overrides, embeddings, isolates and marks reorder what others read.
BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                          "\u061c")
MAX_COMBINING = 3  # accents on one letter; more is "Zalgo" text
# Limits of a text field that names none (a Length validator, a JSON field's max).
DEFAULT_MAX_LINE = 1000
DEFAULT_MAX_MULTILINE = 5000


class TextError(ValueError):
    """Text that cannot be kept (the message says why, in the user's language).
    A ValueError, so that a WTForms filter raising it marks the field invalid."""

    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def invisible_characters() -> Any:
    return _l("This contains invisible control characters. Please type it again.")


def too_long(limit: int) -> Any:
    return _l("This is too long (at most %(n)d characters).", n=limit)


def clean_text(value: str, *, multiline: bool = False, max_length: int | None = None) -> str:
    """`value` in NFC, line breaks as "\\n" in a multi-line text; TextError for
    what no field may hold (see the module's description)."""
    limit = max_length or (DEFAULT_MAX_MULTILINE if multiline else DEFAULT_MAX_LINE)
    if len(value) > 4 * limit:  # NFC never shortens more than that: refuse unread
        raise TextError(too_long(limit))
    text = value if value.isascii() else unicodedata.normalize("NFC", value)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    run = 0
    for position, char in enumerate(text):
        category = unicodedata.category(char)
        if (category in ("Cc", "Cs") and not (multiline and char in "\t\n")) \
                or char in BIDI_CONTROLS or char in "\ufffe\uffff":
            raise TextError(invisible_characters())
        run = run + 1 if category in ("Mn", "Me") else 0
        if run > MAX_COMBINING or (run and position == 0):
            raise TextError(_l("Too many accents on one letter. Please type it again."))
    if len(text) > limit:
        raise TextError(too_long(limit))
    return text


class TextFilter:
    """A WTForms filter: the field's text cleaned, or the field marked invalid
    with the reason (WTForms keeps a filter's ValueError as the field's error)."""

    def __init__(self, *, multiline: bool, max_length: int | None) -> None:
        self.multiline = multiline
        self.max_length = max_length

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or not value:
            return value
        return clean_text(value, multiline=self.multiline, max_length=self.max_length)


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def register_text_guard(app: Flask) -> None:
    """What reaches a view outside a form field (a query parameter, a field
    name, a per-product input read by hand) must not hold a NUL either: the
    database refuses it: the request is refused (422, before any view)."""

    @app.before_request
    def refuse_nul() -> Response | None:
        # a JSON body is left to the API's parser, with its own size limit
        sources = [request.args]
        if request.mimetype in _FORM_TYPES:
            sources.append(request.form)
        for values in sources:
            for key, value in values.items(multi=True):
                if "\x00" in key or "\x00" in value:
                    if request.path.startswith("/api/"):  # matched by no route, too
                        from coop.api.problems import problem_response

                        return problem_response(422, invisible_characters(),
                                                field=_printable(key))
                    raise DomainError(invisible_characters(), field=_printable(key))
        return None


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text[:60])
