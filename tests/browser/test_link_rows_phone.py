"""Rows of links on a 390 px phone: a dot stands between two links on one
line, never at a line's start or end. The rows were written with a literal
«·» between the links; where a row wrapped, a dot ended one line or began the
next («Мои часы · / Записать помощь ·»). They are lists now (coop.css:
ul.links), whose dots are drawn before each link and cut off at a line's
start. The check measures what is on the screen, whichever way a row is
written: every dot (a «·» character, or a list item's ::before that the
list's box does not cut off) and every other character, grouped into lines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.extensions import db
from coop.orders.models import Round
from coop.quotes.models import Quote, QuoteRevision
from tests import demo_pages
from tests.browser.conftest import screenshot

WIDTH, HEIGHT = 390, 844

# The lines of the row that `selector` finds, each as a string of what stands
# on it from left to right: «•» a visible dot, «x» any other character.
LINES = """(selector) => {
  const row = document.querySelector(selector);
  if (!row) return null;
  const items = [];
  const add = (kind, r) => { if (r.width > 0 && r.height > 0) items.push(
      {kind, left: r.left, right: r.right, mid: (r.top + r.bottom) / 2}); };
  const walker = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const t = walker.currentNode;
    for (let i = 0; i < t.data.length; i++) {
      if (/\\s/.test(t.data[i])) continue;
      const range = document.createRange();
      range.setStart(t, i);
      range.setEnd(t, i + 1);
      for (const r of range.getClientRects()) add(t.data[i] === '·' ? 'dot' : 'x', r);
    }
  }
  for (const list of [row, ...row.querySelectorAll('ul.links')]) {
    if (!list.matches('ul.links')) continue;
    const box = list.getBoundingClientRect();
    const cuts = getComputedStyle(list).overflowX !== 'visible';
    for (const li of list.querySelectorAll(':scope > li')) {
      const before = getComputedStyle(li, '::before');
      if (!before.content.includes('·') || before.display === 'none') continue;
      const r = li.getBoundingClientRect();
      const left = r.left + parseFloat(before.left), right = left + parseFloat(before.width);
      if (cuts && (right <= box.left + 0.5 || left >= box.right - 0.5)) continue;  // cut off
      add('dot', {left, right, width: right - left, height: r.height, top: r.top,
                  bottom: r.bottom});
    }
  }
  items.sort((a, b) => a.mid - b.mid);
  const lines = [];
  for (const it of items) {
    const line = lines.find(l => Math.abs(l.mid - it.mid) < 8);
    if (line) line.items.push(it); else lines.push({mid: it.mid, items: [it]});
  }
  return lines.map(l => l.items.sort((a, b) => a.left - b.left)
                             .map(it => it.kind === 'dot' ? '•' : 'x').join(''));
}"""


def _row(selector: str, href: str) -> str:
    """The row holding the link whose address ends with `href`, written with
    dots (a paragraph, a line of notes) or as a list."""
    has = f':has(a[href$="{href}"])'
    return f"main ul.links{has}, {selector}{has}"


def _overdue_turn(session: Session, demo: demo_pages.Demo):  # type: ignore[no-untyped-def]
    """A motoblock's turn that ended five days ago and is still out, with the
    member's phone number to call."""
    from coop.equipment import domain
    from coop.equipment import services as equipment
    from coop.equipment.models import Asset
    from coop.i18n import local_today

    asset = session.get(Asset, demo.params["asset_id"])
    owner = asset.owners[0].membership
    owner.user.phone = "+996 555 010 203"
    first = local_today() - timedelta(days=7)
    booking = equipment.book(session, asset, owner,
                             domain.slots(first, False, first + timedelta(days=1), False),
                             actor=demo.treasurer.user, today=first)
    equipment.hand_over(session, booking, condition="исправен")
    session.commit()
    return booking


def _sign_in(page, live_server: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{live_server}/login")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "demo-password")
    with page.expect_navigation():
        page.click("main form button[type=submit]")


@pytest.mark.parametrize("locale", ["ru", "ky"])
def test_no_line_of_a_row_of_links_starts_or_ends_with_a_dot_on_a_phone(  # type: ignore[no-untyped-def]
        app_ctx: Flask, session: Session, browser, live_server: str, locale: str) -> None:
    demo = demo_pages.load(app_ctx, session)
    demo.treasurer.user.locale = locale
    db.session.commit()
    gid = demo.group.id
    rnd = session.scalar(select(Round).join(Quote, Quote.round_id == Round.id)
                         .join(QuoteRevision, QuoteRevision.quote_id == Quote.id)
                         .where(Round.group_id == gid).order_by(Round.id))
    quote = session.scalar(select(Quote).join(QuoteRevision, QuoteRevision.quote_id == Quote.id)
                           .where(Quote.round_id == rnd.id).order_by(Quote.id))
    turn = _overdue_turn(session, demo)
    group, rounds = f"/groups/{gid}", f"/groups/{gid}/rounds/{rnd.id}"
    asset = f"{group}/equipment/{demo.params['asset_id']}"
    tb_row = _row("main p.actions", "/timebank/pending")
    rows = [  # (name, page, the row, how many links it holds at least)
        ("timebank-home", f"{group}/timebank", tb_row, 8),
        ("timebank-board", f"{group}/timebank", _row("main p", "/timebank/digest"), 2),
        ("timebank-statement", f"{group}/timebank/members/{demo.treasurer.id}", tb_row, 8),
        ("quotes-compare", f"{rounds}/quotes/compare", _row("main p", f"{rounds}/quotes"), 2),
        ("quotes-quote", f"{rounds}/quotes/{quote.id}", _row("main p", "/quotes/compare"), 2),
        ("equipment-flash", asset, f"#overdue-{turn.id}", 2),
        ("equipment-card", asset, f"#booking-{turn.id} .overdue", 1),
        ("equipment-list", f"{group}/equipment", f"#overdue-{turn.id}", 1),
    ]
    context = browser.new_context(locale=locale, viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    page.set_default_timeout(15000)
    problems, wrapped, between = [], 0, 0
    try:
        _sign_in(page, live_server, demo.treasurer.user.email)
        for name, url, selector, links in rows:
            assert page.goto(f"{live_server}{url}").status == 200, url
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
    assert wrapped >= 2, "the phone wraps the time bank's row of links, at least"
    assert between >= 2, "two links on one line still have a dot between them"
