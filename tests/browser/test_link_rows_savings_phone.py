"""The savings group's and the season's rows of links on a 390 px phone: a
dot stands between two items on one line, never at a line's start or end.
The rows were written with a literal «·» between them (the cycle's state,
dates and links, the meeting's, the blank forms', the share-out's, the
passbook's, a seed loan's); where one wrapped, a dot ended one line or began
the next. They are lists now (coop.css: ul.links). The check is the one of
tests/browser/test_link_rows_phone.py: what is on the screen, whichever way a
row is written."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from coop.extensions import db
from tests import demo_pages
from tests.browser.conftest import screenshot
from tests.browser.test_link_rows_phone import HEIGHT, LINES, WIDTH, _row, _sign_in


@pytest.mark.parametrize("locale", ["ru", "ky"])
def test_no_line_of_a_savings_row_of_links_starts_or_ends_with_a_dot_on_a_phone(  # type: ignore[no-untyped-def]
        app_ctx: Flask, session: Session, browser, live_server: str, locale: str) -> None:
    demo = demo_pages.load(app_ctx, session)
    sg = demo.savings
    assert sg is not None
    sg.treasurer.user.locale = locale
    demo.treasurer.user.locale = locale
    db.session.commit()
    cycle = f"/groups/{sg.group.id}/savings/{sg.params['cycle_id']}"
    meeting = f"{cycle}/meetings/{sg.meetings[-1]}"  # the open one: the blank forms too
    loan = f"/groups/{demo.group.id}/season/loans/{demo.params['loan_id']}"
    back = f"/savings/{sg.params['cycle_id']}"  # the link to the cycle
    rows = [  # (name, page, the row, how many links it holds at least, who)
        ("savings-cycle", cycle, _row("main p", "/indicators"), 2, sg.treasurer),
        ("savings-cycle-sheet", cycle, _row("main p", f"{back}/share-out"), 1, sg.treasurer),
        ("savings-meeting", meeting, _row("main p", back), 1, sg.treasurer),
        ("savings-blank-forms", meeting, _row("main p", "/blank-form.pdf"), 2, sg.treasurer),
        ("savings-share-out", f"{cycle}/share-out", _row("main p", back), 1, sg.treasurer),
        ("savings-passbook", f"{cycle}/passbooks/{sg.params['member_id']}",
         _row("main p", back), 1, sg.treasurer),
        ("season-loan", loan, _row("main p", "/season/loans"), 2, demo.treasurer),
    ]
    context = browser.new_context(locale=locale, viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    page.set_default_timeout(15000)
    problems, wrapped, between, signed = [], 0, 0, None
    try:
        for name, url, selector, links, who in rows:
            if signed != who.user.email:
                _sign_in(page, live_server, who.user.email)
                signed = who.user.email
            assert page.goto(f"{live_server}{url}").status == 200, url
            page.evaluate("() => document.querySelectorAll('main details')"
                          ".forEach(d => { d.open = true; })")  # the blank forms' is folded
            lines = page.evaluate(LINES, selector)
            assert lines, f"{name}: no row at {selector}"
            assert page.locator(selector).first.locator("a[href]").count() >= links, name
            wrapped += len(lines) > 1
            between += any("•" in line for line in lines)
            for line in lines:
                if line.startswith("•") or line.endswith("•"):
                    problems.append(f"{name}: a line {line!r} of {lines}")
            screenshot(page, f"link-rows-{name}-{locale}")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
    assert wrapped >= 2, "the phone wraps the cycle's and the blank forms' rows, at least"
    assert between >= 3, "two items on one line still have a dot between them"
