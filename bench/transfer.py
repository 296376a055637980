"""What a member's pages cost on slow mobile data: `python bench/transfer.py`.

Loads the demo into a throwaway SQLite database made by the migrations, signs
in as a demo member in Russian, and walks every page she can reach from her
group's dashboard (links under /groups/…, /account/…, PDFs and CSV left out).
For each page it prints the body's size as sent without gzip and with it, and
the whole response with gzip (status line, headers and body), which is what
crosses the air. The target: every member page under 10 KB gzipped
(tests/web/test_transfer.py asserts it). The stylesheet comes once and is then
cached for a year under its versioned URL.
"""

from __future__ import annotations

import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask
from flask.testing import FlaskClient

LIMIT_BYTES = 10 * 1024
MEMBER_LOGIN = "aigul@coop.example"
MAX_PAGES = 60
_HREF = re.compile(r'href="(/[^"#]*)"')
_SKIP = re.compile(r"\.(pdf|csv|css|svg|png)(\?|$)|/logout|/export|/download|/pdf")


@dataclass(frozen=True)
class Transfer:
    path: str
    plain: int  # body bytes without gzip
    gzipped: int  # body bytes with gzip
    total: int  # status line + headers + gzipped body: what crosses the air

    @property
    def saving(self) -> float:
        return 1 - self.gzipped / self.plain if self.plain else 0.0


def sign_in(client: FlaskClient, login: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on the sign-in page"
    response = client.post("/login", data={"csrf_token": token.group(1), "login": login,
                                           "password": password})
    assert response.status_code == 302, response.status_code


def measure(client: FlaskClient, path: str) -> Transfer | None:
    """The page twice, as a browser that takes gzip and one that does not."""
    plain = client.get(path, headers={"Accept-Language": "ru"})
    if plain.status_code != 200 or plain.mimetype != "text/html":
        return None
    packed = client.get(path, headers={"Accept-Language": "ru", "Accept-Encoding": "gzip"})
    head = len(f"HTTP/1.1 {packed.status}\r\n") + sum(
        len(f"{name}: {value}\r\n") for name, value in packed.headers.items()) + 2
    return Transfer(path, len(plain.get_data()), len(packed.get_data()),
                    head + len(packed.get_data()))


def member_pages(client: FlaskClient, start: str) -> list[str]:
    """Every page reachable from `start` through links on the member's pages."""
    seen: list[str] = []
    queue = [start]
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen or _SKIP.search(path):
            continue
        response = client.get(path, headers={"Accept-Language": "ru"})
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        seen.append(path)
        for link in _HREF.findall(response.get_data(as_text=True)):
            link = link.replace("&amp;", "&")
            if (link.startswith(("/groups/", "/account/")) and link not in seen
                    and link not in queue):
                queue.append(link)
    return seen


def member_transfers(app: Flask) -> list[Transfer]:
    """The demo must be loaded in `app`'s database."""
    from sqlalchemy import select

    from coop.demo import DEMO_PASSWORD
    from coop.extensions import db
    from coop.groups.models import Group, Membership

    with app.app_context():
        from coop.auth.models import User

        user = db.session.scalar(select(User).where(User.email == MEMBER_LOGIN))
        assert user is not None, "load the demo first"
        group_id = db.session.scalar(select(Group.id).join(Membership).where(
            Membership.user_id == user.id).order_by(Membership.id))
    client = app.test_client()
    sign_in(client, MEMBER_LOGIN, DEMO_PASSWORD)
    pages = member_pages(client, f"/groups/{group_id}")
    return [t for t in (measure(client, path) for path in pages) if t is not None]


def stylesheet(app: Flask) -> Transfer | None:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    href = re.search(r'href="(/static/coop\.css[^"]*)"', page)
    if not href:
        return None
    path = href.group(1).replace("&amp;", "&")
    plain = client.get(path)
    packed = client.get(path, headers={"Accept-Encoding": "gzip"})
    head = sum(len(f"{n}: {v}\r\n") for n, v in packed.headers.items())
    print(f"stylesheet {path}: Cache-Control: {packed.headers.get('Cache-Control')}")
    return Transfer(path, len(plain.get_data()), len(packed.get_data()),
                    head + len(packed.get_data()))


def report(transfers: list[Transfer]) -> str:
    lines = [f"{'page':58} {'plain':>8} {'gzip':>8} {'saved':>6} {'on air':>8}"]
    for t in transfers:
        flag = "" if t.total < LIMIT_BYTES else "  OVER 10 KB"
        lines.append(f"{t.path[:58]:58} {t.plain:8,} {t.gzipped:8,} {t.saving:6.0%} "
                     f"{t.total:8,}{flag}")
    if transfers:
        plain = sum(t.plain for t in transfers)
        packed = sum(t.gzipped for t in transfers)
        lines.append(f"{'all ' + str(len(transfers)) + ' pages':58} {plain:8,} {packed:8,} "
                     f"{1 - packed / plain:6.0%}")
    return "\n".join(lines)


def main() -> None:
    from flask_migrate import upgrade

    from coop import create_app
    from coop.config import testing_config
    from coop.demo import load_demo
    from coop.extensions import db

    migrations = str(Path(__file__).resolve().parent.parent / "migrations")
    with tempfile.TemporaryDirectory() as tmp:
        config = testing_config(f"sqlite:///{tmp}/transfer.sqlite")
        config["BABEL_DEFAULT_LOCALE"] = "ru"
        config["SPLIT_CACHE_CHECK"] = False
        app = create_app(config)
        with app.app_context():
            upgrade(directory=migrations)
            load_demo(db.session)
            db.session.commit()
        transfers = member_transfers(app)
        print(f"A member's pages at the demo's size (signed in as {MEMBER_LOGIN}, Russian):")
        print(report(transfers))
        css = stylesheet(app)
        if css:
            print(report([css]).splitlines()[1])
        worst = max(transfers, key=lambda t: t.total)
        print(f"largest on air: {worst.path} {worst.total:,} bytes "
              f"({'under' if worst.total < LIMIT_BYTES else 'OVER'} the 10 KB target)")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
