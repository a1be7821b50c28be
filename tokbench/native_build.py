"""Small C kernels compiled at first use with the system compiler, cached per machine, loaded by ctypes.

Plain C, no torch headers: a kernel builds in about a second. The shared object goes to a cache
directory (`$XDG_CACHE_HOME/tokbench` or `~/.cache/tokbench`) under a name keyed by the source,
the flags, the compiler's version and the CPU, so it is built once per machine and never reused on
another. Where it cannot be built (no compiler, the compiler fails) or is turned off by its
environment variable, `NativeLibrary.functions()` returns None and says why in `status`, so the
caller falls back to torch and the results record the reason.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

# Some x86 targets (-march=znver1, say) default to 128-bit vectors; kernels written with 8-float
# vectors want 256. The option exists on x86 compilers only.
X86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "i386")
BASE_FLAGS = ("-O3", "-march=native", *(("-mprefer-vector-width=256",) if X86 else ()), "-fopenmp", "-fPIC",
              "-shared")


def _cpu_signature() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor()
    fields = [line for line in text.splitlines() if line.startswith(("model name", "flags"))]
    return "\n".join(fields[:2])


def cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "tokbench"


INCLUDE_DIR = Path(__file__).parent  # native_vector.h: what the kernels share


def build(source: Path, flags: tuple[str, ...], compiler: str) -> Path:
    """The shared object for `source` built with `flags`: from the cache, or compiled now (OSError if not)."""
    version = subprocess.run([compiler, "--version"], capture_output=True, text=True).stdout
    headers = [h.read_text() for h in sorted(INCLUDE_DIR.glob("*.h"))]
    key = hashlib.sha256("\0".join([source.read_text(), *headers, " ".join(flags), version, _cpu_signature()]).encode())
    target = cache_dir() / f"{source.stem}-{key.hexdigest()[:16]}.so"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        done = subprocess.run([compiler, *flags, "-I", str(INCLUDE_DIR), str(source), "-o", tmp, "-lm"],
                              capture_output=True, text=True,
                              timeout=120)
        if done.returncode != 0:
            raise OSError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "compiler failed")
        os.replace(tmp, target)  # atomic: concurrent builders never load a half-written file
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


class NativeLibrary:
    """One C source, built and bound once per process.

    `bind(lib)` declares the exported functions' ctypes signatures and returns what callers use
    (a function, or an object holding several)."""

    def __init__(self, source: Path, env: str, bind: Callable[[ctypes.CDLL], object],
                 extra_flags: tuple[str, ...] = ()):
        self.source, self.env, self._bind = source, env, bind
        self.flags = BASE_FLAGS + extra_flags
        self.status = "not loaded"
        self._loaded = False
        self._functions = None

    def functions(self):
        """The bound functions, or None (the reason is in `status`)."""
        if not self._loaded:
            self._loaded = True
            self._functions = self._load()
        return self._functions

    def _load(self):
        if os.environ.get(self.env, "1").strip() == "0":
            self.status = f"disabled ({self.env}=0)"
            return None
        compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
        if not compiler:
            self.status = "no C compiler found"
            return None
        try:
            lib = ctypes.CDLL(str(build(self.source, self.flags, compiler)))
        except (OSError, subprocess.SubprocessError) as exc:
            self.status = f"build failed: {exc}"
            return None
        self.status = "native"
        return self._bind(lib)
