"""The rows of the standard sheets, as plain data for every writer (no files, no openpyxl).

:class:`SummaryPlan` produces the rows of ``绩效指标明细`` / ``项目汇总`` / ``校验结果`` / ``说明``.
Rows are tuples in the column order the caller asks for (a template's header order: columns are
matched by header text, so a template may reorder or drop columns; unknown headers get
``None``). Rows are produced by generators, one :class:`~perfsheet.core.models.WorkbookResult`
at a time (:class:`TableRows`: one table, one project at a time), so the batch converter can
stream thousands of files through one plan without keeping them. A cell that links to the
source holds a :class:`Link`.

Writers add what depends on the output's geometry (row numbers of formulas, chart ranges,
styles from the template); everything that depends on the data is decided here.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from perfsheet.core.amounts import amount_factor
from perfsheet.core.annotations import HELPER_DOCS, HELPER_HEADERS
from perfsheet.core.grid import page_location, quote_sheet
from perfsheet.core.models import Finding, Project, Table, WorkbookResult
from perfsheet.core.project_stats import (
    FindingIndex,
    effective_target,
    iter_projects,
    name_column,
    project_stats,
    target_fields,
)
from perfsheet.core.rules import RULE_NAMES, RULES, SEVERITY_NAMES
from perfsheet.core.sheets import (
    AMOUNT_KEYS,
    COLUMNS,
    COUNT_KEYS,
    SHEET_DETAIL,
    SHEET_DOCS,
    SHEET_FINDINGS,
    SHEET_NOTES,
    SHEET_PROJECTS,
    SHEETS_FACT,
    STANDARD_SHEETS,
    VERSION_FACT,
    ColumnKind,
    column_def,
    default_layout,
    standard_amounts,
)
from perfsheet.core.timestamps import format_timestamp
from perfsheet.core.total_row import TotalCell, total_label

# --------------------------------------------------------------------------------------------
# Links to the source (a value writers render as a hyperlink)
# --------------------------------------------------------------------------------------------


def sheet_ref(sheet: str, cell: str) -> str:
    """``Sheet1!G12`` (quoted when needed), the way users type it in the Name Box."""
    return f"{quote_sheet(sheet)}!{cell}"


@dataclass(frozen=True, slots=True)
class Link:
    """A cell that shows ``text`` and links to ``cell`` on ``sheet`` of the same workbook."""

    text: str
    sheet: str
    cell: str

    @property
    def location(self) -> str:
        """The hyperlink location (``'Sheet1'!G12``), always quoted."""
        return f"{quote_sheet(self.sheet, always=True)}!{self.cell}"

    def __str__(self) -> str:
        return self.text


# --------------------------------------------------------------------------------------------
# The summary plan
# --------------------------------------------------------------------------------------------

#: ``quality(table, project) -> score 0..100 | None``; wired to perfsheet.core.quality_score.
#: A streaming writer calls ``quality(table, project, findings)`` with the project's own
#: (indicator and audit) findings instead, as ``perfsheet.summary.audit_hooks``' scorer allows.
QualityScorer = Callable[..., float | None]


def pick_amount_unit(results: Sequence[WorkbookResult]) -> str | None:
    """The amount unit of a summary: the first table's (None when no table states one)."""
    for res in results:
        for t in res.tables:
            if t.amount_unit:
                return t.amount_unit
    return None


def _picker(full_keys: Sequence[str], wanted: Sequence[str | None]) -> Callable[[tuple], tuple]:
    """A fast function: full row tuple (``full_keys`` order + a trailing None) -> wanted order."""
    pos = {k: i for i, k in enumerate(full_keys)}
    sentinel = len(full_keys)
    idx = [pos.get(k, sentinel) if k is not None else sentinel for k in wanted]
    if not idx:
        return lambda row: ()
    if len(idx) == 1:
        i = idx[0]
        return lambda row: (row[i],)
    return itemgetter(*idx)


_DETAIL_FULL = (
    "部门名称",
    "资金使用单位",
    "项目名称",
    "总计",
    "财政拨款",
    "财政专户拨款",
    "其他资金",
    "指标序号",
    "一级指标",
    "二级指标",
    "三级指标",
    "实施周期指标值",
    "年度指标值",
    "比较符",
    "目标值",
    "计量单位",
    "指标性质",
    "问题",
    "来源位置",
    "来源文件",
    "绩效目标",
    "一级代码",
    "二级代码",
    "指标原文",
)
_PROJECT_FULL = (
    "部门名称",
    "资金使用单位",
    "项目名称",
    "总计",
    "财政拨款",
    "财政专户拨款",
    "其他资金",
    "指标数",
    "产出指标数",
    "效益指标数",
    "满意度指标数",
    "成本指标数",
    "定量指标占比",
    "错误数",
    "警告数",
    "指标质量",
    "来源位置",
    "来源文件",
    "绩效目标",
)
_FINDING_FULL = (
    "级别",
    "规则",
    "位置",
    "项目/单位",
    "说明",
    "期望值",
    "实际值",
    "差额",
    "来源文件",
    "规则编号",
    "依据",
)
_NOTE_FULL = ("类别", "名称", "内容")
_FULL = {
    SHEET_DETAIL: _DETAIL_FULL,
    SHEET_PROJECTS: _PROJECT_FULL,
    SHEET_FINDINGS: _FINDING_FULL,
    SHEET_NOTES: _NOTE_FULL,
}
assert all(set(_FULL[s]) == {c.key for c in COLUMNS[s]} for s in STANDARD_SHEETS)


@dataclass(slots=True)
class _Totals:
    projects: int = 0
    amounts: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])
    amount_seen: list[bool] = field(default_factory=lambda: [False, False, False, False])
    indicators: int = 0
    buckets: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    quantitative: int = 0
    errors: int = 0
    warnings: int = 0
    quality_sum: float = 0.0
    quality_n: int = 0


class SummaryPlan:
    """The rows of the standard summary sheets, produced one input result at a time.

    Typical use (a writer)::

        plan = SummaryPlan(layout={sheet: template_keys, ...}, amount_unit="万元", ...)
        header = [plan.header_text(SHEET_DETAIL, k, written) for k, written in ...]
        for res, name in inputs:                     # one or thousands of files
            for row in plan.detail_rows(res, name):  # tuples in layout order
                ...
        ... plan.project_rows / plan.finding_rows likewise (any interleaving) ...
        footer = plan.project_footer()   # after the project rows: the total row's cells
        notes = plan.note_rows()         # after everything: 说明 rows (with the totals)

    ``layout`` maps a sheet name to the column keys in output order (``None`` = a header the
    plan does not know: the column stays empty). Missing sheets use :func:`default_layout`.
    """

    def __init__(
        self,
        *,
        layout: Mapping[str, Sequence[str | None]] | None = None,
        amount_unit: str | None = None,
        generated_at: _dt.datetime | None = None,
        version: str = "",
        source_in_workbook: bool = False,
        quality: QualityScorer | None = None,
        quality_doc: str | None = None,
        sources: Sequence[str] = (),
        template: str | None = None,
        sheet_names: Mapping[str, str] | None = None,
    ) -> None:
        self.layout: dict[str, list[str | None]] = {
            s: list(layout[s]) if layout and s in layout else list(default_layout(s))
            for s in STANDARD_SHEETS
        }
        self.amount_unit = amount_unit
        self.generated_at = generated_at or _dt.datetime.now().replace(microsecond=0)
        self.version = version
        self.source_in_workbook = source_in_workbook
        self.quality = quality
        self.quality_doc = quality_doc
        self.template = template
        self.sources: list[str] = list(sources)
        #: standard sheet -> the name it gets in this workbook (see :func:`standard_sheet_names`)
        self.sheet_names: dict[str, str] = {n: n for n in STANDARD_SHEETS}
        self.sheet_names.update(sheet_names or {})
        self._pick = {s: _picker(_FULL[s], self.layout[s]) for s in STANDARD_SHEETS}
        self._totals = _Totals()
        self.tables = 0
        self.units = 0
        self.detail_count = 0
        self.finding_counts = {"error": 0, "warning": 0, "info": 0}
        self._sheets_seen: list[str] = []

    # -- headers ------------------------------------------------------------------------------

    def header_text(self, sheet: str, key: str | None, written: str | None = None) -> str:
        """The header to show for a column: amounts carry the unit (``总计（万元）``); other
        known columns keep the template's text; unknown columns keep theirs."""
        if key is not None and key in AMOUNT_KEYS and sheet in (SHEET_DETAIL, SHEET_PROJECTS):
            return f"{key}（{self.amount_unit}）" if self.amount_unit else key
        if written:
            return str(written)
        return key or ""

    def headers(self, sheet: str) -> list[str]:
        return [self.header_text(sheet, k) for k in self.layout[sheet]]

    def kinds(self, sheet: str) -> list[ColumnKind | None]:
        """The kind of each output column (None for unknown headers)."""
        defs = {c.key: c.kind for c in COLUMNS[sheet]}
        return [defs.get(k) if k else None for k in self.layout[sheet]]

    # -- helpers ------------------------------------------------------------------------------

    def _factor(self, table: Table) -> float:
        return amount_factor(table.amount_unit, self.amount_unit)

    def _location(self, table: Table, col: str, row: int, link: bool) -> str | Link:
        on_page = page_location(table.pages, row)  # a PDF: 第5页第3行 (no sheet to link to)
        if on_page is not None:
            return on_page
        cell = f"{col}{row}"
        text = sheet_ref(table.sheet, cell)
        if link and self.source_in_workbook:
            return Link(text, table.sheet, cell)
        return text

    def _note_table(self, table: Table) -> None:
        if table.sheet not in self._sheets_seen:
            self._sheets_seen.append(table.sheet)

    # -- rows -----------------------------------------------------------------------------

    def table_rows(
        self, table: Table, source_file: str | None = None, findings: Iterable[Finding] = ()
    ) -> TableRows:
        """The per-project row producer of one table; ``findings`` = those known so far (more
        can be added with :meth:`TableRows.add` before a project's rows are produced)."""
        return TableRows(self, table, source_file, findings)

    def start_table(self, table: Table) -> None:
        """Count a table whose 项目汇总 rows follow (done by :meth:`project_rows`)."""
        self.tables += 1
        self.units += len(table.units)
        self._note_table(table)

    def count_finding(self, severity: str) -> None:
        """Count a 校验结果 row (done by :meth:`finding_rows`)."""
        self.finding_counts[severity] = self.finding_counts.get(severity, 0) + 1

    def detail_rows(
        self, result: WorkbookResult, source_file: str | None = None
    ) -> Iterator[tuple]:
        """绩效指标明细: one row per indicator (a project without indicators gets one row)."""
        for table in result.tables:
            rows = self.table_rows(table, source_file, table.findings)
            for unit_name, p in iter_projects(table):
                yield from rows.detail_rows(unit_name, p)

    def project_rows(
        self, result: WorkbookResult, source_file: str | None = None
    ) -> Iterator[tuple]:
        """项目汇总: one row per project; totals accumulate for :meth:`project_footer`."""
        for table in result.tables:
            self.start_table(table)
            rows = self.table_rows(table, source_file, table.findings)
            for unit_name, p in iter_projects(table):
                yield rows.project_row(unit_name, p)

    def finding_rows(
        self, result: WorkbookResult, source_file: str | None = None
    ) -> Iterator[tuple]:
        """校验结果: one row per finding, in the order the checks reported them."""
        for table in result.tables:
            rows = TableRows(self, table, source_file, index=False)
            for f in table.findings:
                self.count_finding(f.severity)
                yield rows.finding_row(f)

    def _finding_location(self, table: Table, f: Finding, name_col: str) -> str | Link | None:
        sheet = f.sheet or table.sheet
        on_page = page_location(table.pages, f.row)
        if on_page is not None:
            return on_page
        if f.cell:
            cell = f.cell
        elif f.row is not None:
            cell = f"{name_col}{f.row}"
        else:
            return quote_sheet(sheet)
        text = sheet_ref(sheet, cell)
        return Link(text, sheet, cell) if self.source_in_workbook else text

    def project_footer(self) -> list[TotalCell]:
        """The 项目汇总 total row (call after the project rows were consumed)."""
        t = self._totals
        out: list[TotalCell] = []
        keys = [k for k in self.layout[SHEET_PROJECTS] if k]
        label_key = next(
            (k for k in ("项目名称", "资金使用单位", "部门名称") if k in keys),
            None,
        )
        if label_key:
            out.append(TotalCell(label_key, "label", total_label(t.projects)))
        for i, k in enumerate(AMOUNT_KEYS):
            out.append(TotalCell(k, "sum", round(t.amounts[i], 6) if t.amount_seen[i] else 0.0))
        out.append(TotalCell("指标数", "sum", t.indicators))
        for k, v in zip(COUNT_KEYS, t.buckets, strict=True):
            out.append(TotalCell(k, "sum", v))
        ratio = t.quantitative / t.indicators if t.indicators else None
        out.append(TotalCell("定量指标占比", "ratio", ratio, weight="指标数"))
        out.append(TotalCell("错误数", "sum", t.errors))
        out.append(TotalCell("警告数", "sum", t.warnings))
        if self.quality is not None:
            avg = t.quality_sum / t.quality_n if t.quality_n else None
            out.append(TotalCell("指标质量", "average", avg))
        return [c for c in out if c.key in keys]

    @property
    def totals(self) -> dict[str, Any]:
        """Counts over everything emitted so far (for messages and the 说明 sheet)."""
        t = self._totals
        return {
            "tables": self.tables,
            "units": self.units,
            "projects": t.projects,
            "indicators": t.indicators,
            "detail_rows": self.detail_count,
            "errors": self.finding_counts.get("error", 0),
            "warnings": self.finding_counts.get("warning", 0),
            "infos": self.finding_counts.get("info", 0),
        }

    def note_rows(self) -> Iterator[tuple]:
        """说明: file facts, then what each sheet and each column means."""
        pick = self._pick[SHEET_NOTES]
        t = self.totals
        facts: list[tuple[str, str]] = []
        if self.sources:
            facts.append(("来源文件", "、".join(self.sources)))
        if self._sheets_seen:
            facts.append(("来源工作表", "、".join(self._sheets_seen)))
        facts += [
            ("生成时间", format_timestamp(self.generated_at)),
            (VERSION_FACT, self.version),
            ("金额单位", self.amount_unit or "（原表未注明）"),
            ("模板", self.template or "内置标准汇总模板"),
            (SHEETS_FACT, "、".join(self.sheet_names[n] for n in STANDARD_SHEETS)),
            (
                "统计",
                f"{t['tables']} 个表格，{t['projects']} 个项目，{t['indicators']} 条指标；"
                f"错误 {t['errors']} 条，警告 {t['warnings']} 条，提示 {t['infos']} 条",
            ),
        ]
        for name, text in facts:
            yield pick(("文件", name, text, None))
        for sheet in STANDARD_SHEETS:
            yield pick(("工作表", self.sheet_names[sheet], SHEET_DOCS[sheet], None))
        for sheet in (SHEET_DETAIL, SHEET_PROJECTS, SHEET_FINDINGS):
            for key in self.layout[sheet]:
                if key is None:
                    continue
                doc = column_def(sheet, key).doc
                name = f"{self.sheet_names[sheet]} · {self.header_text(sheet, key)}"
                yield pick(("列", name, doc, None))
        for h in HELPER_HEADERS:
            yield pick(("辅助列", h, "保留原表时写在表格右侧：" + HELPER_DOCS[h], None))
        yield pick(
            (
                "说明",
                "指标性质",
                "定量：比较符 + 数值 + 计量单位（如 ≥390、≤4000元/人）；"
                "定性：文字目标（如 合规、提升）；"
                "待补充：指标值为「待单位补充」之类占位或未填写",
                None,
            )
        )
        if self.quality is not None and self.quality_doc:
            yield pick(("说明", "指标质量", self.quality_doc, None))
        for r in RULES.values():
            if r.scope != "batch":  # duplicate tables: only in a consolidated workbook
                yield pick(("校验规则", r.name_zh, r.id, None))


class TableRows:
    """The rows of one table for :class:`SummaryPlan`'s sheets, one project at a time.

    The whole-result methods of the plan (:meth:`SummaryPlan.detail_rows` …) loop over these;
    a streaming writer calls them itself, adding each project's findings (:meth:`add`) before
    its rows and calling :meth:`done` after them. 项目汇总's 错误数/警告数 and 绩效指标明细's 问题
    count the findings added so far (attributed as in
    :class:`~perfsheet.core.project_stats.FindingIndex`)."""

    def __init__(
        self,
        plan: SummaryPlan,
        table: Table,
        source_file: str | None,
        findings: Iterable[Finding] = (),
        *,
        index: bool = True,
    ) -> None:
        self.plan = plan
        self.table = table
        self.source_file = source_file
        self.factor = plan._factor(table)
        self.dept = table.department
        self.name_col = name_column(table)
        cols = table.columns
        self.ind_col = cols.get("indicators") or cols.get("level3") or self.name_col
        self.index = FindingIndex(table) if index else None
        if self.index is not None:
            self.index.add(findings)

    def add(self, findings: Iterable[Finding]) -> None:
        assert self.index is not None
        self.index.add(findings)

    def done(self, project: Project) -> None:
        """Forget what was kept for ``project`` (its rows are produced)."""
        assert self.index is not None
        self.index.forget(project)

    def _amounts(self, p: Project) -> list[float | None]:
        amounts = standard_amounts(p.amounts)
        if self.factor != 1.0:
            f = self.factor
            amounts = [None if v is None else round(v * f, 6) for v in amounts]
        return amounts

    def detail_rows(self, unit_name: str | None, p: Project) -> Iterator[tuple]:
        """绩效指标明细 rows of one project."""
        plan = self.plan
        pick = plan._pick[SHEET_DETAIL]
        assert self.index is not None
        problems = self.index.problems.get(id(p))
        loc = plan._location(self.table, self.ind_col, p.row, link=False)
        base = (self.dept, unit_name, p.name, *self._amounts(p))
        tail_project = (loc, self.source_file, p.goal)
        if not p.indicators:
            plan.detail_count += 1
            yield pick((*base, *([None] * 10), "未填写绩效指标", *tail_project, *([None] * 4)))
            return
        for ind in p.indicators:
            if ind.row is not None:  # a grid indicator: its own row
                tail_project = (
                    plan._location(self.table, self.ind_col, ind.row, link=False),
                    self.source_file,
                    p.goal,
                )
            op, value, unit, nature = target_fields(effective_target(ind))
            plan.detail_count += 1
            issues = ind.warnings
            if problems:
                extra = problems.get(ind.seq)  # type: ignore[arg-type]
                if extra:
                    issues = [*issues, *extra]
            yield pick(
                (
                    *base,
                    ind.seq,
                    ind.level1,
                    ind.level2,
                    ind.name,
                    ind.period_value,
                    ind.annual_value,
                    op,
                    value,
                    unit,
                    nature,
                    "；".join(issues) if issues else None,
                    *tail_project,
                    ind.level1_code,
                    ind.level2_code,
                    ind.raw or None,
                    None,
                )
            )

    def project_row(
        self, unit_name: str | None, p: Project, own: list[Finding] | None = None
    ) -> tuple:
        """The 项目汇总 row of one project; totals accumulate for the footer. ``own`` = the
        project's indicator and audit findings, for the 指标质量 scorer when the table's
        findings are not all in ``table.findings`` (a streaming writer)."""
        plan = self.plan
        tot = plan._totals
        amounts = self._amounts(p)
        for i, v in enumerate(amounts):
            if v is not None:
                tot.amounts[i] += v
                tot.amount_seen[i] = True
        st = project_stats(p)
        assert self.index is not None
        e, w, _i = self.index.counts.get(id(p), (0, 0, 0))
        q = None
        if plan.quality is not None:
            # with ``own`` the scorer is given the project's findings (audit_hooks' scorer)
            q = plan.quality(self.table, p) if own is None else plan.quality(self.table, p, own)  # type: ignore[call-arg]
        tot.projects += 1
        tot.indicators += st.indicators
        tot.buckets[0] += st.output
        tot.buckets[1] += st.benefit
        tot.buckets[2] += st.satisfaction
        tot.buckets[3] += st.cost
        tot.quantitative += st.quantitative
        tot.errors += e
        tot.warnings += w
        if q is not None:
            tot.quality_sum += q
            tot.quality_n += 1
        return plan._pick[SHEET_PROJECTS](
            (
                self.dept,
                unit_name,
                p.name,
                *amounts,
                st.indicators,
                st.output,
                st.benefit,
                st.satisfaction,
                st.cost,
                st.quant_ratio,
                e,
                w,
                q,
                plan._location(self.table, self.name_col, p.row, link=True),
                self.source_file,
                p.goal,
                None,
            )
        )

    def finding_row(self, f: Finding) -> tuple:
        """The 校验结果 row of one finding (not counted: see :meth:`SummaryPlan.count_finding`)."""
        plan = self.plan
        return plan._pick[SHEET_FINDINGS](
            (
                SEVERITY_NAMES.get(f.severity, f.severity),
                RULE_NAMES[f.rule],
                plan._finding_location(self.table, f, self.name_col),
                f.project or f.unit,
                f.message,
                f.expected,
                f.actual,
                f.difference,
                self.source_file,
                f.rule,
                f.basis,
                None,
            )
        )
