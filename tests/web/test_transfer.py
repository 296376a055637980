"""What pages cost on slow mobile data: gzip when the browser takes it,
static files under content-hashed URLs cached for a year, and a member's pages
under 10 KB at the demo's size."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from bench.transfer import LIMIT_BYTES, member_transfers, report
from coop.extensions import db
from coop.transfer import IMMUTABLE, StaticVersions
from tests.conftest import login
from tests.factories import make_group, make_member, make_product, make_supplier


def test_html_is_gzipped_only_for_a_browser_that_takes_it(client: FlaskClient) -> None:
    plain = client.get("/login")
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    packed = client.get("/login", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert int(packed.headers["Content-Length"]) == len(packed.get_data())
    assert len(packed.get_data()) < len(plain.get_data()) * 0.6
    html = gzip.decompress(packed.get_data()).decode()
    # the same page (but for the CSRF token, new with each answer)
    strip = re.compile(r'value="[^"]{40,}"')
    assert strip.sub("", html) == strip.sub("", plain.get_data(as_text=True))
    refused = client.get("/login", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    head = client.head("/login", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in head.headers


def test_json_and_csv_are_gzipped_small_answers_are_not(client: FlaskClient,
                                                        session: Session) -> None:
    doc = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert doc.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(doc.get_data()).startswith(b"{")
    group = make_group(session)
    treasurer = make_member(session, group, role="treasurer")
    supplier = make_supplier(session, group)
    for i in range(12):
        make_product(session, supplier, name=f"Семена {i}")
    session.commit()
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/suppliers/{supplier.id}/export.csv"
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    # a redirect's few bytes are not worth it
    small = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert small.status_code == 302 and "Content-Encoding" not in small.headers


def test_what_is_compressed_already_is_left_alone(app: Flask) -> None:
    from flask import Response

    from coop.transfer import compress_response

    with app.test_request_context("/", headers={"Accept-Encoding": "gzip"}):
        pdf = compress_response(Response(b"%PDF-1.4" + b"0" * 5000, mimetype="application/pdf"))
        assert "Content-Encoding" not in pdf.headers and "Vary" not in pdf.headers
        html = compress_response(Response("<p>" + "x" * 5000, mimetype="text/html"))
        assert html.headers["Content-Encoding"] == "gzip"
        done = Response(gzip.compress(b"x" * 5000), mimetype="text/csv")
        done.headers["Content-Encoding"] = "gzip"
        assert compress_response(done).get_data() == done.get_data()


def test_static_files_have_versioned_urls_cached_for_a_year(client: FlaskClient,
                                                             app: Flask) -> None:
    page = client.get("/login").get_data(as_text=True)
    href = re.search(r'href="(/static/coop\.css\?v=([0-9a-f]{12}))"', page)
    assert href, "the stylesheet's URL carries its content hash"
    css = client.get(href.group(1), headers={"Accept-Encoding": "gzip"})
    assert css.status_code == 200
    assert css.headers["Cache-Control"] == IMMUTABLE
    assert "Expires" not in css.headers
    assert css.headers["Content-Encoding"] == "gzip"
    body = gzip.decompress(css.get_data())
    assert body == (Path(app.static_folder) / "coop.css").read_bytes()
    # the hash is the content's
    import hashlib

    assert href.group(2) == hashlib.sha256(body).hexdigest()[:12]
    # an old version's URL gets today's file, revalidated as usual, never cached a year
    stale = client.get("/static/coop.css?v=000000000000")
    assert stale.status_code == 200 and stale.headers["Cache-Control"] != IMMUTABLE
    bare = client.get("/static/coop.css")
    assert "immutable" not in bare.headers.get("Cache-Control", "")
    # a blueprint's static file is versioned too
    from coop.quotes.views import bp as quotes_bp

    with app.test_request_context("/"):
        from flask import url_for

        assert re.search(r"/quotes\.css\?v=[0-9a-f]{12}$",
                         url_for(f"{quotes_bp.name}.static", filename="quotes.css"))


def test_the_browsers_icon_is_a_small_file_cached_not_a_404_page(client: FlaskClient,
                                                                   app: Flask) -> None:
    """Every browser asks a site for its icon; a 404 page in its place cost a
    round trip and a page of HTML on every first visit, on slow mobile data."""
    page = client.get("/login").get_data(as_text=True)
    href = re.search(r'<link rel="icon" type="image/png" href="(/static/favicon\.png\?v='
                     r'[0-9a-f]{12})">', page)
    assert href, "the pages name the icon under its content hash"
    icon = client.get(href.group(1))
    assert icon.status_code == 200 and icon.headers["Cache-Control"] == IMMUTABLE
    body = icon.get_data()
    assert body.startswith(b"\x89PNG") and len(body) < 1024
    # asked for where browsers look without a page's word: the same, cached a week
    asked = client.get("/favicon.ico")
    assert asked.status_code == 200 and asked.get_data() == body
    assert asked.mimetype == "image/png"
    assert sorted(asked.headers["Cache-Control"].split(", ")) == ["max-age=604800", "public"]
    assert "Expires" in asked.headers


def test_a_changed_file_gets_a_new_version(tmp_path: Path) -> None:
    versions = StaticVersions()
    style = tmp_path / "a.css"
    style.write_text("body{color:red}")
    first = versions.of(str(tmp_path), "a.css")
    assert first == versions.of(str(tmp_path), "a.css")
    style.write_text("body{color:blue;}")
    assert versions.of(str(tmp_path), "a.css") not in (None, first)
    assert versions.of(str(tmp_path), "../etc/passwd") is None
    assert versions.of(str(tmp_path), "missing.css") is None


def test_member_pages_stay_under_10_kb_gzipped_at_the_demos_size(app_ctx: Flask) -> None:
    from coop.demo import load_demo

    load_demo(db.session)
    db.session.commit()
    transfers = member_transfers(app_ctx)
    print("\n" + report(transfers))
    paths = [t.path for t in transfers]
    # her dashboard, rounds, order and share pages, her account and documents, sales
    assert len(transfers) >= 12
    assert any(p.endswith("/share") for p in paths) and any(p.endswith("/order") for p in paths)
    assert any("/accounts/" in p for p in paths)
    for t in transfers:
        assert t.gzipped < t.plain * 0.6, t
        assert t.total < LIMIT_BYTES, t
