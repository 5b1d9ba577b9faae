"""`tox` runs every test exactly once: each test falls in exactly one pytest env of env_list
(`py` takes the tests without a heavy marker, each heavy marker has its own env)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.suite_split import MARKS, ROOT, selects, tox_pytest_envs

HEAVY = {"slow", "clients", "browser", "soak"}


def every_test(config: pytest.Config, tmp_path) -> dict[str, list[str]]:
    """Every test of the suite with its markers: this session's own collection when it took
    the whole suite (as tox's envs do), else a fresh `--collect-only` of it."""
    files = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob("test_*.py")}
    collected = config.stash.get(MARKS, {})
    if files <= {nodeid.split("::")[0] for nodeid in collected}:
        return collected
    dump = tmp_path / "marks.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-p", "no:xdist", "-p", "tests.suite_split"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "SUITE_SPLIT_DUMP": str(dump)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(dump.read_text())


def test_the_envs_are_the_default_and_one_per_heavy_marker():
    envs = tox_pytest_envs()
    assert envs == {"py": "not (slow or clients or browser or soak)", "slow": "slow",
                    "clients": "clients", "browser": "browser", "soak": "soak"}


def test_every_test_runs_in_exactly_one_env(request, tmp_path):
    envs = tox_pytest_envs()
    tests = every_test(request.config, tmp_path)
    assert len(tests) > 1000
    wrong = {nodeid: [env for env, expression in envs.items() if selects(expression, marks)]
             for nodeid, marks in tests.items()}
    wrong = {nodeid: chosen for nodeid, chosen in wrong.items() if len(chosen) != 1}
    assert wrong == {}
    for marker in HEAVY:  # each heavy env has tests to run
        assert any(marker in marks for marks in tests.values()), marker


def test_the_split_check_counts_a_test_in_two_envs_or_in_none():
    envs = tox_pytest_envs()
    chosen = {name: [env for env, expression in envs.items() if selects(expression, marks)]
              for name, marks in {"plain": [], "volume": ["slow", "parametrize"],
                                  "both": ["slow", "browser"]}.items()}
    assert chosen["plain"] == ["py"] and chosen["volume"] == ["slow"]
    assert chosen["both"] == ["slow", "browser"]
    assert selects("", []) and not selects("not slow", ["slow"])
