"""The columns of the consolidated workbook and how their cells look, from the summary template.

One sheet spec (:class:`~perfsheet.io.template.SheetSpec`) feeds the summary workbook of each
input and the consolidated workbook ``绩效汇总_合并.xlsx``:

* **columns**: each standard sheet has the template sheet's columns, in its order, plus what
  the merge needs: ``部门名称`` in front where the template lacks it (always in ``校验结果``,
  whose rows get it from the table) and ``来源文件`` after it. ``部门汇总`` (one row per table,
  not in the template) has its own columns (:data:`DEPT_COLUMNS`); ``说明`` has 类别, 名称,
  内容;
* **header texts** are the summary workbook's (:meth:`SummaryPlan.header_text
  <perfsheet.core.summary_rows.SummaryPlan.header_text>` of the template's text: a renamed
  header keeps its name, amounts carry the unit, 万元 here);
* **cell formats**: a column's header cell is formatted as the template's header cell of that
  column, its data cells as the template's data cells (:meth:`SheetSpec.body_style
  <perfsheet.io.template.SheetSpec.body_style>`: font, fill, borders, alignment, number
  format), its total-row cell as the summary's (:meth:`SheetSpec.total_style
  <perfsheet.io.template.SheetSpec.total_style>`). Two additions that the merge's layout
  needs: text wraps — headers are broken before their unit, and data columns are only as
  wide as their values up to a cap, so a longer text takes more lines (its row is made as
  high) — and data cells the template does not align vertically are top-aligned;
* a column the template's sheet lacks (``来源文件``, ``部门名称``, or one of ``部门汇总``,
  which takes ``项目汇总``'s columns of the same name) looks like the sheet's first column of
  the same kind (amount, count, text…), else its first column: that column's header cell,
  and its data cells without their horizontal alignment;
* **widths**: a column is fitted to its values (up to a cap, see
  :mod:`perfsheet.batch.consolidate`), unless the template gives it a width of its own — one
  other than the column's built-in width (:class:`~perfsheet.core.sheets.ColumnDef`
  ``width``, which the built-in template and any copy of it hold): that width is kept. The
  built-in widths suit one file's values; the merge holds every file's, hence fitted. A
  column the template hides stays hidden. The template's title rows, frozen panes,
  conditional formats and filters are not copied: the merge has its header in row 1 (repeated
  on every page and on continuation sheets), its own filter, and colours 校验结果 by 级别.

:class:`ConsolidatedLook` computes all this once per template: the styles part (a
:class:`~perfsheet.io.xlsx_stream.StyleBook`) and, per sheet, each column's cell formats as
indexes into it. The workers, which render rows into the row caches, and the parent, which
writes the header and total rows and the styles part, build it from the same spec, so the
indexes agree; :attr:`ConsolidatedLook.digest` names the styles part, is written into every
cache's sheet headers and is part of the batch fingerprint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from perfsheet.batch.cache import CacheHeader
from perfsheet.core.sheets import (
    COLUMNS,
    SHEET_DETAIL,
    SHEET_FINDINGS,
    SHEET_NOTES,
    SHEET_PROJECTS,
)
from perfsheet.io.xlsx_stream import StyleBook

if TYPE_CHECKING:
    from perfsheet.io.template import ColumnSpec, SheetSpec, TemplateSpec

DEPT_SHEET = "部门汇总"
NOTES_SHEET = SHEET_NOTES
CONSOLIDATED_UNIT = "万元"
SOURCE_KEY = "来源文件"
DEPT_KEY = "部门名称"

#: 部门汇总: (key, header text, kind) per column. Columns of 项目汇总 with the same key lend it
#: their look.
DEPT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("部门名称", "部门名称", "text"),
    ("来源文件", "来源文件", "text"),
    ("工作表", "工作表", "text"),
    ("原金额单位", "原金额单位", "text"),
    ("总计", f"总计（{CONSOLIDATED_UNIT}）", "amount"),
    ("财政拨款", f"财政拨款（{CONSOLIDATED_UNIT}）", "amount"),
    ("财政专户拨款", f"财政专户拨款（{CONSOLIDATED_UNIT}）", "amount"),
    ("其他资金", f"其他资金（{CONSOLIDATED_UNIT}）", "amount"),
    ("项目数", "项目数", "int"),
    ("指标数", "指标数", "int"),
    ("错误数", "错误数", "int"),
    ("警告数", "警告数", "int"),
)
DEPT_HEADER = [text for _key, text, _kind in DEPT_COLUMNS]
DEPT_TOTALS: list[tuple[int, str, int | None]] = [(0, "label", None)] + [
    (c, "sum", None) for c in range(4, len(DEPT_COLUMNS))
]
NOTES_KEYS = ("类别", "名称", "内容")

#: The sheets of the consolidated workbook, in the order their formats are registered.
SHEETS = (DEPT_SHEET, SHEET_DETAIL, SHEET_PROJECTS, SHEET_FINDINGS, NOTES_SHEET)


def _kind(sheet: str, key: str | None) -> str | None:
    return next((c.kind for c in COLUMNS.get(sheet, ()) if c.key == key), None)


def _default_width(sheet: str, key: str | None) -> float | None:
    return next((c.width for c in COLUMNS.get(sheet, ()) if c.key == key), None)


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a consolidated sheet: where its look comes from, and that look as cell
    format indexes (``header``, ``body``, ``total``) into :attr:`ConsolidatedLook.book`."""

    key: str | None
    kind: str | None
    text: str  # the template's header text (the writer adds the unit to amounts)
    header: int
    body: int
    total: int
    num_format: str | None
    width: float | None  # kept from the template; None: fitted to the values
    hidden: bool = False


class ConsolidatedLook:
    """The columns of every consolidated sheet and their cell formats, from ``spec`` (the
    built-in template when None); see the module docstring."""

    def __init__(self, spec: TemplateSpec | None = None) -> None:
        from perfsheet.io.template import load_template

        self.spec = spec if spec is not None else load_template(None)
        self.book = StyleBook(self.spec.default_font)
        self.sheets: dict[str, list[Column]] = {}
        projects = self.spec.sheets[SHEET_PROJECTS]
        self.sheets[DEPT_SHEET] = [
            self._column(projects, _like(projects, key, kind), kind, fitted=True)
            for key, _text, kind in DEPT_COLUMNS
        ]
        for name in (SHEET_DETAIL, SHEET_PROJECTS, SHEET_FINDINGS):
            sheet = self.spec.sheets[name]
            self.sheets[name] = [
                self._column(sheet, c, _kind(name, c.key)) for c in _merge_columns(sheet)
            ]
        notes = self.spec.sheets[SHEET_NOTES]
        self.sheets[NOTES_SHEET] = [
            self._column(notes, _like(notes, key, "text"), "text") for key in NOTES_KEYS
        ]
        self.xml = self.book.xml()
        self.digest = hashlib.sha256(self.xml.encode("utf-8")).hexdigest()[:16]

    def _column(
        self, sheet: SheetSpec, c: ColumnSpec, kind: str | None, *, fitted: bool = False
    ) -> Column:
        body = sheet.body_style(c)
        header: dict[str, Any] = {**c.header_style, "text_wrap": True}
        cell: dict[str, Any] = dict(body)
        if not cell.get("shrink"):
            cell["text_wrap"] = True
        cell.setdefault("valign", "top")
        width = None
        if not fitted and c.width is not None and c.width != _default_width(sheet.name, c.key):
            width = c.width
        return Column(
            key=c.key,
            kind=kind,
            text=c.header,
            header=self.book.add(header),
            body=self.book.add(cell),
            total=self.book.add(sheet.total_style(c)),
            num_format=body.get("num_format"),
            width=width,
            hidden=c.hidden and not fitted,
        )

    def plan_layout(self) -> dict[str, list[str | None]]:
        """The summary plan's column keys per standard sheet (校验结果 without the 部门名称
        in front, which the rows put there)."""
        out = {name: [c.key for c in self.sheets[name]] for name in (SHEET_DETAIL, SHEET_PROJECTS)}
        out[SHEET_FINDINGS] = [c.key for c in self.sheets[SHEET_FINDINGS][1:]]
        return out

    def cache_header(
        self,
        columns: Sequence[Column],
        header: Sequence[str],
        totals: Sequence[tuple[int, str, int | None]] = (),
        total_label: str | None = None,
    ) -> CacheHeader:
        """The header record of a sheet of the row caches: texts ``header``, and each
        column's look."""
        extra = {} if total_label is None else {"total_label": total_label}
        return CacheHeader(
            header=list(header),
            keys=[c.key for c in columns],
            kinds=[c.kind for c in columns],
            styles=[c.body for c in columns],
            header_styles=[c.header for c in columns],
            total_styles=[c.total for c in columns],
            formats=[c.num_format for c in columns],
            widths=[c.width for c in columns],
            hidden=[i for i, c in enumerate(columns) if c.hidden],
            totals=list(totals),
            styles_id=self.digest,
            **extra,
        )


def _like(sheet: SheetSpec, key: str, kind: str | None) -> ColumnSpec:
    """The template's column ``key`` of ``sheet``; when it has none, a column that looks like
    the sheet's first column of the same kind (else its first column): its header cell, its
    data cells without their horizontal alignment (and without their number format when the
    kind differs)."""
    from perfsheet.io.template import ColumnSpec

    own = next((c for c in sheet.columns if c.key == key), None)
    if own is not None:
        return own
    same = next((c for c in sheet.columns if _kind(sheet.name, c.key) == kind), None)
    model = same or (sheet.columns[0] if sheet.columns else None)
    if model is None:
        return ColumnSpec(index=-1, header=key, key=key)
    body = {k: v for k, v in model.body_style.items() if k not in ("align", "num_format")}
    fmt = sheet.number_format(model) if same is not None else None
    if fmt is not None:
        body["num_format"] = fmt
    return ColumnSpec(
        index=-1, header=key, key=key, header_style=dict(model.header_style), body_style=body
    )


def _merge_columns(sheet: SheetSpec) -> list[ColumnSpec]:
    """The template sheet's columns with 部门名称 (in front, where missing) and 来源文件 (after
    it): the consolidated layout of a standard sheet."""
    columns = [c for c in sheet.columns if c.key != SOURCE_KEY]
    source = _like(sheet, SOURCE_KEY, "text")
    at = next((i for i, c in enumerate(columns) if c.key == DEPT_KEY), None)
    if at is None:
        columns.insert(0, _like(sheet, DEPT_KEY, "text"))
        at = 0
    columns.insert(at + 1, source)
    return columns
