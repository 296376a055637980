"""Every page of the demo on a 390 × 844 phone, as a member and as the
treasurer, in Russian, Kyrgyz, Tajik and English: nothing scrolls sideways
(neither the page nor a table inside it), every link, button and field is at
least 44 px tall, the header takes at most a fifth of the screen, and chart
text is at least 12 px as rendered."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from coop.extensions import db
from tests import demo_pages
from tests.browser.conftest import screenshot

WIDTH, HEIGHT = 390, 844
TAP = 44
CHART_TEXT = 12

MEASURE = """() => {
  const out = {scroll: document.documentElement.scrollWidth, header: 0, small: [], hidden: [],
               chart: [], negative: []};
  const main = document.querySelector('main');
  out.header = main ? Math.round(main.getBoundingClientRect().top + window.scrollY) : 0;
  const name = el => (el.tagName + ' "' + String(el.innerText || el.value || el.getAttribute('name')
                      || el.getAttribute('type') || '').trim().slice(0, 40) + '"');
  for (const el of document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    let box = el;
    if (el.type === 'checkbox' || el.type === 'radio') {
      box = el.closest('label') || document.querySelector('label[for="' + el.id + '"]') || el;
    }
    const r = box.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (el.closest('.sr') || getComputedStyle(el).visibility === 'hidden') continue;
    // a link inside a sentence is exempt, as WCAG 2.5.8 exempts it
    if (el.tagName === 'A' && el.closest('p')) continue;
    if (r.height < 44 - 0.5) out.small.push(name(el) + ' ' + Math.round(r.height) + 'px');
  }
  for (const el of document.querySelectorAll('body *')) {
    const cs = getComputedStyle(el);
    if (['auto', 'scroll', 'hidden'].includes(cs.overflowX) && el.scrollWidth > el.clientWidth + 1
        && el.clientWidth > 0 && !el.closest('.sr') && el.tagName !== 'svg'
        // a label cut short on purpose, its whole text in its title
        && !(cs.textOverflow === 'ellipsis' && el.title === el.innerText.trim())
        && !['SELECT', 'TEXTAREA', 'INPUT', 'OPTION'].includes(el.tagName)) {
      out.hidden.push(name(el).slice(0, 60) + ' ' + el.scrollWidth + '>' + el.clientWidth);
    }
  }
  out.wide = [];
  for (const el of document.querySelectorAll('main *')) {
    const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 1 && ![...el.children].some(
        c => c.getBoundingClientRect().right > window.innerWidth + 1)) {
      out.wide.push(name(el).slice(0, 50) + ' to ' + Math.round(r.right) + 'px');
    }
  }
  for (const t of document.querySelectorAll('svg text')) {
    const size = parseFloat(t.getAttribute('font-size') || '16') * t.getScreenCTM().a;
    if (size < 12 - 0.05) out.chart.push('"' + t.textContent + '" ' + size.toFixed(1) + 'px');
  }
  return out;
}"""


def _check(page, url: str, who: str) -> list[str]:  # type: ignore[no-untyped-def]
    response = page.goto(url)
    if response.status in (403, 404, 405):
        return []
    assert response.status < 500, f"{who} {url}: {response.status}"
    m = page.evaluate(MEASURE)
    problems = []
    if m["scroll"] > WIDTH:
        problems.append(f"scrolls sideways: {m['scroll']}px; sticks out: {m['wide'][:4]}")
    if m["header"] > HEIGHT / 5:
        problems.append(f"header {m['header']}px")
    problems += [f"small tap target {s}" for s in m["small"]]
    problems += [f"hidden sideways {s}" for s in m["hidden"]]
    problems += [f"chart text {s}" for s in m["chart"]]
    return [f"{who} {url}: {p}" for p in problems]


def _sign_in(page, live_server: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{live_server}/login")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "demo-password")
    page.click("main form button[type=submit]")


@pytest.mark.parametrize("locale", ["ru", "ky", "tg", "en"])
def test_no_page_scrolls_sideways_on_a_phone(app_ctx: Flask, session: Session, browser,  # type: ignore[no-untyped-def]
                                             live_server: str, locale: str) -> None:
    demo = demo_pages.load(app_ctx, session)
    for _who, membership, _pages in demo.walks():
        membership.user.locale = locale
    db.session.commit()
    context = browser.new_context(locale=locale, viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    page.set_default_timeout(15000)
    problems: list[str] = []
    visited = 0
    try:
        for who, membership, pages in demo.walks():
            _sign_in(page, live_server, membership.user.email)
            assert "/login" not in page.url, page.url
            for endpoint, url in pages:
                if demo_pages.is_document(url) or endpoint == "auth.logout":
                    continue
                problems += _check(page, live_server + url, who)
                visited += 1
                screenshot(page, f"{locale}-{who.replace(' ', '-')}-{endpoint}")
    finally:
        context.close()
    assert visited > 60
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:80])


# Words that the browser broke across two lines (a word squeezed into a
# column narrower than itself: "Зак / упк / а").
BROKEN_WORDS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const pattern = /[^\\s\\u00a0]{2,}/g;
    let m;
    while ((m = pattern.exec(node.textContent))) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
                            .map(r => Math.round(r.top)));
      if (lines.size > 1) out.push(m[0]);
    }
  }
  return out;
}"""


def test_a_members_statement_reads_as_cards_of_whole_words_on_a_phone(  # type: ignore[no-untyped-def]
        app_ctx: Flask, session: Session, browser, live_server: str) -> None:
    """Her account, as she and the treasurer see it on a 390 px phone: one
    card per entry, each word whole (the table's four columns squeezed what an
    entry is into two letters a line), nothing sideways."""
    demo = demo_pages.load(app_ctx, session)
    statement = f"/groups/{demo.group.id}/accounts/{demo.member.id}"
    context = browser.new_context(locale="ru", viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    try:
        for who, membership in (("member", demo.member), ("treasurer", demo.treasurer)):
            _sign_in(page, live_server, membership.user.email)
            assert page.goto(live_server + statement).status == 200
            assert page.locator("table.statement tbody tr").count() > 2, who
            assert page.evaluate(BROKEN_WORDS) == [], who
            assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, who
            amount = page.locator("table.statement tbody tr td[data-label]").first
            assert amount.evaluate("e => getComputedStyle(e, '::before').content") == '"Сумма"'
            screenshot(page, f"statement-{who}")
    finally:
        context.close()
