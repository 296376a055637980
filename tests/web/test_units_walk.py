"""Every page and document of the demo in Russian (the walk of
tests/demo_pages.py: every GET route of the URL map, every round in each of
its states, as the treasurer and as a member, and the supplier's quote page),
and the pages shown only after a form (confirmations): no number next to a
unit noun that does not agree with it ("19 пакет", "по 1 пакет")."""

from __future__ import annotations

import html
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from tests import demo_pages
from tests.conftest import login
from tests.web.test_units_pages import disagreements


def _text(response) -> str:  # type: ignore[no-untyped-def]
    """What she reads: the page's text (entities decoded, tags kept apart so
    that a number and a word of another cell never meet), a PDF's text, a
    CSV's cells."""
    if response.mimetype == "application/pdf":
        return "\n".join(page.extract_text() or "" for page in
                         PdfReader(io.BytesIO(response.data)).pages)
    if response.mimetype == "application/zip":  # CSVs in a zip (the time bank's export)
        import zipfile

        archive = zipfile.ZipFile(io.BytesIO(response.data))
        return "\n".join(archive.read(name).decode("utf-8-sig")
                         for name in archive.namelist())
    text = response.get_data(as_text=True)
    if response.mimetype == "text/html":
        text = re.sub(r"<(script|style)\b.*?</\1>", "\n", text, flags=re.S | re.I)
        text = html.unescape(re.sub(r"<[^>]+>", "\n", text))
    return text


EN_NOUNS = ["kilogram", "gram", "tonne", "litre", "piece", "pack", "bag", "sack", "box", "jar",
            "bottle", "bunch", "metre"]
_EN_PLURAL = {noun: noun + ("es" if noun.endswith(("x", "ch")) else "s") for noun in EN_NOUNS}
_EN_WORDS = {**{s: True for s in EN_NOUNS}, **{p: False for p in _EN_PLURAL.values()}}
_EN_NUMBER_WORD = re.compile(r"(?<![\d,.])(\d[\d,]*(?:\.\d+)?)[ \u00a0](" + "|".join(
    sorted(_EN_WORDS, key=len, reverse=True)) + r")(?![a-z])")


def english_disagreements(text: str) -> list[str]:
    """'1 bags', '2 bag': a singular noun after exactly 1, a plural after any
    other number ('2.5 kilograms', '0 bags')."""
    return [m.group(0) for m in _EN_NUMBER_WORD.finditer(text)
            if _EN_WORDS[m.group(2)] != (m.group(1) == "1")]


def test_the_english_check_catches_a_wrong_number() -> None:
    assert english_disagreements("1 bags, 2 bag, 2.5 kilogram; 1 bag, 2 boxes, 0.5 kilograms"
                                 ) == ["1 bags", "2 bag", "2.5 kilogram"]


def _walk(client: FlaskClient, urls: list[str], found: dict[str, str],
          check=disagreements) -> int:  # type: ignore[no-untyped-def]
    seen = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200:
            continue
        seen += 1
        for wrong in check(_text(response)):
            found.setdefault(wrong, url)
    return seen


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_no_page_or_document_of_the_demo_has_a_unit_that_does_not_agree(
        app_ctx: Flask, session: Session, locale: str) -> None:
    demo = demo_pages.load(app_ctx, session)
    for membership in demo.group.memberships:
        membership.user.locale = locale
    session.commit()
    check = disagreements if locale == "ru" else english_disagreements
    urls = [url for endpoint, url in demo.pages if endpoint != "auth.logout"]
    found: dict[str, str] = {}
    seen = 0
    for _who, membership, pages in demo.walks():
        client = app_ctx.test_client()
        login(client, membership.user.email, "demo-password")
        seen += _walk(client, [url for endpoint, url in pages if endpoint != "auth.logout"],
                      found, check)
    # the supplier's page, by her link (in her language, Russian in the demo)
    from coop.quotes.models import Quote

    assert session.get(Quote, demo.params["quote_id"]).supplier.language == "ru"
    seen += _walk(app_ctx.test_client(), [f"/q/{demo.supplier_token}"], found, disagreements)
    documents = [url for url in urls if demo_pages.is_document(url)]
    assert seen > 100 and len(documents) >= 5, (seen, documents)
    assert not found, "\n".join(f"“{w}” on {url}" for w, url in found.items())


def _selected(form: str) -> dict[str, str]:
    """The values a browser sends for a form's selects and hidden inputs."""
    values = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form,
                                    flags=re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options) or \
            re.search(r'<option[^>]*value="([^"]*)"', options)
        values[name] = html.unescape(chosen.group(1))
    return values


def test_the_award_and_delivery_confirmations_agree_too(app_ctx: Flask,
                                                       session: Session) -> None:
    """The pages shown on the way through a form: the award's confirmation
    (with the choices of the comparison page), then, the round awarded, its
    delivery, the delivery's preview and its confirmation."""
    demo = demo_pages.load(app_ctx, session)
    demo.treasurer.user.locale = "ru"
    session.commit()
    quoting = next(r for r in demo.rounds if r.state == "quoting")
    client = app_ctx.test_client()
    login(client, demo.treasurer.user.email, "demo-password")
    base = f"/groups/{demo.group.id}/rounds/{quoting.id}"
    found: dict[str, str] = {}
    compare = client.get(f"{base}/quotes/compare").get_data(as_text=True)
    form = re.search(r'<form method="get" action="([^"]+)"[^>]*award-form">(.*?)</form>',
                     compare, flags=re.S)
    confirm = client.get(html.unescape(form.group(1)),
                         query_string={**_selected(form.group(2)), "split": "1"})
    assert confirm.status_code == 200, confirm.get_data(as_text=True)[:2000]
    for wrong in disagreements(_text(confirm)):
        found.setdefault(wrong, "confirm award")
    page = confirm.get_data(as_text=True)
    award = re.search(r'<form method="post" action="([^"]+/quotes/award)"[^>]*>(.*?)</form>',
                      page, flags=re.S)
    assert client.post(award.group(1), data=_selected(award.group(2))).status_code in (302, 303)
    delivery = client.get(f"{base}/delivery").get_data(as_text=True)
    received = {name: "1" for name in re.findall(r'name="(received_\d+)"', delivery)}
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', delivery).group(1)
    # the preview answers with a redirect to its own address (post/redirect/get)
    preview = client.post(f"{base}/delivery", data={**received, "csrf_token": token,
                                                   "action": "preview"}, follow_redirects=True)
    assert preview.status_code in (200, 422) and received
    pages = {"delivery": client.get(f"{base}/delivery"), "delivery preview": preview,
             "confirm delivery": client.get(f"{base}/confirm-delivery")}
    assert pages["confirm delivery"].status_code == 200
    for name, response in pages.items():
        for wrong in disagreements(_text(response)):
            found.setdefault(wrong, name)
    assert not found, "\n".join(f"“{w}” on {url}" for w, url in found.items())
