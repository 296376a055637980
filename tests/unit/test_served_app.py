"""The app as gunicorn serves it (wsgi.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc
import wsgi
frozen = gc.get_freeze_count()
gc.collect()
print(frozen, len(gc.get_objects()))
"""


def test_the_served_app_is_frozen_out_of_the_collectors_passes(tmp_path: Path) -> None:
    """What the app is made of (tens of thousands of objects) is left out of
    the garbage collector's passes, which then walk only what requests make:
    a busy round's split kept in memory made each full pass walk the app too."""
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False,
                          env={"PATH": "/usr/bin:/bin", "COOP_SECRET_KEY": "x",
                               "COOP_DATABASE_URL": f"sqlite:///{tmp_path / 'coop.db'}"})
    assert done.returncode == 0, done.stderr[-2000:]
    frozen, tracked = map(int, done.stdout.split())
    assert frozen > 50_000
    assert tracked < frozen / 10  # nearly everything the app made is frozen
