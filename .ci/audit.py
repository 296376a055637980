"""Known vulnerabilities in what the requirements install (`make audit`; CI).

Run with the project's .venv: it walks requirements.txt and
requirements-dev.txt through the installed packages' own requirements (the
whole set that `make test` installs, at the versions installed) and asks PyPI,
for each package, which known vulnerabilities its installed version has.

PyPI answers that in two places: the release's JSON (`/pypi/<name>/<version>/
json`) for any release, and the project's JSON (`/pypi/<name>/json`) for its
newest release only. Where the first is not reachable (it is not, on the
network this project is built on), the second is exact for a package at its
newest release, and says nothing about an older one: such a package is
reported as not audited, unless `.ci/audit-unchecked` names it with the
reason it is held back. pip-audit does the same through the
release JSON alone, so here it reports every package as not found.

Exit status: 1 on a known vulnerability or when PyPI does not answer. A
package left unaudited is named in the output and counted in the last line;
with --strict (`make audit`) it fails the run too. CI runs without --strict:
a package that publishes a release between two runs (some do so weekly) has
not become vulnerable by it, and the run should not fail for it. It never
passes silently."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
PYPI = "https://pypi.org/pypi"
UNCHECKED = Path(__file__).with_name("audit-unchecked")


@dataclass
class Finding:
    name: str
    version: str
    vulnerabilities: list[dict] = field(default_factory=list)
    unaudited: str = ""  # why it could not be audited


def requirement_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            lines += requirement_lines(path.parent / line[3:].strip())
        else:
            lines.append(line)
    return lines


def installed_closure(roots: list[str]) -> dict[str, str]:
    """Every installed package the requirements lead to: name -> version."""
    found: dict[str, str] = {}
    seen: set[str] = set()
    queue: list[tuple[Requirement, tuple[str, ...]]] = [(Requirement(line), ()) for line in roots]
    while queue:
        req, extras = queue.pop()
        if str(req) + repr(extras) in seen:
            continue
        seen.add(str(req) + repr(extras))
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in (extras or ("",))):
            continue
        name = canonicalize_name(req.name)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            sys.exit(f"{req.name} is required but not installed: run `make test` first")
        first_visit = name not in found
        found[name] = dist.version
        for line in dist.requires or []:
            try:
                sub = Requirement(line)
            except InvalidRequirement:
                continue
            wanted = tuple(req.extras) if req.extras else ()
            if sub.marker and "extra" in str(sub.marker):
                if wanted:
                    queue.append((sub, wanted))
            elif first_visit:
                queue.append((sub, ()))
    return found


def fetch_json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=60) as reply:
            return json.load(reply)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def audit(name: str, version: str) -> Finding:
    release = fetch_json(f"{PYPI}/{name}/{version}/json")
    if release is not None:
        return Finding(name, version, release.get("vulnerabilities") or [])
    project = fetch_json(f"{PYPI}/{name}/json")
    if project is None:
        return Finding(name, version, unaudited="PyPI does not know it")
    newest = project["info"]["version"]
    if newest != version:
        return Finding(name, version, unaudited=f"not the newest release ({newest}), and PyPI's "
                                                 "release JSON is not reachable")
    return Finding(name, version, project.get("vulnerabilities") or [])


def held_back() -> dict[str, str]:
    """`.ci/audit-unchecked`: `name==version  reason` per line."""
    allowed = {}
    if UNCHECKED.exists():
        for raw in UNCHECKED.read_text().splitlines():
            line = raw.strip()
            if line and not line.startswith("#"):
                pin, _, reason = line.partition(" ")
                allowed[pin.lower()] = reason.strip()
    return allowed


def main(strict: bool = False) -> int:
    packages = installed_closure(requirement_lines(REPO / "requirements-dev.txt"))
    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            findings = list(pool.map(lambda item: audit(*item), sorted(packages.items())))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"audit: PyPI did not answer ({exc}); nothing was audited")
        return 1
    allowed = held_back()
    failed = False
    for finding in findings:
        pin = f"{finding.name}=={finding.version}"
        for vuln in finding.vulnerabilities:
            if vuln.get("withdrawn"):
                continue
            failed = True
            aliases = ", ".join(vuln.get("aliases") or [])
            fixed = ", ".join(vuln.get("fixed_in") or []) or "no fixed release"
            print(f"VULNERABLE {pin}: {vuln.get('id')} ({aliases}); fixed in {fixed}")
        if finding.unaudited:
            if pin.lower() in allowed:
                print(f"not audited {pin}: {finding.unaudited}; held back: {allowed[pin.lower()]}")
            else:
                failed = failed or strict
                print(f"NOT AUDITED {pin}: {finding.unaudited}")
    audited = sum(1 for f in findings if not f.unaudited)
    print(f"audit: {len(findings)} packages, {audited} audited, {len(findings) - audited} not, "
          f"{sum(len(f.vulnerabilities) for f in findings)} known vulnerabilities")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(strict="--strict" in sys.argv[1:]))
