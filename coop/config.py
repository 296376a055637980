"""Settings from the environment (COOP_*), with test settings.

Nothing here is computed at import time: `load_config(instance_path)` builds the
settings when the app is created.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

SUPPORTED_LOCALES = ("en", "ru", "ky", "tg")


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def secret_key(instance_path: Path) -> str:
    """COOP_SECRET_KEY, else a key generated once into instance/secret_key."""
    from_env = os.environ.get("COOP_SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def load_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    overrides = overrides or {}
    default_db = f"sqlite:///{instance_path / 'coop.sqlite'}"
    redis_url = os.environ.get("COOP_REDIS_URL")
    settings = {
        "SECRET_KEY": overrides.get("SECRET_KEY") or secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("COOP_DATABASE_URL", default_db),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Failed sign-ins only: per account (however the number is typed) …
        "LOGIN_RATE_LIMIT": os.environ.get("COOP_LOGIN_RATE_LIMIT", "10 per 5 minutes"),
        # … and per address (a meeting's Wi-Fi, a carrier's shared address)
        "LOGIN_ADDRESS_RATE_LIMIT": os.environ.get("COOP_LOGIN_ADDRESS_RATE_LIMIT",
                                                   "50 per 5 minutes"),
        # The API, per token (or signed-in user), and per address whatever it sends.
        "API_RATE_LIMIT": os.environ.get("COOP_API_RATE_LIMIT", "300 per minute"),
        "API_ADDRESS_RATE_LIMIT": os.environ.get("COOP_API_ADDRESS_RATE_LIMIT",
                                                 "1200 per minute"),
        # Proxies in front (nginx, a load balancer) whose X-Forwarded-For is
        # trusted: the rate limits count the client's address, not the proxy's.
        "TRUSTED_PROXIES": int(os.environ.get("COOP_TRUSTED_PROXIES", "0")),
        # Proxies in front whose X-Forwarded-Proto/-Host/-For/-Port/-Prefix are
        # believed (Werkzeug's ProxyFix): absolute links (invites, supplier
        # links) use the scheme and host the user reached.
        "PROXY_HOPS": int(os.environ.get("COOP_PROXY_HOPS", "0")),
        "BABEL_DEFAULT_LOCALE": os.environ.get("COOP_DEFAULT_LOCALE", "ru"),
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("COOP_TIMEZONE", "Asia/Bishkek"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("COOP_SECURE_COOKIES", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag("COOP_SECURE_COOKIES", False),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "PASSWORD_HASH_METHOD": "scrypt",
        # Certificates' scans and logos: outside the static folder, never served as files.
        "COOP_UPLOAD_DIR": os.environ.get("COOP_UPLOAD_DIR", str(instance_path / "uploads")),
        "TOKEN_LIFETIME_HOURS": int(os.environ.get("COOP_TOKEN_LIFETIME_HOURS", "72")),
    }
    settings.update(overrides)
    return settings


def testing_config(database_url: str) -> dict[str, Any]:
    """Overrides for the test suite: a given database, cheap password hashes."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        "RATELIMIT_STORAGE_URI": "memory://",
        # the suite calls the API thousands of times a minute; a test lowers them
        "API_RATE_LIMIT": "100000 per minute",
        "API_ADDRESS_RATE_LIMIT": "100000 per minute",
        "BABEL_DEFAULT_LOCALE": "en",
        # every split read from the cache is checked against a fresh one
        "SPLIT_CACHE_CHECK": True,
        # uploads of the suite go to a throwaway folder, not instance/
        "COOP_UPLOAD_DIR": tempfile.mkdtemp(prefix="coop-test-uploads-"),
    }
