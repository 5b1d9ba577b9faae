"""The production syncer does not load the emulator: only `syncer demo` imports sfmock."""

from __future__ import annotations

import subprocess
import sys

EMULATOR = ("sfmock", "responses", "trustme")


def test_importing_the_cli_and_the_service_leaves_the_emulator_unloaded():
    code = ("import sys, syncer.cli, syncer.service; "
            f"print(' '.join(m for m in {EMULATOR!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.split()
    assert loaded == []


def test_the_demo_module_does_import_the_emulator():
    code = "import sys, syncer.demo; print('sfmock' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "True"
