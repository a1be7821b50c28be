"""The other side of an A/B gate: tokbench as of a git ref, or an installed tokbench.

A git ref is exported with `git archive` into a temporary directory and run from there through a
small bootstrap that puts the export first on the import path: nothing is installed, nothing in the
repository changes. The packages its pyproject maps from other directories (strategies/,
workloads/) are linked into place, which is what an editable install would do.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tokbench.errors import UserError

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Reference:
    label: str  # what the user named: a commit, a branch, an interpreter
    python: str
    pythonpath: str | None = None  # the exported tree, for a git ref
    _tmp: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    def tokbench_argv(self) -> list[str]:
        """The command line that starts this tokbench (then its arguments follow)."""
        if self.pythonpath:
            return [self.python, str(Path(self.pythonpath) / _BOOTSTRAP)]
        return [self.python, "-m", "tokbench"]

    def command(self, flags: list[str], out: Path) -> tuple[list[str], dict]:
        """argv and environment that run `tokbench run FLAGS --out OUT` as this tokbench."""
        env = {k: v for k, v in os.environ.items() if k != "TOKBENCH_GATE_INJECT_DECODE_DELAY"}
        return [*self.tokbench_argv(), "run", *flags, "--out", str(out)], env

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


_BOOTSTRAP = "_tokbench_reference.py"
# Started instead of `python -m tokbench`: an editable install of the candidate's checkout puts an
# import hook ahead of PYTHONPATH, which would run the candidate's code on both sides.
_BOOTSTRAP_CODE = '''"""Run the tokbench exported beside this file, whatever else is installed."""
import os
import runpy
import sys

root = os.path.dirname(os.path.abspath(__file__))
sys.meta_path[:] = [f for f in sys.meta_path if not type(f).__module__.startswith("__editable__")]
sys.path.insert(0, root)
if sys.argv[1:] == ["--print-path"]:
    import tokbench
    print(tokbench.__file__)
    sys.exit(0)
sys.argv[0] = "tokbench"
runpy.run_module("tokbench", run_name="__main__", alter_sys=True)
'''


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)


def _link_mapped_packages(root: Path) -> None:
    """Make `import tokbench.X` find the directories pyproject's package-dir maps (editable-install style)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return
    mapping = tomllib.loads(pyproject.read_text()).get("tool", {}).get("setuptools", {}).get("package-dir", {})
    for package, directory in mapping.items():
        if not package.startswith("tokbench."):
            continue
        link = root.joinpath(*package.split("."))
        if not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(os.path.relpath(root / directory, link.parent), target_is_directory=True)


def from_git(ref: str) -> Reference:
    """tokbench at commit `ref` of this repository; UserError when the repository lacks it."""
    if shutil.which("git") is None:
        raise UserError(f"--against {ref}: git is not installed")
    commit = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if commit.returncode != 0:
        raise UserError(f"--against {ref}: no such commit in {REPO} (a shallow clone? fetch it, or gate against "
                        "a stored baseline on a machine like the baseline's)")
    sha = commit.stdout.strip()
    tmp = tempfile.TemporaryDirectory(prefix=f"tokbench-ref-{sha[:10]}-")
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", sha], capture_output=True)
    if archive.returncode != 0:
        tmp.cleanup()
        raise UserError(f"--against {ref}: git archive failed ({archive.stderr.decode(errors='replace').strip()})")
    root = Path(tmp.name)
    safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Pythons before 3.10.12 lack filters
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(root, **safe)
    _link_mapped_packages(root)
    (root / _BOOTSTRAP).write_text(_BOOTSTRAP_CODE)
    label = sha[:10] if sha.startswith(ref) else f"{ref} ({sha[:10]})"
    return Reference(label=label, python=sys.executable, pythonpath=str(root), _tmp=tmp)


def from_python(python: str) -> Reference:
    """The tokbench installed for interpreter `python` (e.g. a venv with a released version)."""
    path = shutil.which(python) or python
    probe = subprocess.run([path, "-c", "import tokbench; print(tokbench.__version__)"], capture_output=True,
                           text=True)
    if probe.returncode != 0:
        raise UserError(f"--against-python {python}: cannot import tokbench with it "
                        f"({(probe.stderr.strip().splitlines() or ['not runnable'])[-1]})")
    return Reference(label=f"tokbench {probe.stdout.strip()} ({path})", python=path)


def recorded_commit(baseline_recorded: dict) -> str | None:
    commit = baseline_recorded.get("git_commit")
    return commit if isinstance(commit, str) and commit else None
