"""``perfsheet summary``: one workbook in, the standardized summary workbook out.

:func:`summarize` is the whole job (read -> analyze -> plans -> write) for one input file; the
CLI command and the batch converter call it. The input file is only read: the output goes to
a temporary file next to the output and is moved into place at the end.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from perfsheet.errors import InputError, UsageError

OUTPUT_SUFFIX = "_绩效汇总.xlsx"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")


class SummaryReport(BaseModel):
    """What :func:`summarize` did (for messages, the batch report and tests)."""

    model_config = ConfigDict(extra="forbid")

    input: str
    output: str
    mode: str  # "standard" (no source) | "openpyxl" (source kept) | "rebuilt" (source values)
    tables: int = 0
    projects: int = 0
    indicators: int = 0
    detail_rows: int = 0
    errors: int = 0
    warnings: int = 0
    infos: int = 0
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
        raise UsageError(f"输出路径是一个文件夹：{output}")


def audit_hooks(rules: Path | None) -> tuple[Any, Any, str | None]:
    """(rules for analyze, the 指标质量 scorer, its documentation) — ``None``s when the quality
    audit is not available in this version."""
    try:
        from perfsheet.core import audit  # type: ignore[attr-defined]
    except ImportError:
        if rules is not None:
            raise UsageError("本版本尚不支持指标质量规则文件（--rules）") from None
        return None, None, None
    loaded = audit.load_rules(rules) if rules is not None else audit.default_rules()
    score = getattr(audit, "quality_score", None)
    if score is None:
        return loaded, None, None

    def scorer(table: Any, project: Any) -> float | None:
        return score(project, table.findings, loaded)

    doc = (
        "指标质量 = round(70 × 合格指标数 / 指标数 + 30 × 已覆盖的必备类别数 / 必备类别数)；"
        "合格指标：没有被质量审查标为警告或错误、指标值不是待补充或空白；"
        "必备类别默认为产出、效益、满意度指标；没有指标的项目记 0 分"
    )
    return loaded, scorer, doc


def summarize(
    input_path: Path,
    output: Path | None = None,
    *,
    sheet: str | None = None,
    template: Path | None = None,
    with_source: bool = True,
    rules: Path | None = None,
    generated_at: _dt.datetime | None = None,
    spec: Any = None,
) -> SummaryReport:
    """Write the summary workbook of ``input_path``; see the module docstring."""
    from perfsheet import __version__
    from perfsheet.core.pipeline import analyze
    from perfsheet.core.plans import (
        STANDARD_SHEETS,
        SummaryPlan,
        annotation_plan,
        pick_amount_unit,
    )
    from perfsheet.io.readers import read_workbook
    from perfsheet.io.summary_writer import (
        WriteReport,
        atomic_output,
        layout_from_spec,
        write_standard_only,
        write_with_source_openpyxl,
        write_with_source_rebuilt,
    )
    from perfsheet.io.template import load_template

    input_path = Path(input_path)
    out = Path(output) if output is not None else default_output(input_path)
    check_output(input_path, out)
    if spec is None:
        spec = load_template(template)
    audit_rules, scorer, quality_doc = audit_hooks(rules)

    grid = read_workbook(input_path, sheet=sheet)
    grid.sheets = [s for s in grid.sheets if s.name not in STANDARD_SHEETS]
    if not grid.sheets:
        raise InputError(str(input_path), "除 perfsheet 生成的汇总表外没有其他工作表")
    result = analyze(grid, sheet=sheet, rules=audit_rules)

    plan = SummaryPlan(
        layout=layout_from_spec(spec),
        amount_unit=pick_amount_unit([result]),
        generated_at=generated_at or _dt.datetime.now().replace(microsecond=0),
        version=__version__,
        source_in_workbook=with_source,
        quality=scorer,
        quality_doc=quality_doc,
        sources=[input_path.name],
        template=spec.source,
    )
    suffix = input_path.suffix.lower()
    report = WriteReport(mode="standard")
    with atomic_output(out) as tmp:
        if not with_source:
            del grid  # not needed any more: keep the peak memory down
            write_standard_only(tmp, plan, spec, [(result, input_path.name)])
        else:
            grids = {g.name: g for g in grid.sheets}
            annotations = [annotation_plan(t, grids.get(t.sheet)) for t in result.tables]
            done = False
            if suffix in (".xlsx", ".xlsm"):
                try:
                    report.mode = "openpyxl"
                    write_with_source_openpyxl(
                        tmp, input_path, plan, spec, result, annotations, report
                    )
                    done = True
                except (KeyError, ValueError, TypeError, OSError, IndexError) as err:
                    report.skipped.append(
                        f"openpyxl 无法按原格式打开输入（{type(err).__name__}），原表按数值重建"
                    )
                    report.annotated.clear()
                    plan = _fresh_plan(plan)
            if not done:
                report.mode = "rebuilt"
                write_with_source_rebuilt(tmp, grid, plan, spec, result, annotations, report)
    t = plan.totals
    return SummaryReport(
        input=str(input_path),
        output=str(out),
        mode=report.mode,
        tables=t["tables"],
        projects=t["projects"],
        indicators=t["indicators"],
        detail_rows=t["detail_rows"],
        errors=t["errors"],
        warnings=t["warnings"],
        infos=t["infos"],
        annotated=report.annotated,
        notes=report.skipped,
    )


def _fresh_plan(plan: Any) -> Any:
    """A plan with the same settings and no rows emitted yet (after a failed first attempt)."""
    from perfsheet.core.plans import SummaryPlan

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
    )


def run_summary(
    file: Path,
    *,
    output: Path | None = None,
    sheet: str | None = None,
    template: Path | None = None,
    no_source: bool = False,
    rules: Path | None = None,
) -> int:
    """Body of the CLI command: summarize and print a short Chinese summary. Exit code 0."""
    import typer

    rep = summarize(
        file, output, sheet=sheet, template=template, with_source=not no_source, rules=rules
    )
    typer.echo(f"已生成：{rep.output}")
    typer.echo(
        f"  {rep.tables} 个表格，{rep.projects} 个项目，{rep.indicators} 条指标"
        f"（绩效指标明细 {rep.detail_rows} 行）"
    )
    typer.echo(f"  校验结果：错误 {rep.errors} 条，警告 {rep.warnings} 条，提示 {rep.infos} 条")
    if rep.mode == "openpyxl" and rep.annotated:
        sheets = "」「".join(dict.fromkeys(rep.annotated))
        typer.echo(f"  已在原表「{sheets}」右侧写入辅助列并标出错误单元格")
    elif rep.mode == "rebuilt":
        typer.echo("  原表按数值重建（.xls 或无法按原格式读取），已写入辅助列并标出错误单元格")
    for note in rep.notes:
        typer.echo(f"  注意：{note}")
    return 0
