"""The command line speaks Chinese (issue 15 §3): help pages, metavars, usage errors, ``-h``,
``--version``; ``check`` lists findings in sheet order; every human-readable output ends with
what to do next."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from perfsheet import __version__
from perfsheet.cli import app
from perfsheet.cli_help import ChineseCommand, ChineseGroup, width, wrap
from workbooks import LIBRARY, TRAINING, P, U, table_rows, write_xlsx

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "广州市协作办公室_项目支出绩效目标表.xlsx"
runner = CliRunner()

#: What click and typer would leave in English (headings, the help option, type renderings,
#: default/required marks, usage placeholders, error wording).
ENGLISH = (
    "Usage",
    "Options",
    "Arguments",
    "Commands",
    "Show this message",
    "and exit",
    "default:",
    "[default",
    "required",
    "<bool>",
    "<str>",
    "<path>",
    "<int>",
    "<float>",
    "list[",
    "[OPTIONS]",
    "COMMAND",
    "[ARGS]",
    "PATH",
    "TEXT",
    "INTEGER",
    "FLOAT",
    "Error",
    "Try ",
    "Missing",
    "No such",
    "Invalid value",
    "Got unexpected",
)


def _english(text: str) -> list[str]:
    return [s for s in ENGLISH if s in text]


def _command_paths() -> list[tuple[str, ...]]:
    """Every command and group of the CLI, as argument paths (the root is ())."""
    out: list[tuple[str, ...]] = []

    def walk(cmd, path: tuple[str, ...]) -> None:
        out.append(path)
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return out


PATHS = _command_paths()


def test_every_command_renders_its_own_chinese_help() -> None:
    """A command added without cls=ChineseCommand would fall back to typer's English help."""
    assert {"parse", "check", "summary", "convert", "addin", "build", "install"} <= {
        p[-1] for p in PATHS if p
    }

    def walk(cmd) -> None:
        group = hasattr(cmd, "commands")
        assert isinstance(cmd, ChineseGroup if group else ChineseCommand), cmd.name
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "perfsheet")
def test_help_is_chinese_with_h_and_help(path: tuple[str, ...]) -> None:
    long = runner.invoke(app, [*path, "--help"])
    short = runner.invoke(app, [*path, "-h"])
    assert long.exit_code == 0 and short.exit_code == 0, long.output + short.output
    assert long.stdout == short.stdout
    out = long.stdout
    assert out.startswith("用法：" + " ".join(["perfsheet", *path]) + " [选项]")
    assert "选项：" in out and "-h, --help" in out and "显示帮助并退出" in out
    assert _english(out) == [], out
    for line in out.splitlines():  # wrapped to the terminal (80 columns under the runner)
        assert width(line) <= 80, line


def test_help_names_metavars_in_chinese() -> None:
    def help_of(*args: str) -> str:
        return runner.invoke(app, [*args, "-h"]).stdout

    root = help_of()
    assert "命令：" in root and "查看某个命令的用法：perfsheet 命令 -h" in root
    for name in ("parse", "check", "summary", "convert", "addin"):
        assert f"\n  {name} " in root
    assert "--version" in root and "显示版本号并退出" in root
    check = help_of("check")
    assert check.startswith("用法：perfsheet check [选项] 文件\n")
    assert "参数：" in check and "--sheet 工作表名" in check and "--rules 文件" in check
    convert = help_of("convert")
    assert convert.startswith("用法：perfsheet convert [选项] 文件或文件夹...\n")
    assert "-o, --output 文件夹" in convert and "-j, --jobs 进程数" in convert
    assert "--timeout 秒数" in convert and "默认：600" in convert and "必填" in convert
    assert "--template 文件" in convert and "--scheduler 地址" in convert
    summary = help_of("summary")
    assert "-o, --output 文件" in summary and "--template 文件" in summary
    assert "--dir 文件夹" in help_of("addin", "install")
    assert "-o, --output 文件或文件夹" in help_of("addin", "build")


def test_version() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout == f"perfsheet {__version__}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["convert", "x.xlsx"], "错误：缺少选项 -o / --output"),
        (["check"], "错误：缺少参数 文件"),
        (["check", "a.xlsx", "b.xlsx"], "错误：多余的参数：b.xlsx"),
        (["parse", "a.xlsx", "--bogus"], "错误：没有选项 --bogus"),
        (["convert", "x", "-o", "y", "-j", "abc"], "错误：-j / --jobs 的值无效：应为整数"),
        (["convert", "x", "-o", "y", "--timeout", "abc"], "错误：--timeout 的值无效：应为数字"),
        (["summary", "a.xlsx", "-o"], "错误：选项 -o 需要一个值"),
        (["nosuch"], "错误：没有命令「nosuch」"),
        (["addin", "nosuch"], "错误：没有命令「nosuch」"),
    ],
)
def test_usage_errors_are_chinese(args: list[str], message: str) -> None:
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert res.stdout == ""
    assert message in res.stderr
    assert _english(res.stderr) == [], res.stderr
    assert "Traceback" not in res.stderr


def test_no_arguments_prints_the_help() -> None:
    res = runner.invoke(app, [])
    assert res.exit_code == 2 and res.stderr.startswith("用法：perfsheet [选项] 命令")
    res = runner.invoke(app, ["addin"])
    assert res.exit_code == 2 and res.stderr.startswith("用法：perfsheet addin [选项] 命令")


def test_wrap_counts_cjk_columns_and_keeps_punctuation() -> None:
    text = "批量转换文件夹中的工作簿：每个输入一个标准化汇总表（外加合并工作簿与转换报告）。"
    lines = wrap(text, 20)
    assert "".join(lines) == text
    assert all(width(line) <= 20 for line in lines)
    assert not any(line[0] in "，。、；：）" for line in lines)
    assert not any(line[-1] in "（「" for line in lines)
    lines = wrap("Dask 调度器地址（如 tcp://10.0.0.5:8786）", 16)
    assert "tcp://10.0.0.5:8786）" in lines  # an address is not cut


# --------------------------------------------------------------------------------------------
# Real processes
# --------------------------------------------------------------------------------------------


def _run(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONIOENCODING": "utf-8"}
    cmd = (
        [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "perfsheet", *args]
    )
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


def test_real_process_help_h_version() -> None:
    helped = _run("--help")  # python -m perfsheet: click names the program so
    assert helped.returncode == 0
    assert helped.stdout.startswith("用法：python -m perfsheet [选项] 命令")
    assert _english(helped.stdout) == []
    short = _run("convert", "-h")
    assert short.returncode == 0 and "-o, --output 文件夹" in short.stdout
    assert _english(short.stdout) == []
    version = _run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"perfsheet {__version__}"
    wrong = _run("convert", "x.xlsx")
    assert wrong.returncode == 2 and "错误：缺少选项 -o / --output" in wrong.stderr


def test_help_path_imports_no_rich_and_no_markdown() -> None:
    """typer's help renders through rich and markdown_it; ours must not import them (start-up
    time, bench/bench_cli.py)."""
    code = (
        "import runpy, sys\n"
        "sys.argv = ['perfsheet', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('perfsheet', run_name='__main__')\n"
        "except SystemExit as e:\n"
        "    code = e.code\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'rich', 'markdown_it', 'pygments', 'openpyxl', 'pydantic'})\n"
        "print('\\n' + repr((code, heavy)))\n"
    )
    for args in (["--help"], ["-h"], ["--version"]):
        proc = _run(*args, code=code)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines()[-1] == "(0, [])", (args, proc.stdout[-300:])


# --------------------------------------------------------------------------------------------
# check: sheet order; every output ends with the next step
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two sheets whose findings come from the table checks (unit-subtotal E6, row-total B8;
    row-total B5, B6) and from the audit (G7, G8; G6), interleaved by row."""
    units = [
        U(
            "示例县文化馆",
            (300, 290, None, 10),
            [
                P("群众文化培训", (100, 100, None, None), indicators=TRAINING),
                P("流动图书服务", (200, 190, None, 12), indicators=LIBRARY),
            ],
        )
    ]
    first = table_rows(units, grand=(300, 290, None, 10))
    second = table_rows(
        None, [P("非遗展演", (50, 40, None, 5), indicators=TRAINING)], grand=(50, 40, None, 5)
    )
    return write_xlsx(
        tmp_path_factory.mktemp("mixed") / "混合.xlsx", {"文化馆": first, "非遗中心": second}
    )


_LINE_RE = re.compile(r"^  \[(错误|警告|提示)\] ([A-Z]+)(\d+) .*\((\S+)\)$")
_AUDIT = ("indicator-vague", "indicator-coverage")


def test_check_lists_findings_by_sheet_row_and_column(mixed: Path) -> None:
    res = runner.invoke(app, ["check", str(mixed)])
    assert res.exit_code == 1
    found: list[tuple[str, str, int, str]] = []
    sheet = None
    for line in res.stdout.splitlines():
        if line.startswith("工作表「"):
            sheet = line.split("「")[1].split("」")[0]
        m = _LINE_RE.match(line)
        if m:
            found.append((sheet, m.group(2), int(m.group(3)), m.group(4)))
    assert [(s, f"{c}{r}", rule) for s, c, r, rule in found] == [
        ("文化馆", "E6", "unit-subtotal"),
        ("文化馆", "G7", "indicator-vague"),
        ("文化馆", "B8", "row-total"),
        ("文化馆", "G8", "indicator-coverage"),
        ("非遗中心", "B5", "row-total"),
        ("非遗中心", "B6", "row-total"),
        ("非遗中心", "G6", "indicator-vague"),
    ]
    last = res.stdout.rstrip().splitlines()[-1]
    assert last.startswith("下一步：按上面的单元格地址改正 4 个错误（另有 3 条警告）")
    assert last.endswith(f"perfsheet check {mixed}")


def test_check_json_keeps_its_documented_order(mixed: Path) -> None:
    """docs/json.md: the table checks by row, then the quality audit."""
    res = runner.invoke(app, ["check", str(mixed), "--json"])
    assert res.exit_code == 1
    tables = json.loads(res.stdout)["tables"]
    assert [[(f["cell"], f["rule"]) for f in t["findings"]] for t in tables] == [
        [
            ("E6", "unit-subtotal"),
            ("B8", "row-total"),
            ("G7", "indicator-vague"),
            ("G8", "indicator-coverage"),
        ],
        [("B5", "row-total"), ("B6", "row-total"), ("G6", "indicator-vague")],
    ]


def test_parse_and_check_end_with_the_next_step(mixed: Path) -> None:
    parsed = runner.invoke(app, ["parse", str(mixed)])
    assert parsed.stdout.rstrip().splitlines()[-1] == (
        f"下一步：查看问题明细（错误 4 个，警告 3 条）：perfsheet check {mixed}"
    )
    checked = runner.invoke(app, ["check", str(EXAMPLE)])
    assert checked.exit_code == 0
    assert checked.stdout.rstrip().splitlines()[-1] == (
        f"下一步：查看上面 75 条警告；生成标准化汇总表：perfsheet summary {EXAMPLE}"
    )


def test_summary_ends_with_the_output_and_the_errors(mixed: Path, tmp_path: Path) -> None:
    out = tmp_path / "汇总.xlsx"
    res = runner.invoke(app, ["summary", str(mixed), "-o", str(out), "--no-source"])
    assert res.exit_code == 0, res.output
    assert res.stdout.rstrip().splitlines()[-1] == (
        f"下一步：打开 {out}，在「校验结果」中查看并改正 4 个错误（另有 3 条警告）"
    )


def test_convert_ends_with_the_next_step(mixed: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "收件"
    inbox.mkdir()
    (inbox / mixed.name).write_bytes(mixed.read_bytes())
    out = tmp_path / "输出"
    res = runner.invoke(app, ["convert", str(inbox), "-o", str(out), "-j", "1"])
    assert res.exit_code == 0, res.output
    last = res.stdout.rstrip().splitlines()[-1]
    assert last.startswith("下一步：打开 ") and "绩效汇总_合并.xlsx" in last
    assert last.endswith("在「校验结果」中查看并改正 4 个错误（另有 3 条警告）。")
