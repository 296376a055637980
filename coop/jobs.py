"""Background jobs: long work (all the invoices of a large round) on RQ, with
Redis (COOP_REDIS_URL), run by `flask --app wsgi coop worker`, with its
progress kept in the job for a page to show ("n of N"). Without Redis there is
no queue: the caller does the work in the request, as before.

A job function runs inside the worker's app context, like a view: it calls a
service and commits once; a DomainError fails the job with its message."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

QUEUE_NAME = "coop"
JOB_TIMEOUT = 30 * 60  # seconds: thousands of PDFs take minutes, not hours
RESULT_TTL = 24 * 3600  # a finished job (and its "n of N") is kept for a day
PROGRESS_EVERY = 10  # documents between two progress saves (one Redis write each)
ACTIVE = ("queued", "started", "deferred", "scheduled")


def redis_connection():  # type: ignore[no-untyped-def]
    """The app's Redis (COOP_REDIS_URL), or None."""
    url = current_app.config.get("REDIS_URL")
    return _redis(url) if url else None


@lru_cache(maxsize=8)
def _redis(url: str):  # type: ignore[no-untyped-def]
    """One client (and its connection pool) per URL, not one per call."""
    from redis import Redis

    return Redis.from_url(url)


def queue():  # type: ignore[no-untyped-def]
    """The app's job queue, or None without Redis."""
    connection = redis_connection()
    if connection is None:
        return None
    from rq import Queue

    return Queue(QUEUE_NAME, connection=connection, default_timeout=JOB_TIMEOUT)


@dataclass(frozen=True)
class Progress:
    status: str  # queued | started | finished | failed | …
    done: int
    total: int | None  # None until the job has counted
    error: str = ""

    @property
    def finished(self) -> bool:
        return self.status == "finished"

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "stopped", "canceled")


def _report(done: int, total: int) -> None:
    """Keep the progress in the running job (nothing outside a job)."""
    from rq import get_current_job

    job = get_current_job()
    if job is not None:
        job.meta.update(done=done, total=total)
        job.save_meta()


# --------------------------------------------------------------------------
# All the invoices of a settled round
# --------------------------------------------------------------------------


def invoices_job_id(round_id: int) -> str:
    return f"round-{round_id}-invoices"


def issue_round_invoices(round_id: int, actor_id: int | None) -> dict[str, int]:
    """The job: issue every member invoice of a settled round not issued yet
    (coop.documents.services.issue_invoices), reporting "n of N" as it goes.
    Returns {"issued": N}. Also callable directly, in a request, without Redis."""
    from sqlalchemy import func, select

    from coop.auth.models import User
    from coop.documents import services as documents
    from coop.documents.models import INVOICE, Document
    from coop.errors import DomainError
    from coop.extensions import db
    from coop.i18n import use_group_timezone
    from coop.orders.models import Round
    from coop.orders.services import compute_split

    session = db.session
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise DomainError(f"no round {round_id}")
    use_group_timezone(rnd.group)  # the documents' dates are the group's
    actor = session.get(User, actor_id) if actor_id is not None else None
    total = len(compute_split(session, rnd).outcome.members)
    done = session.scalar(select(func.count()).select_from(Document).where(
        Document.round_id == rnd.id, Document.doc_type == INVOICE)) or 0
    _report(done, total)

    def built() -> None:
        nonlocal done
        done += 1
        if done % PROGRESS_EVERY == 0 or done == total:
            _report(done, total)

    try:
        issued = documents.issue_invoices(session, rnd, actor, on_build=built)
        session.commit()
    except Exception:
        session.rollback()
        raise
    _report(len(issued), total)
    return {"issued": len(issued)}


def start_round_invoices(round_id: int, actor_id: int | None) -> str | None:
    """Queue the invoices of a round (once: while a job for the round is
    waiting or running, that one is returned). The job's id, or None without
    Redis: then the caller issues them in the request (issue_round_invoices)."""
    jobs = queue()
    if jobs is None:
        return None
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    job_id = invoices_job_id(round_id)
    try:
        if Job.fetch(job_id, connection=jobs.connection).get_status() in ACTIVE:
            return job_id
    except NoSuchJobError:
        pass
    jobs.enqueue_call(issue_round_invoices, args=(round_id, actor_id), job_id=job_id,
                      timeout=JOB_TIMEOUT, result_ttl=RESULT_TTL, failure_ttl=RESULT_TTL,
                      meta={"done": 0, "total": None})
    return job_id


def progress(job_id: str) -> Progress | None:
    """Where the job is: status, n of N, and the error's last line if it failed;
    None if there is no such job (or no Redis)."""
    jobs = queue()
    if jobs is None:
        return None
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id, connection=jobs.connection)
    except NoSuchJobError:
        return None
    meta: dict[str, Any] = job.get_meta(refresh=True)
    state = job.get_status(refresh=False)
    status = str(getattr(state, "value", state) or "queued")
    error = ""
    if status == "failed":
        result = job.latest_result()
        error = ((getattr(result, "exc_string", "") or "").strip().splitlines() or [""])[-1]
    return Progress(status=status, done=int(meta.get("done") or 0), total=meta.get("total"),
                    error=error)


# --------------------------------------------------------------------------
# The worker
# --------------------------------------------------------------------------


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run the background jobs (needs COOP_REDIS_URL). Start one or more on any
    machine that reaches the database and Redis."""
    jobs = queue()
    if jobs is None:
        raise click.ClickException("COOP_REDIS_URL is not set: there is no job queue.")
    make_worker(jobs).work(burst=burst)


def make_worker(jobs):  # type: ignore[no-untyped-def]
    """A worker that runs each job in this process, inside this app context (a
    forking worker would share the database connections with its children),
    and drops the database session after each job: objects are not expired on
    commit (coop.extensions), so a job must not see what an earlier one loaded."""
    from rq import SimpleWorker

    from coop.extensions import db

    class Worker(SimpleWorker):
        def execute_job(self, job, queue):  # type: ignore[no-untyped-def]
            try:
                return super().execute_job(job, queue)
            finally:
                db.session.remove()

    return Worker([jobs], connection=jobs.connection)
