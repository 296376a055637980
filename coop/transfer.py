"""What a page costs on slow mobile data: responses gzipped, static files under
versioned URLs that are cached for a year.

- Text responses (HTML, CSS, JSON, CSV, SVG) above a small size go out gzipped
  when the browser says it takes gzip (`Accept-Encoding`), with
  `Vary: Accept-Encoding` so that a cache keeps the two apart.
- `url_for('static', filename=...)` (and a blueprint's static) carries `v=`, a
  hash of the file's content: a file answered under its current hash is cached
  `public, max-age=31536000, immutable`, so a page costs one request; a new
  version of the file has a new URL.
- The icon a browser asks every site for: the pages name it (a versioned
  static file, 155 bytes) and `/favicon.ico` answers it too, instead of a 404
  page on every first visit.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, request, send_from_directory
from werkzeug.security import safe_join

COMPRESSIBLE = frozenset({
    "text/html", "text/css", "text/csv", "text/plain", "application/json",
    "application/problem+json", "image/svg+xml", "application/javascript",
})
# Below this, gzip's own 18-byte frame and the CPU are not worth it.
MIN_COMPRESS_BYTES = 512
GZIP_LEVEL = 6
IMMUTABLE = "public, max-age=31536000, immutable"
VERSION_ARG = "v"
_HASH_CHARS = 12


def gzip_bytes(data: bytes) -> bytes:
    """gzip at the level the app sends; no timestamp, so the same body gives
    the same bytes."""
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


def register_compression(app: Flask) -> None:
    @app.after_request
    def compress(response: Response) -> Response:
        return compress_response(response)


def compress_response(response: Response) -> Response:
    if response.mimetype not in COMPRESSIBLE:
        return response
    response.vary.add("Accept-Encoding")
    if (request.method == "HEAD" or response.status_code in (204, 206, 304)
            or response.status_code < 200
            or "Content-Encoding" in response.headers
            or request.accept_encodings.quality("gzip") <= 0):
        return response
    if response.direct_passthrough:  # a static file: read it, it is small text
        response.direct_passthrough = False
    elif response.is_streamed:
        return response  # written as it goes (a long CSV): leave it so
    data = response.get_data()
    if len(data) < MIN_COMPRESS_BYTES:
        return response
    packed = gzip_bytes(data)
    if len(packed) >= len(data):
        return response
    response.set_data(packed)
    response.headers["Content-Encoding"] = "gzip"
    etag, _weak = response.get_etag()
    if etag:  # another representation of the same content: a weak validator (as nginx)
        response.set_etag(etag, weak=True)
    return response


# -- versioned static files ---------------------------------------------------------

class StaticVersions:
    """The content hash of each static file, computed once per version of the
    file (its size and modification time)."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[int, int, str]] = {}

    def of(self, folder: str | None, filename: str) -> str | None:
        path = safe_join(folder, filename) if folder else None
        if path is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        known = self._known.get(path)
        if known and known[:2] == (stat.st_size, stat.st_mtime_ns):
            return known[2]
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:_HASH_CHARS]
        self._known[path] = (stat.st_size, stat.st_mtime_ns, digest)
        return digest


def _static_folder(app: Flask, endpoint: str) -> str | None:
    if endpoint == "static":
        return app.static_folder
    blueprint = app.blueprints.get(endpoint.rpartition(".")[0])
    return blueprint.static_folder if blueprint is not None else None


def _is_static(endpoint: str | None) -> bool:
    return bool(endpoint) and (endpoint == "static" or str(endpoint).endswith(".static"))


FAVICON = "favicon.png"
FAVICON_MAX_AGE = 7 * 24 * 3600  # /favicon.ico has no version in its URL


def register_favicon(app: Flask) -> None:
    @app.get("/favicon.ico")
    def favicon() -> Response:
        return send_from_directory(str(app.static_folder), FAVICON, max_age=FAVICON_MAX_AGE)


def register_static_versions(app: Flask) -> None:
    versions = StaticVersions()
    app.extensions["coop_static_versions"] = versions

    @app.url_defaults
    def add_version(endpoint: str, values: dict[str, Any]) -> None:
        if _is_static(endpoint) and "filename" in values and VERSION_ARG not in values:
            version = versions.of(_static_folder(app, endpoint), values["filename"])
            if version:
                values[VERSION_ARG] = version

    @app.after_request
    def cache_versioned(response: Response) -> Response:
        endpoint = request.endpoint
        if not _is_static(endpoint) or response.status_code not in (200, 304):
            return response
        wanted = request.args.get(VERSION_ARG)
        filename = (request.view_args or {}).get("filename")
        # only the current content under its own hash: an old URL asking for a
        # file that has changed since gets today's file, revalidated as usual
        if wanted and filename and wanted == versions.of(_static_folder(app, str(endpoint)),
                                                         filename):
            response.headers["Cache-Control"] = IMMUTABLE
            response.headers.pop("Expires", None)
        return response
