"""The systemd units of deploy/ (a replica, the bot, the index timer) are valid units running real commands."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from support import PROJECT_ROOT

from assistant.cli import _parser

DEPLOY = PROJECT_ROOT / "deploy"
INSTALLED = "/opt/eclaireur/.venv/bin/eclaireur"
UNITS = ["eclaireur.service", "eclaireur-bot.service", "eclaireur-index.service", "eclaireur-index.timer"]


def exec_start(unit: Path) -> list[str]:
    line = next(line for line in unit.read_text(encoding="utf-8").splitlines() if line.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def test_every_unit_runs_an_eclaireur_command_that_exists():
    for name in UNITS[:3]:
        command = exec_start(DEPLOY / name)
        assert command[0] == INSTALLED, name
        _parser().parse_args(command[1:])  # exits (SystemExit) on an unknown command or option
    timer = (DEPLOY / "eclaireur-index.timer").read_text(encoding="utf-8")
    assert "OnCalendar=" in timer and "Persistent=true" in timer


def test_systemd_analyze_verifies_the_units(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze absent : vérification des unités systemd sautée.")
    executable = PROJECT_ROOT / ".venv" / "bin" / "eclaireur"
    for name in UNITS:  # as installed, but pointing at this checkout's command, which verify checks exists
        (tmp_path / name).write_text((DEPLOY / name).read_text(encoding="utf-8").replace(INSTALLED, str(executable)),
                                     encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *UNITS], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "Unknown" not in result.stderr, result.stderr
