"""What installs what: every package the app imports at run time is named in
requirements.txt, and nothing the app imports comes from a package that only
requirements-dev.txt installs (issue 14: "all invoices in one PDF" answered
500 on an install made by `make run`, because pypdf came with the dev
requirements alone). CI also runs the app in a virtual environment made from
requirements.txt alone (.ci/smoke.py)."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "coop"


def _audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("coop_ci_audit_reqs", ROOT / ".ci" / "audit.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(sys.modules[spec.name])
    return sys.modules[spec.name]


def imported_top_modules(root: Path) -> dict[str, list[str]]:
    """{top-level module: [file:line, …]} of every absolute import in the
    package, those inside functions too (a lazy import is still a run-time one)."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".", 1)[0]
                found.setdefault(top, []).append(f"{path.relative_to(root.parent)}:{node.lineno}")
    return found


def third_party(modules: Iterable[str]) -> set[str]:
    return {m for m in modules if m not in sys.stdlib_module_names and m not in ("coop",
                                                                                  "__future__")}


def declared_names(path: Path) -> set[str]:
    """The distributions a requirements file names itself (not through -r)."""
    names = set()
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(canonicalize_name(Requirement(line).name))
    return names


def undeclared(modules: Iterable[str], declared: set[str],
               distributions: dict[str, list[str]]) -> dict[str, list[str]]:
    """{module: [distributions that provide it]} for the modules no declared
    distribution provides (an unknown module maps to [])."""
    missing = {}
    for module in sorted(modules):
        providers = [canonicalize_name(d) for d in distributions.get(module, [])]
        if not any(p in declared for p in providers):
            missing[module] = providers
    return missing


def test_every_runtime_import_is_named_in_requirements_txt() -> None:
    imports = imported_top_modules(PACKAGE)
    modules = third_party(imports)
    assert {"flask", "sqlalchemy", "reportlab", "pypdf"} <= modules  # the scan sees them
    missing = undeclared(modules, declared_names(ROOT / "requirements.txt"),
                         metadata.packages_distributions())
    assert not missing, "imported by coop but not in requirements.txt: " + "; ".join(
        f"{m} ({', '.join(p) or 'not installed'}) at {', '.join(imports[m][:3])}"
        for m, p in missing.items())


def test_the_check_names_a_package_that_only_the_dev_requirements_install() -> None:
    declared = declared_names(ROOT / "requirements.txt") - {"pypdf"}
    found = undeclared({"flask", "pypdf"}, declared, metadata.packages_distributions())
    assert found == {"pypdf": ["pypdf"]}
    assert undeclared({"nosuchmodule"}, declared, {}) == {"nosuchmodule": []}


def test_a_lazy_import_inside_a_function_is_seen(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text("def f():\n    from pypdf import PdfWriter\n    import json\n")
    assert third_party(imported_top_modules(package)) == {"pypdf"}


def _closure(audit: ModuleType, path: Path) -> set[str]:
    return {canonicalize_name(n) for n in audit.installed_closure(audit.requirement_lines(path))}


DEV_ONLY_PROBE = """
import importlib, importlib.abc, json, pkgutil, sys

BLOCKED = set(json.loads(sys.argv[1]))

class OnlyRuntimeRequirements(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (dev requirements only)",
                                      name=name)
        return None

sys.meta_path.insert(0, OnlyRuntimeRequirements())
import coop
from coop import create_app
for info in pkgutil.walk_packages(coop.__path__, "coop."):
    importlib.import_module(info.name)
create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
from coop.documents.services import concatenate  # "all invoices in one PDF"
concatenate([])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _probe(blocked: set[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", DEV_ONLY_PROBE, json.dumps(sorted(blocked))],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
                          env={"PATH": "/usr/bin:/bin", "COOP_SECRET_KEY": "x"})


def _modules_of(distributions: set[str]) -> set[str]:
    return {module for module, dists in metadata.packages_distributions().items()
            if any(canonicalize_name(d) in distributions for d in dists)}


def test_the_app_runs_with_the_dev_only_packages_made_unimportable() -> None:
    """Every module of coop imported, the app made and the PDFs joined in a fresh
    interpreter where nothing of a dev-only distribution can be imported (an
    optional import, such as Mako's of Pygments, just does without)."""
    audit = _audit()
    runtime = _closure(audit, ROOT / "requirements.txt")
    dev_only = _closure(audit, ROOT / "requirements-dev.txt") - runtime
    assert {"pytest", "playwright", "hypothesis"} <= dev_only
    done = _probe(_modules_of(dev_only))
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert {"flask", "reportlab", "pypdf"} <= loaded
    assert not loaded & _modules_of(dev_only)


def test_the_probe_fails_when_the_app_needs_a_blocked_package() -> None:
    done = _probe({"pypdf"})
    assert done.returncode != 0
    assert "pypdf" in done.stderr and "dev requirements only" in done.stderr


@pytest.mark.parametrize("name", sorted(declared_names(ROOT / "requirements.txt")))
def test_each_runtime_requirement_is_pinned(name: str) -> None:
    lines = [line.split("#", 1)[0].strip() for line in
             (ROOT / "requirements.txt").read_text().splitlines()]
    line = next(x for x in lines if x and canonicalize_name(Requirement(x).name) == name)
    specifier = Requirement(line).specifier
    assert specifier, f"{line}: no version"
