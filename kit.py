#!/usr/bin/env python3
"""iskpi — the one entry script. Needs only Python 3.11+; everything else it installs itself.

    python3 kit.py report   set up .venv (pinned) if needed, then write the monthly report
                            for the sample data (reports/2026-10/index.html)
    python3 kit.py test     set up if needed, then run the whole test suite
    python3 kit.py unit     the fast tier only (tests/unit on two processes, under a minute)
    python3 kit.py lint     set up if needed, then ruff check + ruff format --check
    python3 kit.py lab      set up if needed, then open JupyterLab on notebooks/
    python3 kit.py help     list every command

Extra arguments after the command go to the underlying tool, e.g.
``python3 kit.py report --month 2026-09 --team tokyo_is`` or ``python3 kit.py test -k dataset``.

Run as root (e.g. in a container), ``kit.py lab`` passes ``--allow-root`` to JupyterLab,
which otherwise refuses to start as root, and says so.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".iskpi-installed"
SAMPLE_MONTH = "2026-10"
COMMANDS = {}


def command(fn):
    """Register a command; its docstring's first line is its help text."""
    COMMANDS[fn.__name__.replace("_", "-")] = fn
    return fn


def run(*args, **kw) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.call([str(a) for a in args], cwd=ROOT, **kw)


def _wanted_stamp() -> str:
    h = hashlib.sha256()
    for f in (LOCK, ROOT / "pyproject.toml"):
        h.update(f.read_bytes())
    return h.hexdigest()


@command
def setup(*_args) -> int:
    """Create .venv and install the kit with pinned versions (requirements.lock); no-op if current."""
    if sys.version_info < (3, 11):
        print(f"iskpi needs Python 3.11 or newer; this is {sys.version.split()[0]}", file=sys.stderr)
        return 2
    if STAMP.exists() and STAMP.read_text() == _wanted_stamp() and PY.exists():
        return 0
    if not PY.exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    rc = run(PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-c", LOCK, "-e", f"{ROOT}[test]")
    if rc == 0:
        STAMP.write_text(_wanted_stamp())
    return rc


@command
def report(*args) -> int:
    """Set up, then run the monthly report (default: sample data, month 2026-10)."""
    rc = setup()
    if rc:
        return rc
    if not any(a == "--month" or a.startswith("--month=") for a in args):
        args = ("--month", SAMPLE_MONTH, *args)
    return run(BIN / "iskpi", "report", *args)


#: pytest-xdist for the whole suite: two workers (CI has two cores), and ``loadgroup`` so that a
#: shared run (the sample reports, the engine servers) and a module's fixtures stay on one worker
#: (tests/conftest.py sets the groups). Arguments after the command come later and win, e.g.
#: ``python3 kit.py test -n 0`` runs in one process.
PARALLEL = ("-n", "2", "--dist", "loadgroup")


@command
def test(*args) -> int:
    """Set up, then run the whole test suite (pytest, two workers); 'no tests collected' counts as a failure."""
    rc = setup()
    if rc:
        return rc
    rc = run(PY, "-m", "pytest", *PARALLEL, *args)
    if rc == 5:  # pytest: no tests were collected — never a silent success
        print("error: pytest collected no tests", file=sys.stderr)
        return 1
    return rc


@command
def unit(*args) -> int:
    """Set up, then run the fast tier (tests/unit, -m unit) on two processes: the quick loop."""
    return test("tests/unit", "-m", "unit", "-q", *args)


@command
def lint(*args) -> int:
    """Set up, then check the code with ruff (lint rules and formatting, see pyproject.toml)."""
    rc = setup()
    if rc:
        return rc
    ruff = BIN / ("ruff.exe" if os.name == "nt" else "ruff")
    return run(ruff, "check", *args, ".") or run(ruff, "format", "--check", *args, ".")


@command
def lab(*args) -> int:
    """Set up, then open JupyterLab on notebooks/ (the notebooks find the kit and sample data)."""
    rc = setup()
    if rc:
        return rc
    extra = []
    # JupyterLab refuses to start as root ("Running as root is not recommended"), which is the
    # normal user in a container: allow it, and say so, rather than exit 1.
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in args:
        print("running as root: passing --allow-root to JupyterLab", flush=True)
        extra.append("--allow-root")
    return run(BIN / "jupyter", "lab", f"--notebook-dir={ROOT / 'notebooks'}", *extra, *args)


@command
def validate(*args) -> int:
    """Set up, then check a data directory against the contract (default: the sample data)."""
    return setup() or run(BIN / "iskpi", "validate", *args)


@command
def sample(*args) -> int:
    """Set up, then regenerate data/sample/ deterministically."""
    return setup() or run(BIN / "iskpi", "sample", *args)


@command
def bench(*args) -> int:
    """Set up, then run the benchmarks (aggregation at 25 M calls; report runner)."""
    rc = setup()
    if rc:
        return rc
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        rc = run(PY, script, *args) or rc
    return rc


@command
def lock(*_args) -> int:
    """Re-pin requirements.lock from a fresh environment (run after changing dependencies)."""
    tmp = ROOT / ".venv-lock"
    shutil.rmtree(tmp, ignore_errors=True)
    venv.EnvBuilder(with_pip=True).create(tmp)
    tpy = tmp / BIN.name / PY.name
    rc = run(tpy, "-m", "pip", "install", "--disable-pip-version-check", "-q", f"{ROOT}[test]")
    if rc:
        return rc
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # left by the non-editable install
    frozen = subprocess.run(
        [str(tpy), "-m", "pip", "freeze", "--exclude", "iskpi"], capture_output=True, text=True, check=True
    ).stdout
    LOCK.write_text("# pinned by `python3 kit.py lock`; used as pip constraints by `kit.py setup`\n" + frozen)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"wrote {LOCK} ({len(frozen.splitlines())} packages)")
    return 0


@command
def help(*_args) -> int:  # noqa: A001 - the conventional name
    """List the commands."""
    print(__doc__.split("\n\n")[0])
    for name, fn in COMMANDS.items():
        print(f"  python3 kit.py {name:<9} {fn.__doc__.splitlines()[0]}")
    return 0


def main(argv: list[str]) -> int:
    name = argv[0] if argv else "help"
    if name not in COMMANDS:
        print(f"unknown command {name!r}; commands: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    return COMMANDS[name](*argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
