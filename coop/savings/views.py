"""The savings group's pages (the blueprint; the meeting pages come with it)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("savings", __name__, template_folder="templates")
