"""Bodies of ``perfsheet parse``, ``check`` and ``summary``: call the library
(:mod:`perfsheet.api`) and render what it returns.

``parse`` and ``check`` print a Chinese overview (rich) or, with ``--json``, the
:class:`~perfsheet.core.models.WorkbookResult` document (docs/json.md); ``summary`` says what
it wrote. Errors are :class:`~perfsheet.errors.PerfsheetError`; the CLI turns them into one line
on stderr and exit code 2.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from perfsheet import limits
from perfsheet.analysis import analyze_file
from perfsheet.cli_help import shell_arg
from perfsheet.core.counts import count_result
from perfsheet.core.grid import page_location
from perfsheet.core.layouts import LAYOUT_NAMES
from perfsheet.core.models import Finding, Table, WorkbookResult

SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}
_SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "info": "dim"}
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_CELL_RE = re.compile(r"([A-Z]+)(\d+)")


def _analyze(file: Path, sheet: str | None, rules: Path | None) -> WorkbookResult:
    """The library's analysis, under the command line's time limit."""
    return analyze_file(file, sheet=sheet, rules=rules, timeout=limits.TIME_LIMIT_SECONDS)


def _write_json(result: WorkbookResult) -> None:
    data = result.model_dump_json(indent=2) + "\n"
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        sys.stdout.flush()
        buffer.write(data.encode("utf-8"))
        buffer.flush()
    else:  # pragma: no cover - a text-only stdout
        sys.stdout.write(data)


def _console() -> Console:
    return Console(file=sys.stdout, highlight=False)


def _fmt_amount(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _table_overview(console: Console, table: Table) -> None:
    title = table.title or "（无标题）"
    console.print(Text(f"工作表「{table.sheet}」：{title}", style="bold"))
    meta = [
        f"版式：{LAYOUT_NAMES.get(table.layout, table.layout)}",
        f"部门：{table.department or '未注明'}",
        f"金额单位：{table.amount_unit or '未注明'}",
        f"表头行：{'、'.join(map(str, table.header_rows))}",
    ]
    console.print("  " + "    ".join(meta))
    rt = RichTable(show_lines=False, pad_edge=False)
    rt.add_column("资金使用单位")
    rt.add_column("行", justify="right")
    rt.add_column("项目数", justify="right")
    rt.add_column("指标数", justify="right")
    rt.add_column("总计", justify="right")
    for unit in table.units:
        n_ind = sum(len(p.indicators) for p in unit.projects)
        total = unit.amounts.total if unit.amounts else None
        if total is None and unit.row is None:
            subtotal = [p.amounts.total for p in unit.projects if p.amounts.total is not None]
            total = sum(subtotal) if subtotal else None
        rt.add_row(
            unit.name or "（未分单位）",
            str(unit.row) if unit.row else "",
            str(len(unit.projects)),
            str(n_ind),
            _fmt_amount(total),
        )
    if table.grand_total is not None:
        rt.add_row(
            "合计",
            str(table.grand_total.row),
            str(sum(len(u.projects) for u in table.units)),
            str(sum(len(p.indicators) for u in table.units for p in u.projects)),
            _fmt_amount(table.grand_total.amounts.total),
        )
    console.print(rt)


def _summary_line(result: WorkbookResult) -> str:
    c = count_result(result)
    return (
        f"共 {c.tables} 张表、{c.units} 个单位、{c.projects} 个项目、"
        f"{c.indicators} 条绩效指标；"
        f"发现问题：错误 {c.errors}，警告 {c.warnings}，提示 {c.infos}"
    )


def _position(f: Finding) -> tuple[int, int, int]:
    """Where a finding is on its sheet: row (findings without one last), column, severity."""
    m = _CELL_RE.match(f.cell or "")
    column = 0
    if m:
        for letter in m.group(1):
            column = column * 26 + ord(letter) - 64
    row = f.row if f.row is not None else int(m.group(2)) if m else 10**9
    return (row, column, _SEVERITY_ORDER.get(f.severity, 3))


def _findings_lines(console: Console, table: Table) -> None:
    """One line per finding, in sheet order (row, then column): level, cell, message, rule id
    (greppable, no wrapping tables). The JSON document keeps its own order (docs/json.md).
    """
    if not table.findings:
        console.print("  没有发现问题。")
        return
    for f in sorted(table.findings, key=_position):
        where = f.cell or (f"第{f.row}行" if f.row else "")
        on_page = page_location(table.pages, f.row)  # a PDF: 第5页第3行（G17）
        if on_page is not None:
            where = f"{on_page}（{where}）"
        line = Text("  ")
        line.append(f"[{SEVERITY_LABELS[f.severity]}]", style=_SEVERITY_STYLES[f.severity])
        if where:
            line.append(f" {where}")
        line.append(f" {f.message}")
        line.append(f"  ({f.rule})", style="dim")
        console.print(line, soft_wrap=True)


def run_parse(
    file: Path, sheet: str | None = None, as_json: bool = False, rules: Path | None = None
) -> int:
    """``perfsheet parse``: overview (or the JSON document). Exit code 0."""
    result = _analyze(file, sheet, rules)
    if as_json:
        _write_json(result)
        return 0
    console = _console()
    console.print(Text(f"文件：{result.file}", style="bold"))
    for table in result.tables:
        _table_overview(console, table)
    console.print(_summary_line(result), soft_wrap=True)
    c = count_result(result)
    arg = shell_arg(file)
    if c.errors or c.warnings or c.infos:
        step = (
            f"下一步：查看问题明细（错误 {c.errors} 个，警告 {c.warnings} 条）："
            f"perfsheet check {arg}"
        )
    else:
        step = f"下一步：生成标准化汇总表：perfsheet summary {arg}"
    console.print(step, soft_wrap=True)
    return 0


def run_check(
    file: Path, sheet: str | None = None, as_json: bool = False, rules: Path | None = None
) -> int:
    """``perfsheet check``: the findings. Exit code 1 when there is an ``error`` finding."""
    result = _analyze(file, sheet, rules)
    errors = count_result(result).errors
    if as_json:
        _write_json(result)
        return 1 if errors else 0
    console = _console()
    console.print(Text(f"文件：{result.file}", style="bold"))
    for table in result.tables:
        console.print(Text(f"工作表「{table.sheet}」：{table.title or '（无标题）'}", style="bold"))
        _findings_lines(console, table)
    console.print(_summary_line(result), soft_wrap=True)
    if errors:
        console.print(Text(f"校验未通过：{errors} 个错误。", style="bold red"))
    else:
        console.print(Text("校验通过：没有错误。", style="bold green"))
    console.print(_check_next_step(file, errors, count_result(result).warnings), soft_wrap=True)
    return 1 if errors else 0


def _check_next_step(file: Path, errors: int, warnings: int) -> str:
    """The last line of ``check``: what to do next."""
    arg = shell_arg(file)
    if errors:
        return (
            f"下一步：按上面的单元格地址改正 {errors} 个错误"
            + (f"（另有 {warnings} 条警告）" if warnings else "")
            + f"，然后重新校验：perfsheet check {arg}"
        )
    if warnings:
        return f"下一步：查看上面 {warnings} 条警告；生成标准化汇总表：perfsheet summary {arg}"
    return f"下一步：生成标准化汇总表：perfsheet summary {arg}"


def run_summary(
    file: Path,
    *,
    output: Path | None = None,
    sheet: str | None = None,
    template: Path | None = None,
    no_source: bool = False,
    rules: Path | None = None,
) -> int:
    """``perfsheet summary``: summarize and print a short Chinese summary. Exit code 0."""
    import typer

    from perfsheet.summary import summarize

    rep = summarize(
        file,
        output,
        sheet=sheet,
        template=template,
        with_source=not no_source,
        rules=rules,
        timeout=limits.TIME_LIMIT_SECONDS,
    )
    c = rep.counts
    typer.echo(f"已生成：{rep.output}")
    typer.echo(
        f"  {c.tables} 个表格，{c.projects} 个项目，{c.indicators} 条指标"
        f"（绩效指标明细 {rep.detail_rows} 行）"
    )
    typer.echo(f"  校验结果：错误 {c.errors} 条，警告 {c.warnings} 条，提示 {c.infos} 条")
    if rep.mode == "copy" and rep.annotated:
        sheets = "」「".join(dict.fromkeys(rep.annotated))
        typer.echo(f"  已在原表「{sheets}」右侧写入辅助列并标出错误单元格")
    elif rep.mode == "rebuilt":
        typer.echo("  原表按数值重建（.xls 或无法按原格式读取），已写入辅助列并标出错误单元格")
    for note in rep.notes:
        typer.echo(f"  注意：{note}")
    if c.errors:
        more = f"（另有 {c.warnings} 条警告）" if c.warnings else ""
        step = f"在「校验结果」中查看并改正 {c.errors} 个错误{more}"
    elif c.warnings:
        step = f"在「校验结果」中查看 {c.warnings} 条警告"
    else:
        step = "查看标准化汇总表（没有发现错误或警告）"
    typer.echo(f"下一步：打开 {rep.output}，{step}")
    return 0
