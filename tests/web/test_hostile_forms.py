"""Hostile input on every form: text in numbers, huge and negative numbers, NUL
bytes, right-to-left and combining Unicode, long strings. Every POST route of
the app (from the URL map) gets them in every field name the pages use; the
answer is never a server error, and a refusal (4xx) writes nothing."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.extensions import db
from tests.conftest import csrf_token, login
from tests.web.test_access_walk import _rules, _url, world  # noqa: F401  (fixture)

HOSTILE = [
    "abc", "-1", "-0,01", "9" * 40, "1e309", "NaN", "12\x00", "\u202e١٢٣", "e\u0301\u0301\u0301",
    "1,2,3.4.5", "x" * 5000, "' OR 1=1 --", "<script>alert(1)</script>",
]
_NAME = re.compile(r'name="([A-Za-z_][A-Za-z0-9_\-]*)"')


def _row_counts(session: Session) -> int:
    return sum(session.scalar(select(func.count()).select_from(t)) or 0
               for t in db.metadata.sorted_tables)


def test_every_form_refuses_hostile_input_cleanly(app_ctx: Flask, world,  # noqa: F811
                                                   session: Session) -> None:
    client = app_ctx.test_client()
    login(client, world["treasurer"].user.email, "demo-password")
    token = csrf_token(client)
    names: set[str] = set()
    rules = _rules(app_ctx)
    for rule in rules:
        if "GET" in rule.methods and not rule.rule.endswith((".pdf", ".csv", ".json")):
            page = client.get(_url(rule, world))
            if page.mimetype == "text/html":
                names |= set(_NAME.findall(page.get_data(as_text=True)))
    names -= {"csrf_token"}
    assert len(names) > 30
    for rule in rules:
        if "POST" not in rule.methods or rule.endpoint in {"auth.logout"}:
            continue
        url = _url(rule, world)
        for value in HOSTILE:
            before = _row_counts(session)
            data = {name: value for name in names}
            data["csrf_token"] = token
            response = client.post(url, data=data)
            where = f"POST {rule.rule} with {value[:20]!r}"
            assert response.status_code < 500, where
            assert b"Traceback" not in response.get_data(), where
            if 400 <= response.status_code < 500:
                session.expire_all()
                assert _row_counts(session) == before, f"{where}: refused but wrote"
