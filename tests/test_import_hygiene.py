"""The rule layer and the headless worker never load Textual."""
import subprocess
import sys


def test_models_and_worker_import_without_textual():
    code = ("import sys, importlib, pkgutil, crm_tui.models as m\n"
            "for info in pkgutil.iter_modules(m.__path__):\n"
            "    importlib.import_module('crm_tui.models.' + info.name)\n"
            "import crm_tui.db, crm_tui.config, crm_tui.worker\n"
            "bad = [name for name in sys.modules if name == 'textual' or name.startswith('textual.')]\n"
            "print(bad)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
