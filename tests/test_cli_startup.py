"""Commands are registered without loading torch or matplotlib: `tokbench --help` and light commands start fast."""

import subprocess
import sys

PROBE = """
import sys
from tokbench.cli.app import _register_commands
_register_commands()
print(",".join(m for m in ("torch", "matplotlib") if m in sys.modules))
"""


def test_registering_every_command_loads_neither_torch_nor_matplotlib():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_model_package_names_still_resolve_lazily():
    import tokbench.model as model

    assert callable(model.load_model) and "fp32" in model.DTYPES
