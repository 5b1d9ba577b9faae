"""Which tox env runs which test: tox's env_list read as pytest marker expressions, and the
hooks that record every collected test's markers before `-m` deselects any.

tests/conftest.py imports the recording hook, so a session that collected the whole suite
knows every test's markers; `python -m pytest --collect-only -p tests.suite_split` with
SUITE_SPLIT_DUMP=FILE writes them to FILE (tests/docs/test_suite_split.py uses it when its
own session collected only part of the suite).
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
from pathlib import Path

import pytest
from _pytest.mark.expression import Expression

ROOT = Path(__file__).resolve().parents[1]
MARKS = pytest.StashKey[dict[str, list[str]]]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    config.stash[MARKS] = {item.nodeid: sorted({m.name for m in item.iter_markers()})
                           for item in items}


def pytest_collection_finish(session: pytest.Session) -> None:
    dump = os.environ.get("SUITE_SPLIT_DUMP")
    if dump:
        Path(dump).write_text(json.dumps(session.config.stash.get(MARKS, {})))


def tox_pytest_envs(tox_ini: Path = ROOT / "tox.ini") -> dict[str, str]:
    """Each env of tox's env_list that runs pytest, with its `-m` expression ("" for none).

    Fails on a pytest command that names test paths: every env must collect the same suite
    and pick its share by marker only, or no check of the split could be trusted."""
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(tox_ini)
    envs = {}
    for env in re.split(r"[\s,]+", ini["tox"]["env_list"].strip()):
        section = ini[f"testenv:{env}"] if ini.has_section(f"testenv:{env}") else ini["testenv"]
        commands = section.get("commands", ini["testenv"]["commands"])
        for command in commands.strip().splitlines():
            words = shlex.split(re.sub(r"\{posargs[^}]*\}", "", command))
            if words[:1] != ["pytest"]:
                continue
            options = dict(zip(words[1::2], words[2::2], strict=False))
            assert set(options) <= {"-m"} and len(words) in (1, 3), (env, command)
            envs[env] = options.get("-m", "")
    return envs


def selects(expression: str, marks: list[str]) -> bool:
    """Whether `pytest -m expression` selects a test carrying `marks`."""
    if not expression:
        return True
    return Expression.compile(expression).evaluate(lambda name, **_: name in marks)
