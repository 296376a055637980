"""`flask --app wsgi coop …`: admin, demo data and the split preview."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from coop.errors import DomainError
from coop.extensions import db


@click.group("coop")
def coop_cli() -> None:
    """Coop administration."""


@coop_cli.command("create-admin")
@click.option("--name", prompt=True)
@click.option("--login", "login", prompt="E-mail or phone", help="E-mail or phone number")
@click.password_option()
@with_appcontext
def create_admin(name: str, login: str, password: str) -> None:
    """Create a platform admin (who creates groups)."""
    from coop.auth import services as auth_services
    from coop.auth.models import User

    try:
        email = auth_services.normalise_email(login) if "@" in login else None
        phone = None if email else auth_services.normalise_phone(login)
        if auth_services.find_user_by_login(db.session, login) is not None:
            raise DomainError("Someone already signs in with this login.")
        user = User(name=name, email=email, phone=phone, is_admin=True)
        auth_services.set_password(user, password)
        db.session.add(user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Admin {name} created; sign in with {email or phone}.")


@coop_cli.command("demo")
@with_appcontext
def demo() -> None:
    """Load the demo groups (idempotent) and print the demo logins."""
    from coop.demo import load_demo

    created, logins = load_demo(db.session)
    db.session.commit()
    click.echo("Demo data loaded." if created else "Demo data already present.")
    click.echo("Demo logins (password for all: demo-password):")
    for role, login in logins:
        click.echo(f"  {role:<28} {login}")


def _print_preview(scenario_file, engine, error: type[Exception], not_json: str) -> None:  # type: ignore[no-untyped-def]
    """Read a scenario JSON file, print what `engine` makes of it; exit 2 with
    one line on a file that is not JSON (`not_json`, formatted with the file's
    name and the reason) or on a scenario the engine refuses (`error`)."""
    import json
    import sys

    try:
        data = json.loads(scenario_file.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        click.echo(not_json.format(name=scenario_file.name, reason=exc), err=True)
        sys.exit(2)
    try:
        result = engine(data)
    except error as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))


@coop_cli.command("preview")
@click.argument("scenario_file", type=click.File("rb"))
def preview(scenario_file) -> None:  # type: ignore[no-untyped-def]
    """Print the split (spec/split.md) of a scenario JSON file."""
    from coop.orders import split

    _print_preview(scenario_file, split.preview, split.ScenarioError,
                   "error: {name}: not a JSON file ({reason})")


@coop_cli.command("savings-preview")
@click.argument("scenario_file", type=click.File("rb"))
def savings_preview(scenario_file) -> None:  # type: ignore[no-untyped-def]
    """Print the cycle preview (spec/savings-preview.md) of a savings-group scenario."""
    from coop import savings

    _print_preview(scenario_file, savings.preview, savings.ScenarioError,
                   "error: $: {name} is not a JSON file ({reason})")


def register_feature_commands() -> None:
    """Commands that live with their feature."""
    from coop.documents.cli import write_documents
    from coop.jobs import worker
    from coop.suppliers.cli import import_catalog

    coop_cli.add_command(import_catalog)
    coop_cli.add_command(write_documents)
    coop_cli.add_command(worker)
