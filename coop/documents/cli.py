"""`flask --app wsgi coop documents ROUND_ID --out DIR`: every document of a round."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from coop.documents import builders, services
from coop.errors import DomainError
from coop.extensions import db
from coop.i18n import use_group_timezone
from coop.orders import domain as rounds
from coop.orders.models import Round


@click.command("documents")
@click.argument("round_id", type=int)
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, writable=True, path_type=Path),
              help="Folder to write the PDFs into (made if missing).")
@with_appcontext
def write_documents(round_id: int, out_dir: Path) -> None:
    """Write all of a round's documents into a folder: the purchase orders and
    member invoices (issued and numbered on first use, then the same bytes),
    the suppliers' delivery discrepancy reports (once a delivery is recorded),
    the distribution sheet, the order form and the quote comparison, as the
    round's state allows."""
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        raise click.BadParameter(f"no round with id {round_id}", param_hint="ROUND_ID")
    use_group_timezone(rnd.group)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    try:
        with click.progressbar(length=_steps(rnd), label=f"Round {rnd.id}: {rnd.title}",
                               file=sys.stderr) as bar:
            for name, content in _documents(rnd, bar.update):
                (out_dir / name).write_bytes(content)
                written.append(name)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{len(written)} documents written to {out_dir}")


def _steps(rnd: Round) -> int:
    steps = 0
    if rnd.state in services.FORM_STATES:
        steps += 1
    if rnd.state in services.ORDERED_STATES:
        steps += 1 + len(services.awarded_suppliers(db.session, rnd))
        steps += len(services.reportable_suppliers(db.session, rnd))
    if services.has_quotes(db.session, rnd):
        steps += 1
    if rnd.state == rounds.SETTLED:
        steps += len(services.orders.compute_split(db.session, rnd).outcome.members)
    return max(steps, 1)


def _documents(rnd: Round, advance):  # type: ignore[no-untyped-def]
    """(file name, PDF) for each document, advancing the bar as they are made."""
    if rnd.state in services.FORM_STATES:
        yield (f"order-form-round-{rnd.id}.pdf",
               builders.build_order_form(services.order_form_data(db.session, rnd)))
        advance(1)
    if rnd.state in services.ORDERED_STATES:
        for document in services.issue_purchase_orders(db.session, rnd, None).values():
            advance(1)
            yield document.filename, document.content
        for supplier in services.reportable_suppliers(db.session, rnd):
            report = services.issue_discrepancy_report(db.session, rnd, supplier, None)
            advance(1)
            yield report.filename, report.content
        yield (f"distribution-round-{rnd.id}.pdf",
               builders.build_distribution_sheet(services.distribution_data(db.session, rnd)))
        advance(1)
    if services.has_quotes(db.session, rnd):
        yield (f"quote-comparison-round-{rnd.id}.pdf",
               builders.build_quote_comparison(services.comparison_data(db.session, rnd)))
        advance(1)
    if rnd.state == rounds.SETTLED:
        issued = services.issue_invoices(db.session, rnd, None, on_build=lambda: advance(1))
        for document in issued.values():
            yield document.filename, document.content
