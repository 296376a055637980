"""Numbers under concurrent issuing: each thread has its own connection and
transaction, as app workers would. On PostgreSQL (COOP_TEST_DATABASE_URL)
they really run at once; on SQLite the database lock takes them in turn.
Either way: unique, gapless, and a document is never numbered twice."""

from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.documents import services
from coop.documents.models import Document, DocumentCounter
from coop.extensions import db
from coop.groups.models import Membership
from coop.orders.models import Round
from tests.factories import make_settled_round


def run_together(app, work, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Run work(session, i) in n threads that start together; each commits."""
    barrier = threading.Barrier(n)
    outcomes: list[str] = []

    def worker(i: int) -> None:
        with app.app_context(), Session(db.engine) as session:
            barrier.wait()
            try:
                work(session, i)
                session.commit()
                outcomes.append("ok")
            except Exception as exc:  # reported in the assertion
                session.rollback()
                outcomes.append(f"{type(exc).__name__}: {exc}"[:200])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def test_invoices_issued_at_once_are_numbered_gapless(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_settled_round(session, members=8)
    session.commit()
    round_id, member_ids = w.rnd.id, [m.id for m in w.members]

    def issue(s: Session, i: int) -> None:
        services.issue_invoice(s, s.get(Round, round_id), s.get(Membership, member_ids[i]), None)

    outcomes = run_together(app_ctx, issue, len(member_ids))
    assert outcomes == ["ok"] * len(member_ids), outcomes
    session.expire_all()
    seqs = sorted(session.scalars(select(Document.seq).where(Document.round_id == round_id)))
    assert seqs == list(range(1, len(member_ids) + 1))
    assert session.scalar(select(DocumentCounter.last)) == len(member_ids)


def test_the_same_invoice_asked_for_at_once_is_issued_once(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    w = make_settled_round(session, members=2)
    session.commit()
    round_id, member_id = w.rnd.id, w.members[0].id
    numbers: list[str] = []
    lock = threading.Lock()

    def issue(s: Session, _i: int) -> None:
        document = services.issue_invoice(s, s.get(Round, round_id),
                                          s.get(Membership, member_id), None)
        with lock:
            numbers.append(document.number)

    outcomes = run_together(app_ctx, issue, 6)
    assert outcomes == ["ok"] * 6, outcomes
    assert len(set(numbers)) == 1, numbers
    session.expire_all()
    assert len(list(session.scalars(select(Document)))) == 1
    assert session.scalar(select(DocumentCounter.last)) == 1


def test_mixed_types_and_groups_at_once(app_ctx, session: Session) -> None:  # type: ignore[no-untyped-def]
    a = make_settled_round(session, members=3)
    b = make_settled_round(session, members=3)
    session.commit()
    jobs = [(a.rnd.id, "invoices"), (a.rnd.id, "orders"), (b.rnd.id, "invoices"),
            (b.rnd.id, "orders"), (a.rnd.id, "invoices"), (b.rnd.id, "invoices")]

    def issue(s: Session, i: int) -> None:
        round_id, what = jobs[i]
        rnd = s.get(Round, round_id)
        if what == "invoices":
            services.issue_invoices(s, rnd, None)
        else:
            services.issue_purchase_orders(s, rnd, None)

    outcomes = run_together(app_ctx, issue, len(jobs))
    assert outcomes == ["ok"] * len(jobs), outcomes
    session.expire_all()
    for world in (a, b):
        invoices = sorted(session.scalars(select(Document.seq).where(
            Document.group_id == world.group.id, Document.doc_type == "invoice")))
        orders = sorted(session.scalars(select(Document.seq).where(
            Document.group_id == world.group.id, Document.doc_type == "purchase_order")))
        assert invoices == [1, 2, 3] and orders == [1]
