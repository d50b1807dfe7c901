"""The import contracts of pyproject.toml ([tool.importlinter]) hold.

lint-imports passes on the code as it is, and fails on a copy of it that
breaks one rule: an upward import, a cycle among the model modules, Textual
in the headless worker, a module left out of the layers.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def lint_imports(project: Path) -> subprocess.CompletedProcess:
    # lint-imports analyses the crm_tui found from `project`, its working folder.
    return subprocess.run([sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--no-logo"],
                          cwd=project, capture_output=True, text=True)


def test_the_code_keeps_to_its_layers():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


BREAKS = {
    "upward import": ("models/customers.py", "from crm_tui.widgets.lazy_table import LazyTable",
                      "crm_tui.models is not allowed to import crm_tui.widgets"),
    "model cycle": ("models/users.py", "from crm_tui.models import customers",
                    ".users -> .customers"),
    "Textual in the worker": ("worker.py", "import textual.app",
                              "crm_tui.worker is not allowed to import textual"),
    "module without a layer": ("pipeline.py", "from crm_tui.models import Customer",
                               "not listed as layers:\n\n- crm_tui.pipeline"),
}


@pytest.mark.parametrize("name", BREAKS)
def test_a_broken_rule_fails_the_check(tmp_path, name):
    module, line, complaint = BREAKS[name]
    shutil.copytree(ROOT / "crm_tui", tmp_path / "crm_tui",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    path = tmp_path / "crm_tui" / module
    path.write_text((path.read_text() if path.exists() else "") + f"\n{line}  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert complaint in result.stdout
