"""``perfsheet convert`` on the console: progress while converting, and the final Chinese
summary (:func:`run_convert` renders what :func:`perfsheet.batch.command.convert_with`
returns and reports).

On a terminal: a rich progress bar (files done / total, current rate, ETA, failures so far).
Elsewhere (CI logs, pipes): one plain line per finished file, nothing that redraws.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from perfsheet.batch.models import FileEntry, Summary

if TYPE_CHECKING:
    from perfsheet.batch.command import ConvertOptions

STATUS_TEXT = {"ok": "成功", "failed": "失败", "skipped": "跳过"}


class Reporter(Protocol):
    def start(self, total: int, skipped: int) -> None: ...
    def advance(self, entry: FileEntry) -> None: ...
    def stop(self) -> None: ...


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("—" if not speed else f"{speed:.1f} 个/秒", style="progress.data.speed")


class RichReporter:
    """A live progress bar (only for terminals)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]转换"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TextColumn("剩余"),
            TimeRemainingColumn(),
            TextColumn("用时"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[failures]}"),
            console=console,
            transient=False,
        )
        self.task = None
        self.failures = 0

    def start(self, total: int, skipped: int) -> None:
        if skipped:
            self.console.print(f"待转换 {total} 个工作簿，跳过 {skipped} 个文件")
        self.progress.start()
        self.task = self.progress.add_task("convert", total=total, failures="")

    def advance(self, entry: FileEntry) -> None:
        if entry.status == "failed":
            self.failures += 1
            line = Text("失败 ", style="red")
            line.append(f"{entry.input}：{entry.error}")
            self.progress.console.print(line)
        label = f"[red]失败 {self.failures}[/red]" if self.failures else ""
        assert self.task is not None
        self.progress.update(self.task, advance=1, failures=label)

    def stop(self) -> None:
        self.progress.stop()


class PlainReporter:
    """One line per finished file (for logs and pipes)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.total = 0
        self.done = 0
        self.failures = 0

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def start(self, total: int, skipped: int) -> None:
        self.total = total
        self._line(f"待转换 {total} 个工作簿，跳过 {skipped} 个文件")

    def advance(self, entry: FileEntry) -> None:
        self.done += 1
        head = f"[{self.done}/{self.total}] {STATUS_TEXT[entry.status]} {entry.input}"
        if entry.status == "failed":
            self.failures += 1
            self._line(f"{head}：{entry.error}")
        elif entry.status == "skipped":
            self._line(f"{head}：{entry.reason}")
        else:
            self._line(f"{head}（{entry.seconds:.2f} 秒）")

    def stop(self) -> None:
        pass


def make_reporter(stream: IO[str]) -> tuple[Reporter, Console]:
    """A live bar when ``stream`` is a terminal, plain lines otherwise; plus a console on it."""
    console = Console(file=stream, highlight=False)
    if console.is_terminal and not console.is_dumb_terminal:
        return RichReporter(console), console
    return PlainReporter(stream), Console(file=stream, highlight=False, width=120)


LISTED = 20  # skipped files and duplicates listed on the console (all of them in the report)


def print_summary(
    s: Summary,
    failures: list[FileEntry],
    consolidated: str | None,
    console: Console,
    entries: Sequence[FileEntry] = (),
) -> None:
    """The final Chinese summary: counts, totals, every failure with its reason; from
    ``entries`` (the report's), the files skipped for a reason worth reading (not the ones up to
    date) and the duplicate tables."""
    table = Table(title="批量转换结果", show_header=True, header_style="bold")
    for col in (
        "成功",
        "失败",
        "跳过",
        "其中已是最新",
        "表格",
        "项目",
        "指标",
        "错误",
        "警告",
        "用时（秒）",
    ):
        table.add_column(col, justify="right")
    table.add_row(
        str(s.ok),
        str(s.failed),
        str(s.skipped),
        str(s.up_to_date),
        str(s.tables),
        str(s.projects),
        str(s.indicators),
        str(s.errors),
        str(s.warnings),
        f"{s.seconds:.1f}",
    )
    console.print(table)
    if failures:
        ft = Table(title="失败的文件", show_header=True, header_style="bold red")
        ft.add_column("文件", overflow="fold")
        ft.add_column("原因", overflow="fold")
        for f in failures:
            ft.add_row(f.input, f.error or "")
        console.print(ft)
    _print_skipped(entries, console)
    _print_duplicates(entries, s, console)
    if s.interrupted:
        console.print("已中断：报告只包含中断前完成的文件，未生成合并工作簿。")
    if consolidated:
        console.print(f"合并工作簿：{consolidated}")
    elif s.consolidated_error:
        console.print(f"合并工作簿未生成：{s.consolidated_error}")
    console.print(next_step(s, consolidated), soft_wrap=True)


def next_step(s: Summary, consolidated: str | None) -> str:
    """The last line of the summary: what to do next (failures first, then errors)."""
    from perfsheet.batch.naming import REPORT_NAME

    if s.interrupted:
        return "下一步：重新运行同一条命令，已转换的文件不会重复转换。"
    if s.failed:
        return (
            f"下一步：查看上表中 {s.failed} 个失败文件的原因（明细见输出目录中的 "
            f"{REPORT_NAME}），改正后重新运行同一条命令。"
        )
    where = f"打开 {consolidated}，" if consolidated else ""
    if s.errors:
        more = f"（另有 {s.warnings} 条警告）" if s.warnings else ""
        return f"下一步：{where}在「校验结果」中查看并改正 {s.errors} 个错误{more}。"
    if s.warnings:
        return f"下一步：{where}在「校验结果」中查看 {s.warnings} 条警告。"
    return f"下一步：{where}查看汇总结果（没有发现错误或警告）。"


def _more(total: int, shown: int) -> str:
    return f"另有 {total - shown} 个，见 convert-report.json" if total > shown else ""


def _print_skipped(entries: Sequence[FileEntry], console: Console) -> None:
    skipped = [
        e
        for e in entries
        if e.status == "skipped" and e.reason_code not in ("up-to-date", "interrupted")
    ]
    if not skipped:
        return
    t = Table(title="跳过的文件", show_header=True, header_style="bold", caption=None)
    t.add_column("文件", overflow="fold")
    t.add_column("原因", overflow="fold")
    for e in skipped[:LISTED]:
        t.add_row(e.input, e.reason or "")
    t.caption = _more(len(skipped), LISTED) or None
    console.print(t)


def _print_duplicates(entries: Sequence[FileEntry], s: Summary, console: Console) -> None:
    dups = [(e, d) for e in entries for d in e.duplicates]
    if not dups:
        return
    counted = "按 --keep-duplicates 仍计入合计" if s.keep_duplicates else "未计入合并汇总的合计"
    t = Table(title=f"重复的表格（{counted}）", show_header=True, header_style="bold yellow")
    for col in ("文件", "工作表", "部门", "与之相同的表格"):
        t.add_column(col, overflow="fold")
    for e, d in dups[:LISTED]:
        t.add_row(e.input, d.sheet, d.department or "", f"{d.same_as}「{d.same_as_sheet}」")
    t.caption = _more(len(dups), LISTED) or None
    console.print(t)


def run_convert(
    opts: ConvertOptions, *, stdout: IO[str] | None = None, as_json: bool = False
) -> int:
    """``perfsheet convert``: :func:`~perfsheet.batch.command.convert_with`, rendered — a
    progress bar (or lines), the summary tables, the next step; with ``as_json`` the report
    document on stdout (the rest on stderr). Returns the exit code; raises
    :class:`~perfsheet.errors.OutputError` (exit code 2) when nothing could be written."""
    import sys

    from perfsheet.batch.command import EXIT_NOTHING_DONE, ConvertProgress, convert_with
    from perfsheet.batch.report import dump_report
    from perfsheet.errors import OutputError

    stdout = stdout or sys.stdout
    reporter, console = make_reporter(sys.stderr if as_json else stdout)
    running = False

    def progress(event: ConvertProgress) -> None:
        nonlocal running
        if event.kind == "start":
            reporter.start(event.total, event.skipped)
            running = True
        elif event.kind == "file" and event.entry is not None:
            reporter.advance(event.entry)
        elif event.kind == "merge" and running:
            reporter.stop()
            running = False

    try:
        report = convert_with(opts, progress)
    finally:
        if running:
            reporter.stop()
    s = report.summary
    if report.report_error:
        console.print(f"错误：{report.report_error}")
    failures = [e for e in report.files if e.status == "failed"]
    print_summary(s, failures, report.consolidated, console, report.files)
    if as_json:
        dump_report(stdout, report.files, report.consolidated, s)
        stdout.flush()
    if s.exit_code == EXIT_NOTHING_DONE and failures:
        # every input that was tried failed because its output could not be written
        more = f"（共 {len(failures)} 个文件无法写入）" if len(failures) > 1 else ""
        raise OutputError(f"{failures[0].error}{more}", failures[0].output)
    return s.exit_code
