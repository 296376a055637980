"""Background jobs (coop.jobs): all the invoices of a round issued by an RQ
worker, with "n of N" progress kept in the job; without Redis, no queue, and
the same function issues them in the request."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop import jobs
from coop.documents.models import INVOICE, Document
from tests.integration.test_scale_out import redis_url, require_redis, settled_round

REDIS_DB = 15  # flushed by this test: no other use of it, please


def _invoice_seqs(session: Session, group_id: int) -> list[int]:
    session.expire_all()
    return list(session.scalars(select(Document.seq).where(
        Document.group_id == group_id, Document.doc_type == INVOICE).order_by(Document.seq)))


def test_a_worker_issues_the_invoices_of_a_round_and_reports_progress(
        app_ctx, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    connection = require_redis(REDIS_DB)
    monkeypatch.setitem(app_ctx.config, "REDIS_URL", redis_url(REDIS_DB))
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 2)
    group, treasurer, _members, rnd = settled_round(session, members=5)
    session.commit()
    job_id = jobs.start_round_invoices(rnd.id, treasurer.user_id)
    assert job_id is not None
    assert jobs.start_round_invoices(rnd.id, treasurer.user_id) == job_id  # queued once
    waiting = jobs.progress(job_id)
    assert waiting is not None and waiting.status == "queued" and waiting.done == 0

    seen: list[tuple[int, int]] = []
    real_report = jobs._report

    def spy(done: int, total: int) -> None:
        seen.append((done, total))
        real_report(done, total)

    monkeypatch.setattr(jobs, "_report", spy)
    worker = jobs.make_worker(jobs.queue())
    assert worker.work(burst=True, max_jobs=1)

    finished = jobs.progress(job_id)
    assert finished is not None and finished.finished, finished
    assert (finished.done, finished.total) == (5, 5)
    assert seen[0] == (0, 5) and (2, 5) in seen and (4, 5) in seen and seen[-1] == (5, 5)
    assert _invoice_seqs(session, group.id) == [1, 2, 3, 4, 5]
    connection.flushdb()


def test_a_failed_job_says_why(app_ctx, session: Session,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    from coop.orders import services as orders
    from tests.factories import make_group, make_member, make_product, make_supplier

    connection = require_redis(REDIS_DB)
    monkeypatch.setitem(app_ctx.config, "REDIS_URL", redis_url(REDIS_DB))
    group = make_group(session)
    treasurer = make_member(session, group, role="treasurer")
    product = make_product(session, make_supplier(session, group))
    rnd = orders.create_round(session, group, treasurer.user, title="Не готов", deadline=None,
                              product_ids=[product.id])
    session.commit()
    group_id = group.id  # the worker shares this test's session, and drops it
    job_id = jobs.start_round_invoices(rnd.id, treasurer.user_id)
    assert job_id is not None
    jobs.make_worker(jobs.queue()).work(burst=True, max_jobs=1)
    failed = jobs.progress(job_id)
    assert failed is not None and failed.failed
    assert "settled" in failed.error  # "Invoices are issued once the round is settled."
    assert _invoice_seqs(session, group_id) == []
    connection.flushdb()


def test_without_redis_there_is_no_queue_and_the_request_issues_them(
        app_ctx, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app_ctx.config, "REDIS_URL", None)
    group, treasurer, _members, rnd = settled_round(session, members=3)
    session.commit()
    assert jobs.queue() is None
    assert jobs.start_round_invoices(rnd.id, treasurer.user_id) is None
    assert jobs.progress("anything") is None
    assert jobs.issue_round_invoices(rnd.id, treasurer.user_id) == {"issued": 3}
    assert _invoice_seqs(session, group.id) == [1, 2, 3]
    # again: the same invoices, no new numbers
    assert jobs.issue_round_invoices(rnd.id, treasurer.user_id) == {"issued": 3}
    assert _invoice_seqs(session, group.id) == [1, 2, 3]


def test_the_worker_command_needs_redis(runner, app_ctx,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app_ctx.config, "REDIS_URL", None)
    result = runner.invoke(args=["coop", "worker", "--burst"])
    assert result.exit_code != 0
    assert "COOP_REDIS_URL" in result.output


def _treasurer_prepares_invoices(app_ctx, session: Session, members: int):  # type: ignore[no-untyped-def]
    """A settled round's treasurer presses "prepare the invoices": (client,
    group, the invoices' base URL, the response)."""
    from tests.conftest import login, post

    group, treasurer, _members, rnd = settled_round(session, members=members)
    session.commit()
    client = app_ctx.test_client()
    login(client, treasurer.user.email)
    base = f"/groups/{group.id}/rounds/{rnd.id}/invoices"
    return client, group, base, post(client, f"{base}/prepare")


def test_the_page_starts_the_job_and_shows_its_progress(app_ctx, session: Session,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    connection = require_redis(REDIS_DB)
    monkeypatch.setitem(app_ctx.config, "REDIS_URL", redis_url(REDIS_DB))
    client, group, base, started = _treasurer_prepares_invoices(app_ctx, session, 3)
    assert started.status_code == 302 and started.headers["Location"].endswith(
        f"{base}/progress")
    waiting = client.get(f"{base}/progress").get_data(as_text=True)
    assert 'http-equiv="refresh"' in waiting and "Waiting for the worker" in waiting
    assert jobs.make_worker(jobs.queue()).work(burst=True, max_jobs=1)
    done = client.get(f"{base}/progress").get_data(as_text=True)
    assert "All 3 invoices are ready" in done and 'http-equiv="refresh"' not in done
    assert _invoice_seqs(session, group.id) == [1, 2, 3]
    connection.flushdb()


def test_without_redis_the_page_issues_them_in_the_request(app_ctx, session: Session) -> None:
    client, group, base, started = _treasurer_prepares_invoices(app_ctx, session, 2)
    assert started.headers["Location"].endswith(f"{base}.pdf")
    assert client.get(started.headers["Location"]).mimetype == "application/pdf"
    assert _invoice_seqs(session, group.id) == [1, 2]


def test_each_job_of_the_worker_starts_on_a_fresh_database_session(
        app_ctx, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Objects are not expired on commit, so the worker (one app context for
    all its jobs) must not hand a job the session an earlier job filled."""
    from coop.extensions import db

    connection = require_redis(REDIS_DB)
    monkeypatch.setitem(app_ctx.config, "REDIS_URL", redis_url(REDIS_DB))
    _group, treasurer, _members, rnd = settled_round(session, members=2)
    session.commit()
    rnd_id, actor_id = rnd.id, treasurer.user_id
    used: list[Session] = []
    real_report = jobs._report

    def spy(done: int, total: int) -> None:
        used.append(db.session())
        real_report(done, total)

    monkeypatch.setattr(jobs, "_report", spy)
    assert jobs.start_round_invoices(rnd_id, actor_id) is not None
    assert jobs.make_worker(jobs.queue()).work(burst=True, max_jobs=1)
    assert used and db.session() is not used[0]
    finished = jobs.progress(jobs.invoices_job_id(rnd_id))
    assert finished is not None and finished.finished and finished.done == 2
    connection.flushdb()
