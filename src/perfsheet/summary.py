"""``perfsheet summary``: one workbook in, the standardized summary workbook out.

:func:`summarize` is the whole job (read -> analyze -> plans -> write) for one input file; it
returns a :class:`SummaryReport` and prints nothing (``perfsheet summary`` renders it:
:func:`perfsheet.commands.run_summary`); the batch converter calls it too. The input file is
only read: the output goes to a temporary file next to the output and is moved into place at
the end. Unless a result analyzed beforehand is given, the analysis and the writing go project
by project: peak memory stays near the size of the input's grid. Without the source sheets
that is :func:`_summarize_stream`; with them (an .xlsx/.xlsm), :func:`_summarize_copy` also
builds the helper columns and marks of the source copy from each project as it is written. An
.xls, or a package the source copy does not understand, is analyzed whole and its sheets are
rebuilt from their values.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import gc
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from perfsheet.core.counts import Counts
from perfsheet.errors import OutputError, TableNotFoundError, UsageError

if TYPE_CHECKING:
    from perfsheet.core.annotations import AnnotationBuilder, AnnotationPlan
    from perfsheet.core.audit import AuditRules
    from perfsheet.core.grid import WorkbookGrid
    from perfsheet.core.models import Finding, Project, Table, WorkbookResult
    from perfsheet.core.pipeline import TableAnalysis
    from perfsheet.core.summary_rows import QualityScorer, SummaryPlan
    from perfsheet.io.summary_writer import WriteReport
    from perfsheet.io.template import TemplateSpec

OUTPUT_SUFFIX = "_绩效汇总.xlsx"


class SummaryReport(BaseModel):
    """What :func:`summarize` did (for messages, the batch report and tests)."""

    model_config = ConfigDict(extra="forbid")

    input: str
    output: str
    mode: str  # "standard" (no source) | "copy" (source kept) | "rebuilt" (source values)
    counts: Counts = Field(default_factory=Counts)  # tables, projects, indicators, findings
    detail_rows: int = 0  # rows of 绩效指标明细
    annotated: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # Chinese, for the user


def default_output(path: Path) -> Path:
    """``<stem>_绩效汇总.xlsx`` next to the input."""
    return path.with_name(path.stem + OUTPUT_SUFFIX)


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def check_output(input_path: Path, output: Path) -> None:
    """Refuse an output that would overwrite the input or is not an .xlsx file."""
    if _same_file(input_path, output):
        raise UsageError(f"输出文件不能与输入文件相同：{output}（perfsheet 从不改写输入文件）")
    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"输出文件须为 .xlsx：{output}")
    if output.exists() and output.is_dir():
        raise OutputError.folder_in_place(output)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while one workbook is read, analyzed and written.

    The result of a large table is hundreds of thousands of small acyclic objects; every full
    collection walks all of them again. On 20,000 projects (bench/bench_summary.py) pausing
    the collector makes ``analyze`` ~25 % faster and the writers ~5 %, with the same peak
    memory (reference counting still frees everything). Re-enabled afterwards.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def audit_hooks(
    rules: AuditRules | str | os.PathLike[str] | None,
) -> tuple[AuditRules, QualityScorer, str]:
    """(rules for analyze, the 指标质量 scorer for 项目汇总, its documentation for 说明)."""
    from perfsheet.core.quality_score import quality_score
    from perfsheet.io.rules_file import resolve_rules

    loaded = resolve_rules(rules)

    # quality_score filters the findings it is given by project; hand it only the findings
    # of that project's name (indexed once per table), or 20,000 projects take minutes
    index: dict[int, dict[str, list[Finding]]] = {}

    def scorer(
        table: Table, project: Project, findings: Sequence[Finding] | None = None
    ) -> float | None:
        if findings is not None:  # the project's own findings (a streaming writer)
            return quality_score(project, findings, loaded)
        by_name = index.get(id(table))
        if by_name is None:
            index.clear()
            by_name = index[id(table)] = {}
            for f in table.findings:
                if f.project is not None:
                    by_name.setdefault(f.project, []).append(f)
        return quality_score(project, by_name.get(project.name, ()), loaded)

    doc = (
        "指标质量 = round(70 × 合格指标数 / 指标数 + 30 × 已覆盖的必备类别数 / 必备类别数)；"
        "合格指标：没有被标为警告或错误的指标问题、名称与指标值不是占位内容或空白；"
        "必备类别见规则文件（默认产出、效益、满意度指标）；没有指标的项目记 0 分"
    )
    return loaded, scorer, doc


class OwnOutputError(TableNotFoundError):
    """Every sheet of the workbook is one an earlier perfsheet run generated
    (:func:`perfsheet.core.sheets.own_sheets`): it is an output, not a table to read."""


@dataclass
class AnalyzedInput:
    """An input read once and analyzed once: what both the summary and batch paths start from."""

    grid: WorkbookGrid  # without the sheets an earlier perfsheet run generated
    result: WorkbookResult
    own: set[str]  # sheets an earlier perfsheet run generated (replaced, never analyzed)
    names: dict[str, str]  # standard sheet -> the name it has (or gets) in this workbook


def _read_input(
    input_path: Path, sheet: str | None
) -> tuple[WorkbookGrid, set[str], dict[str, str]]:
    """(grid without perfsheet's own sheets, those sheets, standard sheet names)."""
    from perfsheet.core.sheets import own_sheets, standard_sheet_names
    from perfsheet.io.readers import read_workbook

    grid = read_workbook(input_path, sheet=sheet)
    own = own_sheets(grid.sheets)
    names = standard_sheet_names([g.name for g in grid.sheets], own)
    grid.sheets = [s for s in grid.sheets if s.name not in own]
    if own and not grid.sheets:  # (a workbook without any sheet is no output of ours)
        raise OwnOutputError(str(input_path), "除 perfsheet 生成的汇总表外没有其他工作表")
    return grid, own, names


def read_and_analyze(
    input_path: Path, *, sheet: str | None = None, audit_rules: AuditRules | None = None
) -> AnalyzedInput:
    """Read ``input_path``, set aside perfsheet's own sheets, analyze the rest."""
    from perfsheet.core.pipeline import analyze

    grid, own, names = _read_input(input_path, sheet)
    result = analyze(grid, sheet=sheet, rules=audit_rules)
    return AnalyzedInput(grid=grid, result=result, own=own, names=names)


def summary_plan(
    spec: TemplateSpec,
    tables_of: WorkbookResult,
    source_name: str,
    *,
    with_source: bool,
    scorer: QualityScorer | None,
    quality_doc: str | None,
    names: dict[str, str] | None = None,
    generated_at: _dt.datetime | None = None,
) -> SummaryPlan:
    """The :class:`~perfsheet.core.summary_rows.SummaryPlan` of one input: the template's column
    layout, the amount unit of ``tables_of`` (a WorkbookResult, or one holding the table
    structures of a streaming run), generation time and version, the quality scorer."""
    from perfsheet import __version__
    from perfsheet.core.summary_rows import SummaryPlan, pick_amount_unit
    from perfsheet.io.summary_writer import layout_from_spec

    return SummaryPlan(
        layout=layout_from_spec(spec),
        amount_unit=pick_amount_unit([tables_of]),
        generated_at=generated_at or _dt.datetime.now().replace(microsecond=0),
        version=__version__,
        source_in_workbook=with_source,
        quality=scorer,
        quality_doc=quality_doc,
        sources=[source_name],
        template=spec.source,
        sheet_names=names,
    )


def summarize(
    input_path: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    sheet: str | None = None,
    template: str | os.PathLike[str] | None = None,
    with_source: bool = True,
    rules: AuditRules | str | os.PathLike[str] | None = None,
    generated_at: _dt.datetime | None = None,
    timeout: float | None = None,
    spec: TemplateSpec | None = None,
    analyzed: AnalyzedInput | None = None,
    render_process: bool = True,
) -> SummaryReport:
    """Write the summary workbook of ``input_path`` (default ``<名称>_绩效汇总.xlsx`` next to
    it) and say what was written; the input is only read.

    ``with_source`` keeps a copy of the input's sheets (helper columns, error cells marked);
    ``rules`` is a loaded :class:`~perfsheet.core.audit.AuditRules` or a rules file;
    ``timeout`` (seconds) stops reading and analysing a hostile file with
    :class:`~perfsheet.errors.InputError` (None: no limit). Unreadable input raises
    :class:`~perfsheet.errors.InputError`, an output that cannot be written
    :class:`~perfsheet.errors.OutputError`, a bad rules file
    :class:`~perfsheet.io.rules_file.RulesFileError`.

    ``spec`` (a loaded :class:`~perfsheet.io.template.TemplateSpec`) overrides ``template``:
    the batch converter reads the template once and passes it to every file. ``analyzed``
    (from :func:`read_and_analyze` with the same rules) saves reading and analyzing again.
    ``render_process``: a large output's rows are rendered and deflated in a second process
    while this one analyses (:mod:`perfsheet.io.render_process`; only on a machine with more
    than one core); False keeps all the work in this process (the batch converter's workers).
    """
    from perfsheet.io.pdf import is_pdf_file
    from perfsheet.io.template import load_template

    input_path = Path(input_path)
    out = Path(output) if output is not None else default_output(input_path)
    check_output(input_path, out)
    if with_source and is_pdf_file(input_path):
        with_source = False  # a PDF has no sheet to copy: the standard sheets only
    if spec is None:
        spec = load_template(Path(template) if template is not None else None)
    audit_rules, scorer, quality_doc = audit_hooks(rules)

    from perfsheet.io.render_process import RenderProcessError
    from perfsheet.io.safety import limited
    from perfsheet.io.xlsx_splice import render_process as rendering

    run = functools.partial(
        _summarize,
        input_path,
        out,
        sheet=sheet,
        spec=spec,
        with_source=with_source,
        audit_rules=audit_rules,
        scorer=scorer,
        quality_doc=quality_doc,
        generated_at=generated_at,
        analyzed=analyzed,
    )
    with gc_paused(), limited(str(input_path), timeout):
        try:
            with rendering(render_process):
                return run()
        except RenderProcessError:  # it died (killed, out of memory): all again, here
            return run()


def _summarize(
    input_path: Path,
    out: Path,
    *,
    sheet: str | None,
    spec: TemplateSpec,
    with_source: bool,
    audit_rules: AuditRules,
    scorer: QualityScorer,
    quality_doc: str | None,
    generated_at: _dt.datetime | None,
    analyzed: AnalyzedInput | None = None,
) -> SummaryReport:
    from perfsheet.core.annotations import annotation_plan
    from perfsheet.io.atomic import atomic_output
    from perfsheet.io.summary_writer import WriteReport, write_standard_only

    if analyzed is None and not with_source:
        return _summarize_stream(
            input_path,
            out,
            sheet=sheet,
            spec=spec,
            audit_rules=audit_rules,
            scorer=scorer,
            quality_doc=quality_doc,
            generated_at=generated_at,
        )
    report = WriteReport(mode="standard")
    copy = input_path.suffix.lower() in (".xlsx", ".xlsm")
    with atomic_output(out) as tmp:
        if analyzed is None and copy:
            plan, copied = _summarize_copy(
                tmp,
                input_path,
                report,
                sheet=sheet,
                spec=spec,
                audit_rules=audit_rules,
                scorer=scorer,
                quality_doc=quality_doc,
                generated_at=generated_at,
            )
            if not copied:  # the whole input again, its sheets rebuilt from their values
                analyzed = read_and_analyze(input_path, sheet=sheet, audit_rules=audit_rules)
                plan = _fresh_plan(plan)
                _rebuild(tmp, analyzed, plan, spec, report)
            return _report(input_path, out, plan, report)
        if analyzed is None:
            analyzed = read_and_analyze(input_path, sheet=sheet, audit_rules=audit_rules)
        plan = summary_plan(
            spec,
            analyzed.result,
            input_path.name,
            with_source=with_source,
            scorer=scorer,
            quality_doc=quality_doc,
            names=analyzed.names,
            generated_at=generated_at,
        )
        if not with_source:
            write_standard_only(tmp, plan, spec, [(analyzed.result, input_path.name)])
        else:
            result, own = analyzed.result, analyzed.own
            grids = {g.name: g for g in analyzed.grid.sheets}
            annotations = [annotation_plan(t, grids.get(t.sheet)) for t in result.tables]
            del grids
            if not (
                copy and _source_copy(tmp, input_path, plan, spec, result, annotations, report, own)
            ):
                if report.mode == "copy":  # the copy failed: the plan may be consumed
                    plan = _fresh_plan(plan)
                _rebuild(tmp, analyzed, plan, spec, report, annotations)
    return _report(input_path, out, plan, report)


def _rebuild(
    tmp: Path,
    analyzed: AnalyzedInput,
    plan: SummaryPlan,
    spec: TemplateSpec,
    report: WriteReport,
    annotations: list[AnnotationPlan] | None = None,
) -> None:
    """The summary with the input's sheets rebuilt from their values (.xls, or a package the
    source copy does not understand)."""
    from perfsheet.core.annotations import annotation_plan
    from perfsheet.io.summary_writer import write_with_source_rebuilt

    result, grid = analyzed.result, analyzed.grid
    if annotations is None:
        grids = {g.name: g for g in grid.sheets}
        annotations = [annotation_plan(t, grids.get(t.sheet)) for t in result.tables]
    report.mode = "rebuilt"
    report.annotated.clear()
    write_with_source_rebuilt(tmp, grid, plan, spec, result, annotations, report)


def _summarize_copy(
    tmp: Path,
    input_path: Path,
    report: WriteReport,
    *,
    sheet: str | None,
    spec: TemplateSpec,
    audit_rules: AuditRules,
    scorer: QualityScorer,
    quality_doc: str | None,
    generated_at: _dt.datetime | None,
) -> tuple[SummaryPlan, bool]:
    """The default path of an .xlsx/.xlsm, project by project like :func:`_summarize_stream`:
    the annotation builders (:class:`~perfsheet.core.annotations.AnnotationBuilder`) see the
    grid and the tables' structures, then the grid goes; each completed project feeds the
    standard sheets and its table's builder before its indicators are dropped; the finished
    plans give the helper columns and marks of the source copy. (the plan, False) when the
    copy does not understand the package (the caller rebuilds the sheets)."""
    from perfsheet.core.annotations import AnnotationBuilder

    def builders_of(grid: WorkbookGrid, analyses: list[TableAnalysis]) -> list[AnnotationBuilder]:
        grids = {g.name: g for g in grid.sheets}
        return [
            AnnotationBuilder.for_deferred(a.deferred, grids.get(a.table.sheet)) for a in analyses
        ]

    analyses, plan, shell, own, builders = _streamed(
        input_path, sheet, spec, audit_rules, scorer, quality_doc, generated_at, builders_of
    )
    copied = _source_copy(
        tmp, input_path, plan, spec, shell, builders, report, own, analyses=analyses
    )
    return plan, copied


def _streamed(
    input_path: Path,
    sheet: str | None,
    spec: TemplateSpec,
    audit_rules: AuditRules,
    scorer: QualityScorer,
    quality_doc: str | None,
    generated_at: _dt.datetime | None,
    builders_of: Callable[[WorkbookGrid, list[TableAnalysis]], list[AnnotationBuilder]] | None,
) -> tuple[
    list[TableAnalysis], SummaryPlan, WorkbookResult, set[str], list[AnnotationBuilder] | None
]:
    """What both streaming paths start from: the input read, its tables' structures built
    (nothing parsed yet), the source's annotation builders made (``builders_of``, with the
    source) while the grid is there, the grid released, and the plan. Returns (analyses,
    plan, the structures as a result shell, perfsheet's own sheets, builders)."""
    from perfsheet.core.models import WorkbookResult
    from perfsheet.core.pipeline import analyze_tables
    from perfsheet.io.summary_writer import streaming_needs_exact_scheme

    grid, own, names = _read_input(input_path, sheet)
    # (exact_scheme: a writer or a builder must see every audit finding that counts as final)
    analyses = analyze_tables(
        grid, sheet=sheet, rules=audit_rules, exact_scheme=streaming_needs_exact_scheme(audit_rules)
    )
    builders = builders_of(grid, analyses) if builders_of is not None else None
    file = grid.path
    del grid  # the structures and the builders do not reference it: its memory goes now
    shell = WorkbookResult(file=file, tables=[a.table for a in analyses])
    plan = summary_plan(
        spec,
        shell,
        input_path.name,
        with_source=builders_of is not None,
        scorer=scorer,
        quality_doc=quality_doc,
        names=names,
        generated_at=generated_at,
    )
    return analyses, plan, shell, own, builders


def _summarize_stream(
    input_path: Path,
    out: Path,
    *,
    sheet: str | None,
    spec: TemplateSpec,
    audit_rules: AuditRules,
    scorer: QualityScorer,
    quality_doc: str | None,
    generated_at: _dt.datetime | None,
) -> SummaryReport:
    """``--no-source``: the standard sheets written project by project (the same workbook as
    ``write_standard_only`` of ``analyze``'s result; the parsed indicators and findings of a
    large table never all exist at once)."""
    from perfsheet.io.atomic import atomic_output
    from perfsheet.io.summary_writer import WriteReport, write_standard_stream

    analyses, plan, shell, _own, _none = _streamed(
        input_path, sheet, spec, audit_rules, scorer, quality_doc, generated_at, None
    )
    file = shell.file
    del shell
    with atomic_output(out) as tmp:
        write_standard_stream(tmp, plan, spec, file, analyses, input_path.name)
    return _report(input_path, out, plan, WriteReport(mode="standard"))


def _report(input_path: Path, out: Path, plan: SummaryPlan, report: WriteReport) -> SummaryReport:
    t = plan.totals
    return SummaryReport(
        input=str(input_path),
        output=str(out),
        mode=report.mode,
        counts=Counts(
            tables=t["tables"],
            units=t["units"],
            projects=t["projects"],
            indicators=t["indicators"],
            errors=t["errors"],
            warnings=t["warnings"],
            infos=t["infos"],
        ),
        detail_rows=t["detail_rows"],
        annotated=report.annotated,
        notes=report.skipped,
    )


def _source_copy(
    tmp: Path,
    source: Path,
    plan: SummaryPlan,
    spec: TemplateSpec,
    result: WorkbookResult,
    annotations: Sequence[AnnotationPlan] | Sequence[AnnotationBuilder],
    report: WriteReport,
    own: set[str],
    *,
    analyses: Sequence[TableAnalysis] | None = None,
) -> bool:
    """The default path for .xlsx/.xlsm: every part of the user's package copied into ``tmp``
    as it is, the sheets with helper columns and marks, plus the standard sheets
    (:mod:`perfsheet.io.source_copy`). False when the package is not one the copy understands
    (the caller rebuilds the sheets from their values)."""
    from perfsheet.io.source_copy import SourceCopyError, write_with_source_copy

    report.mode = "copy"
    notes = len(report.skipped)
    try:
        write_with_source_copy(
            tmp, source, plan, spec, result, annotations, report, own, analyses=analyses
        )
    except SourceCopyError as err:
        del report.skipped[notes:]  # the rebuild reports blocked tables again
        report.skipped.append(f"无法按原格式复制输入（{err}），原表按数值重建")
        return False
    return True


def _fresh_plan(plan: SummaryPlan) -> SummaryPlan:
    """A plan with the same settings and no rows emitted yet (after a failed first attempt)."""
    from perfsheet.core.summary_rows import SummaryPlan

    return SummaryPlan(
        layout=plan.layout,
        amount_unit=plan.amount_unit,
        generated_at=plan.generated_at,
        version=plan.version,
        source_in_workbook=plan.source_in_workbook,
        quality=plan.quality,
        quality_doc=plan.quality_doc,
        sources=plan.sources,
        template=plan.template,
        sheet_names=plan.sheet_names,
    )
