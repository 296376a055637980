"""The app as `make run` installs it: run by .ci/run with the Python of a fresh
virtual environment that has requirements.txt and nothing else.

    python .ci/smoke.py WORKDIR

Migrates a fresh SQLite database in WORKDIR, loads the demo, writes every demo
round's documents (`flask --app wsgi coop documents ID --out DIR`), then, signed
in as each demo treasurer and as a member, follows every link of every page it
reaches (the Flask test client, in this process), asks for "all invoices in one
PDF" of each settled round, and checks that every PDF route of the app was
fetched. Any 5xx, any failed command, any PDF route left unvisited: exit 1.
Uses only what requirements.txt installs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
TREASURERS = ("mairam@coop.example", "farangis@coop.example", "mavluda@coop.example")
MEMBERS = ("aigul@coop.example", "gulchehra@coop.example")
PASSWORD = "demo-password"
MAX_PAGES = 2500  # per person: the demo has a few hundred
HREF = re.compile(r'href="([^"#]+)')
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def run(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"smoke: flask {' '.join(args)} failed ({done.returncode}):\n"
                 f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def main(workdir: Path) -> int:
    started = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "smoke.sqlite"
    database.unlink(missing_ok=True)
    env = {**os.environ, "COOP_SECRET_KEY": "smoke", "COOP_DATABASE_URL": f"sqlite:///{database}"}
    env.pop("COOP_REDIS_URL", None)  # as `make run`: no Redis, jobs run in the request
    os.environ.update({k: env[k] for k in ("COOP_SECRET_KEY", "COOP_DATABASE_URL")})
    os.environ.pop("COOP_REDIS_URL", None)
    run("db", "upgrade", env=env)
    run("coop", "demo", env=env)

    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    from coop import create_app
    from coop.extensions import db
    from coop.orders.models import Round

    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context():
        rounds = list(db.session.execute(select(Round.id, Round.state).order_by(Round.id)))
    if not rounds:
        sys.exit("smoke: the demo has no rounds")
    for round_id, _state in rounds:
        out = workdir / f"documents-{round_id}"
        run("coop", "documents", str(round_id), "--out", str(out), env=env)
        pdfs = list(out.glob("*.pdf"))
        if any(not p.read_bytes().startswith(b"%PDF") for p in pdfs):
            sys.exit(f"smoke: round {round_id}: a document is not a PDF")
        print(f"round {round_id}: {len(pdfs)} documents written")

    pdf_rules = {r.endpoint for r in app.url_map.iter_rules()
                 if r.rule.endswith(".pdf") and "GET" in (r.methods or ())}
    seen_endpoints: set[str] = set()
    failures: list[str] = []
    settled = [rid for rid, state in rounds if state == "settled"]
    for person in TREASURERS + MEMBERS:
        failures += crawl(app, person, settled if person in TREASURERS else [],
                          seen_endpoints)
    failures += as_supplier(app, seen_endpoints)
    for endpoint in ("documents.supplier_purchase_order", "documents.supplier_discrepancy_report"):
        if endpoint not in seen_endpoints:
            pdf_rules.discard(endpoint)  # not in the demo: said above
    missing = sorted(pdf_rules - seen_endpoints)
    if missing:
        failures.append(f"PDF routes never fetched: {', '.join(missing)}")
    print(f"smoke: {len(seen_endpoints)} endpoints reached, "
          f"{len(pdf_rules & seen_endpoints)} of {len(pdf_rules)} PDF routes, "
          f"{time.monotonic() - started:.0f} s")
    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures else 0


def crawl(app, person: str, settled: list[int], seen_endpoints: set[str]) -> list[str]:  # type: ignore[no-untyped-def]
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = CSRF.search(login_page)
    response = client.post("/login", data={"login": person, "password": PASSWORD,
                                           "csrf_token": token.group(1) if token else ""})
    if response.status_code != 302:
        return [f"{person}: sign-in answered {response.status_code}"]
    adapter = app.url_map.bind("localhost")
    failures: list[str] = []
    queue: deque[str] = deque(["/"])
    visited: set[str] = set()
    statuses: dict[int, int] = {}
    csrf = ""
    while queue and len(visited) < MAX_PAGES:
        url = queue.popleft()
        if url in visited:
            continue
        visited.add(url)
        response = client.get(url)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        path = urlsplit(url).path
        try:
            endpoint, _args = adapter.match(path, method="GET")
            seen_endpoints.add(endpoint)
        except Exception:  # a 404 page is fine: it is counted
            endpoint = ""
        if response.status_code >= 500:
            failures.append(f"{person}: GET {url} answered {response.status_code}")
            continue
        if response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        found = CSRF.search(html)
        csrf = found.group(1) if found else csrf
        for link in HREF.findall(html):
            link = link.replace("&amp;", "&")
            target = urlsplit(urljoin(url, link))
            if target.netloc not in ("", "localhost") or not target.path.startswith("/"):
                continue
            if target.path in ("/logout",) or target.path.startswith("/static/"):
                continue
            local = target.path + (f"?{target.query}" if target.query else "")
            if local not in visited:
                queue.append(local)
    for round_id in settled:  # "all invoices in one PDF", as the button asks for it
        for group_path in {u.split("/rounds/")[0] for u in visited if f"/rounds/{round_id}" in u}:
            prepare = client.post(f"{group_path}/rounds/{round_id}/invoices/prepare",
                                  data={"csrf_token": csrf}, follow_redirects=True)
            seen_endpoints.add("documents.all_invoices")
            if prepare.status_code >= 500 or not prepare.data.startswith(b"%PDF"):
                failures.append(f"{person}: all invoices of round {round_id} answered "
                                f"{prepare.status_code} {prepare.mimetype}")
    print(f"{person}: {len(visited)} pages, statuses {dict(sorted(statuses.items()))}")
    return failures


def as_supplier(app, seen_endpoints: set[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """Each supplier opens her link (made anew here: only its hash is stored);
    one whose quote was awarded prints her purchase order, and her delivery
    discrepancy report once her delivery is recorded. The demo awards no
    quote (the newcomer does that), so their PDF routes count as reached only
    when one is awarded (and delivered)."""
    from sqlalchemy import select

    from coop.documents import services as documents
    from coop.extensions import db
    from coop.quotes import services as quotes
    from coop.quotes.models import Quote

    failures = []
    with app.app_context():
        links = [(quotes.new_link(db.session, q), bool(q.awards),
                  bool(q.awards) and documents.discrepancy_report_ready(db.session, q.round,
                                                                         q.supplier))
                 for q in db.session.scalars(select(Quote).order_by(Quote.id))]
        db.session.commit()
    client = app.test_client()
    for raw, awarded, delivered in links:
        urls = ([f"/q/{raw}"] + ([f"/q/{raw}/purchase-order.pdf"] if awarded else [])
                + ([f"/q/{raw}/discrepancy-report.pdf"] if delivered else []))
        for url in urls:
            response = client.get(url)
            if response.status_code >= 400:
                failures.append(f"supplier: GET {url.replace(raw, 'TOKEN')} answered "
                                f"{response.status_code}")
        if awarded:
            seen_endpoints.add("documents.supplier_purchase_order")
        if delivered:
            seen_endpoints.add("documents.supplier_discrepancy_report")
    if not any(awarded for _raw, awarded, _delivered in links):
        print("suppliers: no awarded quote in the demo, her purchase order is not fetched")
    if not any(delivered for _raw, _awarded, delivered in links):
        print("suppliers: no delivery of an awarded quote in the demo, her discrepancy "
              "report is not fetched")
    print(f"suppliers: {len(links)} links opened")
    return failures


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
