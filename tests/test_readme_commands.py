"""Every command shown in the README is executed, as sqlite-utils tests its documentation against
its CLI.

What runs: every command line of the README's ```bash blocks (blocks indented inside a list
included), each in a fresh temporary working directory holding a copy of ``examples/``, so the
README's examples name real files (``perfsheet check examples/广州市….xlsx``).

- A line starting with ``perfsheet `` runs as written, through ``python -m perfsheet`` of the
  interpreter running the tests (so the code under test is this checkout's ``src/``). A trailing
  ``> 文件`` (stdout to a file) is honoured; ``# …`` comments are dropped.
- The two Quick start lines must be exactly the documented ones. Of line 1 only the part after
  ``&&`` runs (``perfsheet convert examples/ -o 输出/``): the ``python -m pip install .`` before
  it is NOT run (the test environment is installed already). Line 2 (``python -m pip install -e
  ".[dev]" && python -m pytest``) is NOT run at all: it is the command that runs this test.
- Any other command in a ```bash block fails the test. Syntax with placeholders (``文件``,
  ``部门预算.pdf``) belongs in ```text blocks, and so do commands that need the network
  (``perfsheet addin bundle`` downloads wheels from the package index).

Each command must exit 0, or 1 where the README documents 1 (``check``: errors found;
``convert``: some files failed), and print no Python traceback.

``perfsheet addin …`` (every command, in fact) runs with HOME, USERPROFILE, APPDATA and
LOCALAPPDATA pointed into the temporary directory, so nothing is installed for the real user.
Where there is no desktop Excel (Linux), ``addin install`` would only say so (exit 2); there it
runs as on Windows — the add-in module sees ``sys.platform == "win32"``, as in
``tests/test_addin_install.py`` — and installs into the temporary APPDATA.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

QUICK_START = (
    "python -m pip install . && perfsheet convert examples/ -o 输出/",
    'python -m pip install -e ".[dev]" && python -m pytest',
)

# Exit code 1 is documented for these commands only (README «命令行»).
EXIT_1_DOCUMENTED = {"check", "convert"}

# `perfsheet addin …` on a system without desktop Excel: run the CLI with the add-in module
# seeing Windows. Only that module's view of `sys` changes (patching `sys.platform` for the whole
# process makes asyncio, zoneinfo… import their Windows parts).
_AS_ON_WINDOWS = """\
import sys
import perfsheet.excel.addin as addin

class _Windows:
    platform = "win32"

    def __getattr__(self, name):
        return getattr(sys, name)

addin.sys = _Windows()
from perfsheet.cli import main

sys.argv = ["perfsheet", *sys.argv[1:]]
main()
"""

_BASH_BLOCK = re.compile(r"^([ \t]*)```bash[ \t]*\n(.*?)^\1```", re.M | re.S)


@dataclass(frozen=True)
class Command:
    line: str  # as written in the README
    argv: tuple[str, ...]  # what runs: perfsheet's arguments (after "perfsheet")
    stdout_to: str | None  # "> 文件"

    @property
    def name(self) -> str:
        return next((a for a in self.argv if not a.startswith("-")), "")


def bash_lines(text: str) -> list[str]:
    """The command lines of every ```bash block, continuation lines joined."""
    lines: list[str] = []
    for m in _BASH_BLOCK.finditer(text):
        pending = ""
        for raw in m.group(2).splitlines():
            line = raw.strip()
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            line = (pending + line).strip()
            pending = ""
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def to_command(line: str) -> Command | None:
    """The command to run for a README line; None for Quick start line 2 (see the docstring)."""
    if line == QUICK_START[1]:
        return None
    run = line.split("&&", 1)[1].strip() if line == QUICK_START[0] else line
    assert run.startswith("perfsheet "), (
        f"README ```bash line is not a perfsheet command and is not run by this test: {line!r} "
        "(put syntax and commands that need the network in a ```text block)"
    )
    tokens = shlex.split(run, comments=True)
    assert not {"|", "&&", ";", "<", ">>"} & set(tokens), f"unsupported shell syntax: {line!r}"
    stdout_to = None
    if ">" in tokens:
        i = tokens.index(">")
        assert i == len(tokens) - 2, f"'> 文件' must end the line: {line!r}"
        stdout_to = tokens[-1]
        tokens = tokens[:i]
    return Command(line, tuple(tokens[1:]), stdout_to)


def readme_commands() -> list[Command]:
    cmds = [to_command(line) for line in bash_lines(README.read_text(encoding="utf-8"))]
    return [c for c in cmds if c is not None]


def test_quick_start_is_the_two_documented_commands() -> None:
    text = README.read_text(encoding="utf-8")
    m = re.search(r"## Quick start\n\n```bash\n(.*?)\n```", text, re.S)
    assert m is not None, "README has no Quick start ```bash block"
    assert tuple(m.group(1).splitlines()) == QUICK_START


def test_readme_shows_commands_and_none_needs_the_network() -> None:
    cmds = readme_commands()
    names = {c.name for c in cmds}
    assert {"parse", "check", "summary", "convert", "addin"} <= names, names
    assert not [c.line for c in cmds if c.argv[:2] == ("addin", "bundle")]


@pytest.fixture(scope="module")
def examples_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("examples") / "examples"
    shutil.copytree(ROOT / "examples", src)
    return src


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PERFSHEET_DEBUG", None)  # it turns the one-line errors into tracebacks
    roaming = home / "AppData" / "Roaming"
    local = home / "AppData" / "Local"
    roaming.mkdir(parents=True)
    local.mkdir(parents=True)
    env.update(
        HOME=str(home),
        USERPROFILE=str(home),
        APPDATA=str(roaming),
        LOCALAPPDATA=str(local),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")])),
        PYTHONIOENCODING="utf-8",
    )
    return env


def _argv(cmd: Command) -> list[str]:
    no_excel = not (sys.platform.startswith("win") or sys.platform == "darwin")
    if cmd.argv[:2] == ("addin", "install") and no_excel:
        return [sys.executable, "-c", _AS_ON_WINDOWS, *cmd.argv]
    return [sys.executable, "-m", "perfsheet", *cmd.argv]


@pytest.mark.parametrize("cmd", readme_commands(), ids=lambda c: shlex.join(c.argv))
def test_readme_command_runs(cmd: Command, examples_copy: Path, tmp_path: Path) -> None:
    if cmd.argv[:2] == ("addin", "bundle"):
        pytest.fail(f"needs the network, belongs in a ```text block, not ```bash: {cmd.line}")
    work = tmp_path / "工作"
    shutil.copytree(examples_copy, work / "examples")
    env = _env(tmp_path / "用户")
    result = subprocess.run(
        _argv(cmd),
        cwd=work,
        env=env,
        capture_output=True,
        timeout=600,
    )
    stdout = result.stdout.decode("utf-8", "replace")
    stderr = result.stderr.decode("utf-8", "replace")
    shown = (
        f"{cmd.line}\n--- exit {result.returncode}\n"
        f"--- stdout\n{stdout[-3000:]}\n--- stderr\n{stderr[-3000:]}"
    )
    assert "Traceback" not in stderr and "Traceback" not in stdout, shown
    allowed = {0, 1} if cmd.name in EXIT_1_DOCUMENTED else {0}
    assert result.returncode in allowed, shown
    if cmd.stdout_to is not None:
        out = work / cmd.stdout_to
        out.write_bytes(result.stdout)
        assert result.stdout.strip(), shown
    installs = cmd.argv[:2] == ("addin", "install") and "--uninstall" not in cmd.argv
    if installs and sys.platform != "darwin":  # Windows, or as on Windows (see _argv)
        xlstart = Path(env["APPDATA"]) / "Microsoft" / "Excel" / "XLSTART"
        assert (xlstart / "perfsheet.xlam").is_file(), shown
    if cmd.line == QUICK_START[0]:
        # what the README says the first command gives
        assert (work / "输出" / "绩效汇总_合并.xlsx").is_file(), shown
        assert (work / "输出" / "convert-report.json").is_file(), shown
        assert len(list((work / "输出").glob("*_绩效汇总.xlsx"))) == 5, shown
