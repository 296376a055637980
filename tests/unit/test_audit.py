""".ci/audit.py: what it makes of PyPI's answers (stubbed here; CI runs it
against PyPI itself)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def audit(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("coop_ci_audit", ROOT / ".ci" / "audit.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "coop_ci_audit", module)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "UNCHECKED", tmp_path / "audit-unchecked")
    monkeypatch.setattr(module, "installed_closure",
                        lambda roots: {"flask": "3.1.3", "deprecated": "1.3.1"})
    return module


def _pypi(answers: dict[str, dict | None]):  # type: ignore[no-untyped-def]
    def fetch(url: str) -> dict | None:
        return answers.get(url.removeprefix("https://pypi.org/pypi/"))
    return fetch


CVE = {"id": "PYSEC-0000-1", "aliases": ["CVE-0000-1"], "fixed_in": ["3.1.4"]}


def test_newest_releases_without_vulnerabilities_pass(audit, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(audit, "fetch_json", _pypi({
        "flask/json": {"info": {"version": "3.1.3"}, "vulnerabilities": []},
        "deprecated/json": {"info": {"version": "1.3.1"}, "vulnerabilities": []}}))
    assert audit.main() == 0
    assert "2 packages, 2 audited, 0 not, 0 known vulnerabilities" in capsys.readouterr().out


def test_a_vulnerability_fails(audit, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(audit, "fetch_json", _pypi({
        "flask/3.1.3/json": {"vulnerabilities": [CVE]},
        "deprecated/json": {"info": {"version": "1.3.1"}, "vulnerabilities": []}}))
    assert audit.main() == 1
    out = capsys.readouterr().out
    assert "VULNERABLE flask==3.1.3: PYSEC-0000-1 (CVE-0000-1); fixed in 3.1.4" in out


def test_a_withdrawn_advisory_does_not_count(audit, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(audit, "fetch_json", _pypi({
        "flask/3.1.3/json": {"vulnerabilities": [{**CVE, "withdrawn": "2026-01-01T00:00:00"}]},
        "deprecated/1.3.1/json": {"vulnerabilities": []}}))
    assert audit.main() == 0


def test_an_older_release_is_not_audited_unless_held_back(audit, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(audit, "fetch_json", _pypi({
        "flask/json": {"info": {"version": "3.1.3"}, "vulnerabilities": []},
        # the newest release's advisories say nothing about 1.3.1
        "deprecated/json": {"info": {"version": "3.0.1"}, "vulnerabilities": [CVE]}}))
    assert audit.main(strict=True) == 1
    out = capsys.readouterr().out
    assert "NOT AUDITED deprecated==1.3.1" in out
    assert "2 packages, 1 audited, 1 not, 0 known vulnerabilities" in out
    assert audit.main(strict=False) == 0  # named and counted, not failed
    audit.UNCHECKED.write_text("# why\nDeprecated==1.3.1  needs Python 3.12\n")
    assert audit.main(strict=True) == 0
    assert "held back: needs Python 3.12" in capsys.readouterr().out


def test_pypi_not_answering_fails(audit, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    def down(url: str) -> dict | None:
        raise OSError("Name or service not known")
    monkeypatch.setattr(audit, "fetch_json", down)
    assert audit.main() == 1
    assert "nothing was audited" in capsys.readouterr().out


def test_the_closure_follows_extras_and_markers(audit):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("coop_ci_audit_real", ROOT / ".ci" / "audit.py")
    assert spec and spec.loader
    real = importlib.util.module_from_spec(spec)
    sys.modules["coop_ci_audit_real"] = real
    try:
        spec.loader.exec_module(real)
        closure = real.installed_closure(["psycopg[binary]", "Flask"])
    finally:
        del sys.modules["coop_ci_audit_real"]
    assert {"psycopg", "psycopg-binary", "flask", "werkzeug", "jinja2",
            "markupsafe"} <= set(closure)
