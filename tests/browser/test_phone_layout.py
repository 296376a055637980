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
from tests.pdf_words import runs

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
    problems += [f"a pair's fields at different heights: {s}" for s in page.evaluate(PAIRS)]
    return [f"{who} {url}: {p}" for p in problems]


# Found on the walk: in a pair of fields side by side, a label that wraps to
# more lines than its neighbour's put the two inputs at different heights.
PAIRS = """() => [...document.querySelectorAll('.pair')]
  .filter(pair => !pair.querySelector('.error'))
  .flatMap(pair => {
    const rows = {};  // the fields side by side: those whose tops are the same
    for (const field of pair.querySelectorAll(':scope > .field')) {
      const input = field.querySelector('input, select, textarea');
      if (!input || input.getBoundingClientRect().width === 0) continue;
      const row = Math.round(field.getBoundingClientRect().top);
      (rows[row] = rows[row] || []).push(input);
    }
    return Object.values(rows)
      .filter(inputs => inputs.length > 1
              && Math.max(...inputs.map(i => i.getBoundingClientRect().top))
                 - Math.min(...inputs.map(i => i.getBoundingClientRect().top)) > 2)
      .map(inputs => inputs.map(i => i.name || i.id).join(' / '));
  })"""


def _sign_in(page, live_server: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{live_server}/login")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "demo-password")
    with page.expect_navigation():  # signed in before the next page is asked for
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


# -- a cheap phone: 360 px ---------------------------------------------------------------

NARROW = 360

# The pages of the demo that a walk through a real round on a 360 px phone found
# with words broken mid-word ("Участ / ница") in their tables, or wider than the
# screen (a member's share, her payout).
NARROW_PAGES = {"orders.list_rounds", "orders.round_page", "orders.delivery", "orders.share",
                "suppliers.list_suppliers", "suppliers.supplier", "groups.members",
                "sales.buyers", "sales.list_lots", "sales.lot_page", "sales.payout",
                "ledger.fund", "payables.account", "documents.member_documents",
                "quotes.round_quotes"}

# A figure in a table that is not at the right end of its cell (its column's
# name may stand on the left of it, on a phone).
NOT_RIGHT = """() => {
  const out = [];
  for (const cell of document.querySelectorAll('main td.num, main th.num')) {
    const text = cell.innerText.trim();
    if (!text || cell.getClientRects().length === 0) continue;
    const range = document.createRange();
    range.selectNodeContents(cell);
    const rects = [...range.getClientRects()].filter(r => r.width > 0);
    if (!rects.length) continue;
    const cs = getComputedStyle(cell);
    const end = cell.getBoundingClientRect().right - parseFloat(cs.paddingRight)
                - parseFloat(cs.borderRightWidth);
    if (Math.max(...rects.map(r => r.right)) < end - 2) out.push(text.slice(0, 40));
  }
  return out;
}"""


def _narrow_problems(page, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    """What is wrong with the page shown on a 360 px phone: words broken across
    lines, the page or something inside it scrolling sideways, figures not at
    the right."""
    page.wait_for_selector("main")  # shown, not on its way (after a click)
    problems = [f"word broken: {w}" for w in page.evaluate(BROKEN_WORDS)]
    m = page.evaluate(MEASURE)
    if m["scroll"] > NARROW:
        problems.append(f"scrolls sideways: {m['scroll']}px; sticks out: {m['wide'][:4]}")
    problems += [f"hidden sideways {s}" for s in m["hidden"]]
    problems += [f"figure not at the right: {s}" for s in page.evaluate(NOT_RIGHT)]
    return [f"{url}: {p}" for p in problems]


# The header's names on a 360 px phone: hers whole (two of her names on two
# lines), the group's on at most two lines; the header one tap target tall.
HEADER_NAMES = """() => {
  const shown = sel => { const link = document.querySelector(sel);
    const text = link.querySelector('span') || link;
    return {text: text.innerText, cut: text.scrollHeight > text.clientHeight + 1
                                       || link.scrollWidth > link.clientWidth + 1,
            lines: Math.round(text.getBoundingClientRect().height
                              / parseFloat(getComputedStyle(text).lineHeight))}; };
  return {me: shown('header a.me'), group: shown('header a.top-group'),
          header: Math.round(document.querySelector('header.top').getBoundingClientRect().height)};
}"""


def test_her_name_and_the_groups_stay_readable_in_a_360_px_header(  # type: ignore[no-untyped-def]
        app_ctx: Flask, session: Session, browser, live_server: str) -> None:
    demo = demo_pages.load(app_ctx, session)
    _who, membership, _pages = next(w for w in demo.walks() if w[1].role == "member")
    membership.user.name = "Айгүл Токтогулова"
    membership.user.locale = "ru"
    membership.group.name = "Светлая Поляна"
    db.session.commit()
    context = browser.new_context(locale="ru", viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        _sign_in(page, live_server, membership.user.email)
        page.goto(f"{live_server}/groups/{membership.group_id}")
        shown = page.evaluate(HEADER_NAMES)
        screenshot(page, "header-names-360")
    finally:
        context.close()
    # before: «Айгүл Токт…» and «Светлая П…», cut on one line
    assert shown["me"] == {"text": "Айгүл Токтогулова", "cut": False, "lines": 2}, shown
    assert not shown["group"]["cut"] and shown["group"]["lines"] <= 2, shown
    assert shown["header"] <= 740 / 5, shown


def test_tables_keep_their_words_whole_on_a_360_px_phone(  # type: ignore[no-untyped-def]
        app_ctx: Flask, session: Session, browser, live_server: str) -> None:
    """The demo's lists and a round's pages (every round, each state) in
    Russian on a cheap 360 px phone, as the member and as the treasurer: each
    table keeps its words whole (a row reads as a card), its figures at the
    right, and nothing scrolls sideways."""
    demo = demo_pages.load(app_ctx, session)
    for membership in (demo.member, demo.treasurer):
        membership.user.locale = "ru"
    db.session.commit()
    context = browser.new_context(locale="ru", viewport={"width": NARROW, "height": 740})
    page = context.new_page()
    page.set_default_timeout(15000)
    problems: list[str] = []
    seen: set[str] = set()
    try:
        for who, membership, pages in demo.walks()[:2]:
            _sign_in(page, live_server, membership.user.email)
            for endpoint, url in pages:
                if endpoint not in NARROW_PAGES:
                    continue
                response = page.goto(live_server + url)
                if response.status in (403, 404):
                    continue
                assert response.status == 200, f"{who} {url}: {response.status}"
                seen.add(endpoint)
                problems += [f"{who} {p}" for p in _narrow_problems(page, url)]
                screenshot(page, f"360-{who}-{url.strip('/').replace('/', '-')}")
    finally:
        context.close()
    assert seen == NARROW_PAGES
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:80])


def _round_with_two_offers():  # type: ignore[no-untyped-def]
    """A closed round (tomato seed, fabric, NPK) with two suppliers' offers:
    Агро-Каракол is cheaper on seed and fabric, Бишкек-Инструмент on NPK from
    100 kg; the tokens of their links."""
    from datetime import date

    from coop.quotes import domain
    from coop.quotes import services as quotes
    from tests.factories import make_closed_round, make_quote

    k, p = 1000, 1_000_000
    session = db.session
    w = make_closed_round(session)
    w.treasurer.user.locale = "ru"
    qa, ta = make_quote(session, w, "Агро-Каракол")
    qb, tb = make_quote(session, w, "Бишкек-Инструмент")

    def line(pack: int, *tiers: tuple[int, int], code: str) -> domain.LineInput:
        return domain.LineInput(True, pack * k, tuple(domain.Tier(q * k, price * p)
                                                      for q, price in tiers), article_code=code)

    quotes.submit_revision(session, qa, domain.OfferInput(lines={
        w.seed.id: line(25, (0, 40), code="AK-SEED-TOM-25"),
        w.fabric.id: line(30, (0, 25), code="AK-AGRO-FAB-30"),
        w.npk.id: line(50, (0, 75), code="AK-NPK-16-16-16")}, delivery_fee=30000),
        today=date.today())
    quotes.submit_revision(session, qb, domain.OfferInput(lines={
        w.seed.id: line(25, (0, 44), code="BI-S25"),
        w.fabric.id: domain.LineInput(False),
        w.npk.id: line(50, (0, 72), (100, 60), code="BI-NPK-50-KG")}, delivery_fee=40000),
        today=date.today())
    session.commit()
    return w, qa, qb, ta, tb


def test_a_round_from_its_award_to_its_settlement_fits_a_360_px_phone(  # type: ignore[no-untyped-def]
        browser, live_server: str) -> None:
    """The treasurer, on a 360 px phone in Russian, takes a round with two
    suppliers from the comparison through the award's confirmation, a partial
    delivery, its confirmation and the settlement; each page on the way (and
    each supplier's pages after the award) keeps its words whole and nothing
    scrolls sideways."""
    from tests.factories import PASSWORD

    w, qa, qb, ta, tb = _round_with_two_offers()
    group = f"{live_server}/groups/{w.group.id}"
    base = f"{group}/rounds/{w.rnd.id}"
    context = browser.new_context(locale="ru-RU", viewport={"width": NARROW, "height": 740})
    page = context.new_page()
    page.set_default_timeout(15000)
    problems: list[str] = []

    def check(name: str) -> None:
        problems.extend(f"{name} {p}" for p in _narrow_problems(page, page.url))
        screenshot(page, f"360-round-{name}")

    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=login]", w.treasurer.user.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.goto(f"{base}/quotes/compare")
        page.click("form.award-form button[name=split]")
        assert "/quotes/award?" in page.url
        assert "Агро-Каракол" in page.inner_text("main")
        check("award-confirm")
        page.click("form:has(input[name=confirm]) button[type=submit]")
        assert page.url.rstrip("/") == base, page.url
        check("awarded")
        # each supplier's purchase order prints her article codes whole, on one line
        for quote, codes in ((qa, ("AK-SEED-TOM-25", "AK-AGRO-FAB-30")), (qb, ("BI-NPK-50-KG",))):
            order = page.request.get(f"{base}/purchase-orders/{quote.supplier_id}.pdf")
            assert order.status == 200
            printed = {run.text for run in runs(order.body())}
            problems += [f"purchase order: article code {code} broken" for code in codes
                         if code not in printed]
        for quote in (qa, qb):
            page.goto(f"{group}/suppliers/{quote.supplier_id}")
            check(f"supplier-{quote.supplier_id}")
            page.goto(f"{group}/suppliers/{quote.supplier_id}/account")
            check(f"supplier-account-{quote.supplier_id}")

        page.goto(f"{base}/delivery")
        for item, received, damaged in ((w.seed, "50", "5"), (w.fabric, "20", "0"),
                                        (w.npk, "100", "2")):
            page.fill(f"input[name=received_{item.id}]", received)
            page.fill(f"input[name=damaged_{item.id}]", damaged)
        page.click("button[value=preview]")
        check("delivery-preview")
        page.click("button[value=record]")
        assert page.locator(".flash.success").count() == 1, page.inner_text("main")
        check("delivery")
        page.click("a.button[href$='way=short']")
        check("delivery-confirm")
        page.click("form.confirm-form button[type=submit]")
        page.goto(f"{base}/settle")
        assert page.locator("#confirm-bills").count() == 1
        check("settle")
        page.click("form.confirm-form button[type=submit]")
        assert page.locator(".flash.success").count() == 1, page.inner_text("main")
        check("settled")
        page.goto(f"{base}/share/{w.aigul.id}")
        check("share")
        page.goto(f"{group}/suppliers/{qa.supplier_id}/account")
        check("supplier-account-settled")
        page.context.clear_cookies()
        for token in (ta, tb):  # each supplier, through her link
            page.goto(f"{live_server}/q/{token}")
            check(f"supplier-link-{token[:6]}")
    finally:
        context.close()
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:80])


def test_her_api_tokens_read_as_cards_of_whole_words_on_a_phone(  # type: ignore[no-untyped-def]
        app_ctx: Flask, session: Session, browser, live_server: str) -> None:
    """Her API tokens in Kyrgyz on a 360 and a 390 px phone: one card per
    token, each word whole (the table's six columns broke «Ток / ен», the date
    into «07.1 / 2.20 / 26» and the button into «Кайт / ары / п алуу»), nothing
    sideways."""
    demo = demo_pages.load(app_ctx, session)
    demo.treasurer.user.locale = "ky"
    db.session.commit()
    tokens = f"{live_server}/account/tokens"
    for width in (NARROW, WIDTH):
        context = browser.new_context(locale="ky-KG", viewport={"width": width, "height": 800})
        page = context.new_page()
        page.set_default_timeout(15000)
        try:
            _sign_in(page, live_server, demo.treasurer.user.email)
            if width == NARROW:  # two tokens, the first one revoked
                for name in ("Каракол тобунун таблицасы", "Эсепчи"):
                    page.goto(tokens)
                    page.fill("input[name=name]", name)
                    page.click("form:has(input[name=name]) button[type=submit]")
                    assert page.locator("#new-token").count() == 1, page.inner_text("main")
                page.goto(tokens)
                page.click("main table tbody tr:last-child form.inline button")
            assert page.goto(tokens).status == 200
            rows = page.locator("main table tbody tr")
            assert rows.count() == 2, width
            assert page.locator("main .badge.off").count() == 1, width
            assert page.evaluate(BROKEN_WORDS) == [], width
            assert page.evaluate("document.documentElement.scrollWidth") <= width, width
            label = rows.first.locator("td[data-label]").first
            assert label.evaluate("e => getComputedStyle(e, '::before').content") == '"Токен"'
            screenshot(page, f"api-tokens-ky-{width}")
        finally:
            context.close()
