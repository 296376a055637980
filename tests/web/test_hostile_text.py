"""Every text field of every form gets the hostile set: NUL, C0 and C1
control characters, direction overrides, CR/LF in a single-line field, 10,000
characters, letters buried under accents. The answer is a 4xx, never a 500,
and nothing is written.

The forms are found from the app, so that a new one cannot be forgotten:
every form class (a subclass of FlaskForm) must be a coop.forms.Form, whose
text fields are cleaned by construction; and every form on every page the
treasurer opens (the URL map, walked) is sent back with one text field made
hostile at a time. On PostgreSQL too (COOP_TEST_DATABASE_URL), where a NUL is
what the database refuses. The API's text fields: tests/web/test_api_hostile.py."""

from __future__ import annotations

import unicodedata
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from sqlalchemy import String, Text, func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from wtforms import PasswordField, StringField, TextAreaField

from coop.extensions import db
from coop.forms import Form
from coop.text import BIDI_CONTROLS, MAX_COMBINING
from tests.conftest import login
from tests.web.test_access_walk import _rules, _url, world  # noqa: F401  (fixture)

HOSTILE = {
    "NUL": "Айгүл\x00",
    "C0": "Ай\x01гүл\x1b[31m",
    "C1": "Ай\x85гүл\x9b",
    "bidi override": "\u202eлүгйА",
    "bidi isolate": "Ай\u2066гүл\u2069",
    "10,000 chars": "ж" * 10_000,
    "stacked accents": "A" + "\u0301\u0302\u0303\u0304\u0305" * 4,
    "accent first": "\u0301Айгүл",
}
# on the pages, one of each kind (the form classes above get them all)
ON_PAGES = {"NUL": HOSTILE["NUL"], "C0 and C1": "Ай\x01гүл\x9b",
            "bidi override": HOSTILE["bidi override"], "10,000 chars": HOSTILE["10,000 chars"],
            "stacked accents": HOSTILE["stacked accents"], "CR/LF": "Айгүл\r\nАсанова"}
LINE_BREAKS = {"CR/LF": "Айгүл\r\nАсанова", "LF": "Айгүл\nАсанова", "CR": "Айгүл\rАсанова"}


def all_form_classes() -> set[type]:
    found: set[type] = set()
    todo = [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return {cls for cls in found if cls.__module__.startswith("coop.")}


def test_every_form_of_the_app_is_a_coop_form(app: Flask) -> None:
    classes = all_form_classes()
    assert len(classes) > 30
    strays = sorted(f"{c.__module__}.{c.__name__}" for c in classes
                    if not issubclass(c, Form))
    assert not strays, f"forms whose text is not cleaned (make them coop.forms.Form): {strays}"


def _text_fields(form: Any) -> list[Any]:
    fields = []
    for field in form:
        if isinstance(field, StringField) and not isinstance(field, PasswordField):
            fields.append(field)
        if hasattr(field, "entries"):  # a FieldList of FormFields
            for entry in field.entries:
                fields += _text_fields(getattr(entry, "form", entry) if not isinstance(
                    entry, StringField) else [entry])
    return fields


def test_every_text_field_of_every_form_class_refuses_the_hostile_set(app: Flask) -> None:
    checked = 0
    for cls in sorted(all_form_classes(), key=lambda c: c.__name__):
        with app.test_request_context(method="POST"):
            names = [f.name for f in _text_fields(cls(meta={"csrf": False}))]
            for name in names:
                multiline = None
                for label, value in {**HOSTILE, **LINE_BREAKS}.items():
                    form = cls(formdata=MultiDict({name: value}), meta={"csrf": False})
                    field = next(f for f in _text_fields(form) if f.name == name)
                    multiline = isinstance(field, TextAreaField)
                    if label in LINE_BREAKS and multiline:
                        assert not field.process_errors, (cls.__name__, name, label)
                        assert field.data == "Айгүл\nАсанова"
                        continue
                    assert field.process_errors, f"{cls.__name__}.{name} took {label}"
                    checked += 1
                # what people type is kept, in NFC
                form = cls(formdata=MultiDict({name: "Ай\u0433\u0306ул e\u0301"}),
                           meta={"csrf": False})
                field = next(f for f in _text_fields(form) if f.name == name)
                assert not field.process_errors, (cls.__name__, name, field.process_errors)
                assert field.data == unicodedata.normalize("NFC", "Айг\u0306ул e\u0301")
    assert checked > 400, checked


class _Forms(HTMLParser):
    """The POST forms of a page: action and fields with their shown values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "post": a.get("method", "").lower()
                          == "post", "fields": [], "text": set(),
                          "multiline": set()}
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                if kind == "submit" and a.get("value"):
                    self._form["fields"].append((name, a["value"]))
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            value = a.get("value", "")
            if not value and kind in ("text", "search", "tel", "email", ""):
                value = "1" if a.get("inputmode") in ("decimal", "numeric") else "Тест"
            if kind == "date" and not value:
                value = "2026-01-15"
            if kind == "datetime-local" and not value:
                value = "2026-01-15T10:00"
            self._form["fields"].append((name, value))
            if kind in ("text", "search", "tel", "email", "hidden", "") and \
                    name != "csrf_token":
                self._form["text"].add(name)
        elif tag == "textarea":
            self._textarea = name
            self._form["fields"].append((name, "Тест"))
            self._form["text"].add(name)
            self._form["multiline"].add(name)
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and not any(
                n == self._select for n, _v in self._form["fields"]):
            self._form["fields"].append((self._select, a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _rows(session: Session) -> int:
    session.expire_all()
    return sum(session.scalar(select(func.count()).select_from(t)) or 0
               for t in db.metadata.sorted_tables)


def hostile_text_in_database(session: Session) -> list[str]:
    """Every text cell of every table that holds what the cleaning refuses."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
        for column in columns:
            for value in session.scalars(select(column).where(column.is_not(None))):
                run = 0
                for char in value or "":
                    run = run + 1 if unicodedata.category(char) in ("Mn", "Me") else 0
                    if (unicodedata.category(char) == "Cc" and char not in "\n\t") \
                            or char in BIDI_CONTROLS or run > MAX_COMBINING:
                        found.append(f"{table.name}.{column.name}: {value[:40]!r}")
                        break
    return found


@pytest.mark.postgres
def test_every_text_field_on_every_page_refuses_the_hostile_set(
        app_ctx: Flask, world, session: Session) -> None:  # noqa: F811
    client = app_ctx.test_client()
    login(client, world["treasurer"].user.email, "demo-password")
    forms: dict[tuple[str, frozenset[str]], dict[str, Any]] = {}
    for rule in _rules(app_ctx):
        if "GET" not in rule.methods or rule.rule.startswith("/api/") or \
                rule.rule.endswith((".pdf", ".csv", ".json")):
            continue
        url = _url(rule, world)
        page = client.get(url)
        if page.mimetype != "text/html" or page.status_code != 200:
            continue
        parser = _Forms()
        parser.feed(page.get_data(as_text=True))
        for form in parser.forms:
            form["action"] = form["action"] or url
            if form["post"] and form["text"] and form["action"] not in ("/logout",):
                key = (form["action"], frozenset(form["text"]))
                forms.setdefault(key, form)
    assert len(forms) > 25, sorted(k[0] for k in forms)
    print("\n".join(sorted(f"{k[0]} {sorted(k[1])}" for k in forms)))
    sent = 0
    accepted: list[str] = []
    wrote: list[str] = []
    for form in forms.values():
        before = _rows(session)
        for name in sorted(form["text"]):
            for label, value in ON_PAGES.items():
                if label == "CR/LF" and name in form["multiline"]:
                    continue  # a note or an address may have lines
                data = MultiDict([(n, v) for n, v in form["fields"] if n != name])
                data.add(name, value)
                response = client.post(form["action"], data=data)
                sent += 1
                where = f"POST {form['action']} with {label} in {name!r}"
                assert response.status_code < 500, where
                assert b"Traceback" not in response.get_data(), where
                if not 400 <= response.status_code < 500:
                    accepted.append(f"{where}: {response.status_code} {response.location}")
        if _rows(session) != before:
            wrote.append(f"POST {form['action']}")
    print(f"\n{len(forms)} forms, {sent} hostile posts")
    assert not accepted, accepted[:30]
    assert not wrote, wrote
    assert not hostile_text_in_database(session)
