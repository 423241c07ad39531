"""The code passes the linter configured in pyproject.toml (pyflakes, pycodestyle, bugbear, pyupgrade, isort):
an unused import, a shadowed loop variable or a misplaced import fails the suite, not only a reviewer's eye."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_code_passes_the_configured_linter():
    checked = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
