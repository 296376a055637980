"""`flask --app wsgi coop import-catalog SUPPLIER_ID FILE`."""

from __future__ import annotations

import sys
from typing import BinaryIO

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from coop.config import SUPPORTED_LOCALES
from coop.extensions import db
from coop.suppliers import domain, services
from coop.suppliers.domain import CatalogError
from coop.suppliers.models import Supplier

EXIT_BAD_FILE = 2


@click.command("import-catalog")
@click.argument("supplier_id", type=int)
@click.argument("file", type=click.File("rb"))
@click.option("--lang", type=click.Choice(SUPPORTED_LOCALES), default=None,
              help="Language of the messages (default: the app's default language).")
@with_appcontext
def import_catalog(supplier_id: int, file: BinaryIO, lang: str | None) -> None:
    """Import a supplier's catalog from a CSV or .xlsx file, all or nothing.

    On any bad line it prints every one of them and exits with status 2,
    writing nothing.
    """
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        raise click.BadParameter(f"no supplier with id {supplier_id}", param_hint="SUPPLIER_ID")
    with force_locale(lang or current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            table = domain.read_catalog(file.read())
            with click.progressbar(table.records, label=_("Checking the lines"),
                                   file=sys.stderr) as records:
                rows = domain.parse_records(table, records)
            result = services.upsert_catalog(db.session, supplier, rows)
        except CatalogError as exc:
            db.session.rollback()
            for line in domain.iter_errors_text(exc.errors):
                click.echo(line, err=True)
            click.echo(_("Nothing was imported: %(n)d problem(s).", n=len(exc.errors)), err=True)
            raise click.exceptions.Exit(EXIT_BAD_FILE) from None
        db.session.commit()
        click.echo(_("Catalog imported: %(added)d added, %(updated)d updated, %(unchanged)d "
                     "unchanged.", added=result.added, updated=result.updated,
                     unchanged=result.unchanged))
