"""Coop: pooled buying and joint selling for solidary producer groups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from coop.config import load_config


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_config(Path(app.instance_path), config))
    register_extensions(app)
    register_blueprints(app)
    register_handlers(app)
    register_cli(app)
    register_proxy(app)
    return app


def register_proxy(app: Flask) -> None:
    """Behind COOP_PROXY_HOPS proxies, the scheme, host, port, path prefix and
    client address are the ones the user reached, as the proxies say."""
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops,  # type: ignore[method-assign]
                                x_host=hops, x_port=hops, x_prefix=hops)


def register_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    import coop.models  # noqa: F401  (every table known to the metadata)
    from coop.extensions import (
        SIGN_IN_BIND,
        babel,
        csrf,
        db,
        limit_only_where_limited,
        limiter,
        login_manager,
        migrate,
    )
    from coop.i18n import select_locale, select_timezone
    from coop.orders import cache as split_cache

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not _in_memory(url):  # (a database in memory is one connection's alone)
        # the pool checks only a connection that was idle before lending it
        # (coop.outage.ping_idle_connections), and lends the one returned last
        # first: it needs no check, and the others may time out
        pool = {"pool_pre_ping": False, "pool_use_lifo": True}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **pool, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
        # signing in reads one row: on a connection of its own in autocommit, so
        # that a request that needs nothing else of the database opens no transaction
        app.config["SQLALCHEMY_BINDS"] = {**app.config.get("SQLALCHEMY_BINDS", {}),
                                          SIGN_IN_BIND: {"url": url, **pool,
                                                         "isolation_level": "AUTOCOMMIT",
                                                         "pool_reset_on_return": None}}
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
    limit_only_where_limited(app, limiter)
    split_cache.init_app(app)


def _in_memory(url: str) -> bool:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def register_blueprints(app: Flask) -> None:
    import coop.equipment.api
    from coop.api.views import bp as api_bp
    from coop.auth.views import bp as auth_bp
    from coop.certificates.views import bp as certificates_bp
    from coop.documents.views import bp as documents_bp
    from coop.equipment.views import bp as equipment_bp
    from coop.groups.views import bp as groups_bp
    from coop.ledger.views import bp as ledger_bp
    from coop.orders.views import bp as orders_bp
    from coop.payables.views import bp as payables_bp
    from coop.quotes.views import bp as quotes_bp
    from coop.sales.views import bp as sales_bp
    from coop.savings import report_views  # noqa: F401  (its routes, on the savings blueprint)
    from coop.savings.views import bp as savings_bp
    from coop.season.views import bp as season_bp
    from coop.suppliers.views import bp as suppliers_bp
    from coop.timebank.views import bp as timebank_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(suppliers_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(quotes_bp)
    app.register_blueprint(ledger_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(sales_bp)
    app.register_blueprint(payables_bp)
    app.register_blueprint(savings_bp)
    app.register_blueprint(equipment_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(season_bp)
    app.register_blueprint(timebank_bp)
    import coop.timebank.api  # noqa: F401  (its routes join the API's blueprint)

    app.register_blueprint(api_bp)


def register_handlers(app: Flask) -> None:
    from coop.errors import register_errorhandlers
    from coop.i18n import register_template_helpers
    from coop.outage import register_outage_handling
    from coop.security import register_id_guard, register_security_headers
    from coop.text import register_text_guard
    from coop.transfer import register_compression, register_favicon, register_static_versions

    register_errorhandlers(app)
    register_text_guard(app)
    register_outage_handling(app)
    register_security_headers(app)
    register_id_guard(app)
    register_template_helpers(app)
    register_compression(app)
    register_static_versions(app)
    register_favicon(app)


def register_cli(app: Flask) -> None:
    from coop.cli import coop_cli, register_feature_commands

    register_feature_commands()
    app.cli.add_command(coop_cli)
