"""The `syncer` console script in a pipeline: a reader that leaves early is normal."""

from __future__ import annotations

import os
import subprocess

from syncer.store import Store
from tests.syncer.cli.conftest import SYNCER


def test_people_list_into_a_closed_pipe_exits_0_quietly(tmp_path):
    db = tmp_path / "syncer.db"
    with Store(db) as store:
        for n in range(2000):  # more than a pipe's buffer holds
            store.upsert_person(f"person{n}@example.com", source="import")
    env = {**os.environ, "SYNCER_DB": str(db), "SYNCER_CONFIG": ""}
    head = subprocess.run(f'"{SYNCER}" people list | head -1', shell=True, capture_output=True,
                          text=True, env=env, timeout=60, executable="/bin/bash")
    assert head.stdout == "person0@example.com\t-\t-\tsubscribed\t-\n"
    assert head.stderr == ""
    process = subprocess.Popen([str(SYNCER), "people", "list"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    process.stdout.close()  # the reader is gone before the first line is written
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0
    assert stderr == ""
