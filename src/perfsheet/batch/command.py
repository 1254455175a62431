"""Batch conversion as a library call: :func:`convert` (discovery, incremental check, runner,
consolidation, report) returns a :class:`~perfsheet.batch.models.ConvertReport` and prints
nothing; ``perfsheet convert`` (:func:`perfsheet.batch.progress.run_convert`) and the add-in's
批量转换 button render it."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from perfsheet import __version__
from perfsheet.batch.cache import CACHE_VERSION, read_meta
from perfsheet.batch.consolidate import sheet_looks, write_consolidated
from perfsheet.batch.discovery import Candidate, discover
from perfsheet.batch.duplicates import find_duplicates
from perfsheet.batch.engine import connect_dask, default_workers, run_dask, run_local
from perfsheet.batch.layout import ConsolidatedLook
from perfsheet.batch.models import ConvertReport, FileEntry, FileJob, FileResult, Summary
from perfsheet.batch.naming import (
    CACHE_DIR,
    CONSOLIDATED_NAME,
    REPORT_NAME,
    cache_path_for,
    sweep_temps,
)
from perfsheet.batch.report import write_report
from perfsheet.batch.worker import convert_file
from perfsheet.errors import (
    WRITE_ERRNOS,
    OutputError,
    PerfsheetError,
    UsageError,
    describe_os_error,
    os_error_in,
)

if TYPE_CHECKING:
    from perfsheet.core.audit import AuditRules
    from perfsheet.io.template import TemplateSpec

DEFAULT_TIMEOUT = 600.0
EXIT_OK, EXIT_SOME_FAILED, EXIT_NOTHING_DONE, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass(slots=True)
class ConvertOptions:
    paths: list[Path]
    outdir: Path
    jobs: int | None = None
    recursive: bool = False
    template: Path | None = None
    force: bool = False
    with_source: bool = False
    timeout: float = DEFAULT_TIMEOUT
    scheduler: str | None = None
    rules: AuditRules | Path | None = None  # a loaded model, or a rules file to load
    keep_duplicates: bool = False  # count duplicate tables in the merge (see batch.duplicates)
    connect_timeout: float = 30.0  # Dask scheduler connection
    # Not on the command line: the per-file function (the engine and the tests use the default).
    func: Callable[[FileJob], FileResult] = field(default=convert_file)


@dataclass(frozen=True, slots=True)
class ConvertProgress:
    """What :func:`convert` tells its ``progress`` callback, in this order: one ``start``
    (``total`` inputs to convert, ``skipped`` found but not converted), one ``file`` per
    finished input (its report ``entry``, ``done`` so far), one ``merge`` before the
    consolidated workbook is written (the runner has finished)."""

    kind: Literal["start", "file", "merge"]
    total: int = 0
    skipped: int = 0
    done: int = 0
    entry: FileEntry | None = None


ProgressCallback = Callable[[ConvertProgress], None]


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fingerprint(
    template: Path | None, rules: AuditRules | None, with_source: bool, styles: str = ""
) -> str:
    """Everything besides the input that changes an output: an output made otherwise is stale.
    ``styles``: the digest of the consolidated workbook's styles part, which the cells of the
    row caches refer to (:attr:`~perfsheet.batch.layout.ConsolidatedLook.digest`)."""
    # (the rules' own content, not where they came from)
    rules_text = None if rules is None else rules.model_dump_json(exclude={"source"})
    doc = {
        "perfsheet": __version__,
        "cache": CACHE_VERSION,
        "with_source": with_source,
        "template": _sha256_file(template) if template else None,
        "rules": rules_text,
        "styles": styles,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:24]


def _validate(opts: ConvertOptions) -> tuple[AuditRules | None, TemplateSpec | None, int]:
    if not opts.paths:
        raise UsageError("请至少指定一个输入文件或文件夹")
    jobs = default_workers() if opts.jobs is None else opts.jobs
    if jobs < 1:
        raise UsageError(f"-j 必须是正整数（收到 {jobs}）")
    if not opts.timeout or opts.timeout <= 0:
        raise UsageError(f"--timeout 必须大于 0 秒（收到 {opts.timeout}）")
    if opts.template is not None and not opts.template.is_file():
        raise UsageError(f"模板文件不存在：{opts.template}")
    spec = None
    if opts.template is not None:  # read once here, not once per file (and fail early)
        from perfsheet.io.template import load_template

        spec = load_template(opts.template)
    rules = None
    if isinstance(opts.rules, Path):
        from perfsheet.io.rules_file import load_rules

        rules = load_rules(opts.rules)  # fail early, with the line, on a bad rules file
    elif opts.rules is not None:
        rules = opts.rules
    return rules, spec, jobs


def _prepare_outdir(outdir: Path, candidates: list[Candidate]) -> Path:
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"输出目录是一个已有文件，不能写入：{outdir}；请用 -o 指定一个文件夹")
    real = os.path.realpath(outdir)
    if any(c.real == real for c in candidates):
        raise UsageError(f"输出目录不能是输入文件：{outdir}")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".perfsheet-probe-", dir=outdir)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        reason, advice = describe_os_error(outdir, err)
        raise OutputError(f"输出目录不可写：{outdir}（{reason}）；{advice}", outdir) from err
    return outdir.resolve()


def _entry(result: FileResult, display: str) -> FileEntry:
    c = result.counts
    return FileEntry(
        input=display,
        status=result.status,
        output=result.output,
        error=result.error,
        reason=result.reason,
        reason_code=result.reason_code,
        tables=c.tables,
        projects=c.projects,
        indicators=c.indicators,
        errors=c.errors,
        warnings=c.warnings,
        seconds=result.seconds,
    )


def convert(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    outdir: str | os.PathLike[str],
    *,
    jobs: int | None = None,
    recursive: bool = False,
    template: str | os.PathLike[str] | None = None,
    force: bool = False,
    with_source: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    scheduler: str | None = None,
    rules: AuditRules | str | os.PathLike[str] | None = None,
    keep_duplicates: bool = False,
    progress: ProgressCallback | None = None,
) -> ConvertReport:
    """Convert every workbook and PDF in ``inputs`` (files or folders) into ``outdir``: one
    ``<名称>_绩效汇总.xlsx`` per input, the consolidated workbook and ``convert-report.json``.

    Returns the report (``summary.exit_code``: 0 all converted, 1 some failed, 2 every output
    failed to be written, 130 interrupted). ``progress`` is called with a
    :class:`ConvertProgress` as the work goes on. Raises :class:`~perfsheet.errors.UsageError`
    when nothing can be done (no input, bad options, bad rules file) and
    :class:`~perfsheet.errors.OutputError` when ``outdir`` cannot be written.
    """
    paths = [inputs] if isinstance(inputs, str | os.PathLike) else list(inputs)
    loaded = rules if rules is None or not isinstance(rules, str | os.PathLike) else Path(rules)
    opts = ConvertOptions(
        paths=[Path(p) for p in paths],
        outdir=Path(outdir),
        jobs=jobs,
        recursive=recursive,
        template=Path(template) if template is not None else None,
        force=force,
        with_source=with_source,
        timeout=timeout,
        scheduler=scheduler,
        rules=loaded,
        keep_duplicates=keep_duplicates,
    )
    return convert_with(opts, progress)


def convert_with(opts: ConvertOptions, progress: ProgressCallback | None = None) -> ConvertReport:
    """:func:`convert` with its options in one object (the CLI, tests and benchmarks)."""
    notify = progress or (lambda _event: None)
    began = time.perf_counter()
    rules, spec, workers = _validate(opts)
    found = discover(opts.paths, opts.outdir, recursive=opts.recursive)
    if not found.candidates:
        skipped = f"（跳过 {len(found.skipped)} 个文件，原因见各文件）" if found.skipped else ""
        raise UsageError(f"输入中没有可转换的工作簿或 PDF（.xlsx / .xlsm / .xls / .pdf）{skipped}")
    # Connect before creating anything: an unreachable cluster means nothing can be done.
    client = connect_dask(opts.scheduler, timeout=opts.connect_timeout) if opts.scheduler else None
    try:
        outdir = _prepare_outdir(opts.outdir, found.candidates)
    except BaseException:
        if client is not None:
            client.close()
        raise
    # the consolidated workbook's columns and cell formats, as the workers compute them
    look = ConsolidatedLook(spec)
    fp = fingerprint(opts.template, rules, opts.with_source, look.digest)

    entries: list[FileEntry | None] = [
        item if isinstance(item, FileEntry) else None for item in found.items
    ]
    caches: dict[int, str] = {}  # entry position -> row cache, for inputs that feed the merge
    jobs = JobTable(
        outdir=str(outdir),
        with_source=opts.with_source,
        template_spec=spec,
        rules=rules,
        fingerprint=fp,
    )
    positions: list[int] = []  # job index -> entry position
    pending: list[tuple[int, int, tuple[str, str, str, str, str]]] = []
    input_reals = {c.real for c in found.candidates}
    for pos, c in enumerate(found.items):
        if isinstance(c, FileEntry):
            continue
        output = outdir / c.rel_output
        cache = cache_path_for(outdir, c.rel_output)
        display = str(c.path)
        if os.path.realpath(output) in input_reals:
            entries[pos] = FileEntry(
                input=display,
                status="failed",
                reason_code="output-error",
                error=f"输出文件 {output} 会覆盖一个输入文件，已拒绝",
            )
            continue
        if not opts.force:
            cached = _up_to_date(c, output, cache, fp)
            if cached is not None:
                entries[pos] = dataclasses.replace(cached, output=str(output))
                caches[pos] = str(cache)
                continue
        try:
            size = os.stat(c.real).st_size
        except OSError:
            size = 0
        pending.append((size, pos, (c.real, display, c.source.as_posix(), str(output), str(cache))))
    # Largest inputs first: the batch does not end waiting on one big file while the other
    # workers are idle (the report keeps the order in which the inputs were found).
    pending.sort(key=lambda p: (-p[0], p[1]))
    for _size, pos, row in pending:
        jobs.append(*row)
        positions.append(pos)
    del pending
    # From here on the parent keeps per input only a compact job row and its report entry
    # (the rows of the merge live in the row caches on disk).
    del found, input_reals

    done = 0

    def on_done(i: int, result: FileResult) -> None:
        nonlocal done
        pos = positions[i]
        entry = _entry(result, jobs.display(i))
        entries[pos] = entry
        if result.status == "ok" and result.cache:
            caches[pos] = result.cache
        done += 1
        notify(ConvertProgress("file", total=len(jobs), done=done, entry=entry))

    notify(ConvertProgress("start", total=len(jobs), skipped=len(entries) - len(jobs)))
    if client is not None:
        outcome = run_dask(
            jobs, client=client, timeout=opts.timeout, on_done=on_done, func=opts.func
        )
    else:
        outcome = run_local(
            jobs, workers=workers, timeout=opts.timeout, on_done=on_done, func=opts.func
        )
    notify(ConvertProgress("merge", total=len(jobs), done=done))

    for i in outcome.unfinished:
        if entries[positions[i]] is None:
            entries[positions[i]] = FileEntry(
                input=jobs.display(i),
                status="skipped",
                reason="已中断，未处理",
                reason_code="interrupted",
            )
    # Workers killed mid-write (timeout, crash, Ctrl-C, or an innocent neighbour of those)
    # leave temporary files next to where they were writing: remove them.
    if len(jobs):
        sweep_temps(jobs.folders())

    summary = Summary(interrupted=outcome.interrupted, jobs=workers, scheduler=opts.scheduler)
    failures: list[FileEntry] = []
    for e in entries:
        if e is None:
            continue
        summary.total += 1
        if e.status == "ok":
            summary.ok += 1
        elif e.status == "failed":
            summary.failed += 1
            failures.append(e)
        else:
            summary.skipped += 1
            summary.up_to_date += e.reason_code == "up-to-date"
    for pos in caches:
        e = files_at(entries, pos)
        summary.tables += e.tables
        summary.projects += e.projects
        summary.indicators += e.indicators
        summary.errors += e.errors
        summary.warnings += e.warnings
    # The same table twice (in two files, or twice in one) is counted once: batch.duplicates.
    dups = find_duplicates(entries, caches, keep=opts.keep_duplicates)
    dups.adjust(summary)

    consolidated: str | None = None
    if not outcome.interrupted and not caches:
        # Nothing to merge this time: a merge left by an earlier run would be stale.
        with contextlib.suppress(OSError):
            (outdir / CONSOLIDATED_NAME).unlink()
    if not outcome.interrupted and caches:
        target = outdir / CONSOLIDATED_NAME
        try:
            with dups.merge_inputs(caches, outdir / CACHE_DIR, look) as merged:
                write_consolidated(
                    target,
                    merged,
                    _notes(summary, len(caches), look),
                    tmpdir=outdir / CACHE_DIR,
                    looks=sheet_looks(spec),
                    styles=look,
                )
            consolidated = str(target)
        except KeyboardInterrupt:
            summary.interrupted = True
        except Exception as err:
            cause = os_error_in(err)
            if isinstance(err, PerfsheetError):
                summary.consolidated_error = str(err)
            elif cause is not None and (err is cause or cause.errno in WRITE_ERRNOS):
                summary.consolidated_error = str(OutputError.from_os(target, cause))
            else:
                detail = " ".join(f"{type(err).__name__}: {err}".split())[:300]
                summary.consolidated_error = detail

    # Every input that was tried failed because its output could not be written (a full disk,
    # outputs open in Excel…): nothing could be done, like an OUTDIR that cannot be written.
    unwritable = (
        not summary.interrupted
        and summary.ok == 0
        and not caches
        and bool(failures)
        and all(e.reason_code == "output-error" for e in failures)
    )
    if summary.interrupted:
        code = EXIT_INTERRUPTED
    elif unwritable:
        code = EXIT_NOTHING_DONE
    elif summary.failed or summary.consolidated_error:
        code = EXIT_SOME_FAILED
    else:
        code = EXIT_OK
    summary.exit_code = code
    summary.seconds = round(time.perf_counter() - began, 3)
    files = [e for e in entries if e is not None]
    # built from validated parts: no second validation of every entry
    report = ConvertReport.model_construct(
        files=files, consolidated=consolidated, summary=summary, report_error=None
    )
    report_path = outdir / REPORT_NAME
    try:
        write_report(report_path, files, consolidated, summary)
    except OSError as err:
        report.report_error = str(OutputError.from_os(report_path, err))
        summary.exit_code = max(code, EXIT_SOME_FAILED)
    return report


class JobTable(Sequence[FileJob]):
    """The jobs of a batch as compact rows; a :class:`FileJob` is built when one is needed
    (at submission), so the parent does not keep a pydantic model per input."""

    def __init__(self, **shared: Any) -> None:
        self._shared = shared
        self._rows: list[tuple[str, str, str, str, str]] = []

    def append(self, input: str, display: str, source: str, output: str, cache: str) -> None:
        self._rows.append((input, display, source, output, cache))

    def display(self, i: int) -> str:
        return self._rows[i][1]

    def folders(self) -> set[Path]:
        """The folders outputs and caches are written to."""
        out: set[str] = set()
        for row in self._rows:
            out.add(os.path.dirname(row[3]))
            out.add(os.path.dirname(row[4]))
        return {Path(p) for p in out}

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i: int) -> FileJob:  # type: ignore[override]
        input, display, source, output, cache = self._rows[i]
        return FileJob(
            input=input, display=display, source=source, output=output, cache=cache, **self._shared
        )


def files_at(entries: list[FileEntry | None], pos: int) -> FileEntry:
    entry = entries[pos]
    assert entry is not None
    return entry


def _up_to_date(c: Candidate, output: Path, cache: Path, fp: str) -> FileEntry | None:
    """The *skipped* entry of an input whose output is current, with its cached counts."""
    try:
        st_in = os.stat(c.real)
        st_out = os.stat(output)
    except OSError:
        return None
    if st_out.st_mtime_ns < st_in.st_mtime_ns:
        return None
    meta = read_meta(cache)
    if (
        meta is None
        or meta.fingerprint != fp
        or meta.input_size != st_in.st_size
        or meta.input_mtime_ns != st_in.st_mtime_ns
        or meta.output != output.name
    ):
        return None
    k = meta.counts
    return FileEntry(
        input=str(c.path),
        status="skipped",
        reason="已是最新（输出文件比输入文件新），未重新转换",
        reason_code="up-to-date",
        tables=k.tables,
        projects=k.projects,
        indicators=k.indicators,
        errors=k.errors,
        warnings=k.warnings,
    )


def _duplicates_note(summary: Summary) -> str:
    n = summary.duplicates
    if not n:
        return "无（同一部门、同样的项目和金额的表格只出现一次）"
    if summary.keep_duplicates:
        return f"{n} 个，按 --keep-duplicates 计入了合计；每个在「校验结果」中有一条警告"
    return f"{n} 个，未计入本工作簿（只计一次）；每个在「校验结果」中有一条警告，见 {REPORT_NAME}"


def _notes(
    summary: Summary, files: int, look: ConsolidatedLook
) -> list[tuple[str, str, str | None]]:
    """The 说明 sheet of the consolidated workbook: batch facts, then the plan's column docs
    (of ``look``'s columns)."""
    from perfsheet.batch.consolidate import DEPT_SHEET
    from perfsheet.batch.consolidate import NOTES_SHEET as NOTES
    from perfsheet.batch.rows import CONSOLIDATED_UNIT, consolidated_plan
    from perfsheet.core.sheets import (
        SHEET_DETAIL,
        SHEET_FINDINGS,
        SHEET_PROJECTS,
        SHEETS_FACT,
        VERSION_FACT,
    )
    from perfsheet.core.timestamps import format_timestamp

    now = format_timestamp()
    skipped_other = summary.skipped - summary.up_to_date
    facts = [
        ("生成工具", f"perfsheet {__version__}（perfsheet convert）"),
        ("生成时间", now),
        ("合并的工作簿", f"{files} 个：本次转换 {summary.ok} 个，已是最新 {summary.up_to_date} 个"),
        ("未合并的文件", f"失败 {summary.failed} 个，跳过 {skipped_other} 个（见 {REPORT_NAME}）"),
        ("重复的表格", _duplicates_note(summary)),
        (
            "统计",
            f"{summary.tables} 个表格，{summary.projects} 个项目，{summary.indicators} 条指标；"
            f"错误 {summary.errors} 条，警告 {summary.warnings} 条",
        ),
        (
            "金额单位",
            f"各表金额已统一换算为{CONSOLIDATED_UNIT}；原单位见「部门汇总」的「原金额单位」列",
        ),
        # as in every summary workbook: these two facts mark the workbook as perfsheet's own
        # (core.sheets.own_sheets), so that converting it again skips it
        (VERSION_FACT, __version__),
        (SHEETS_FACT, "、".join((DEPT_SHEET, SHEET_DETAIL, SHEET_PROJECTS, SHEET_FINDINGS, NOTES))),
    ]
    rows: list[tuple[str, str, str | None]] = [("文件", k, v) for k, v in facts]
    rows.append(
        (
            "工作表",
            "部门汇总",
            "每个绩效目标表一行：部门名称、来源文件、工作表、原金额单位、四项金额（"
            f"{CONSOLIDATED_UNIT}）、项目数、指标数、错误数、警告数",
        )
    )
    for note in consolidated_plan(look).note_rows():
        if note and note[0] != "文件":
            rows.append(tuple(note[:3]))  # type: ignore[arg-type]
    return rows
