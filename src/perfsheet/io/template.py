"""The summary template as plain data.

A template is an ordinary workbook with the standard sheets (``绩效指标明细``, ``项目汇总``,
``校验结果``, optionally ``说明``). In each sheet one row holds the column headers; columns are
matched to the plan by header text (``perfsheet.core.sheets.match_columns``), so users may
reorder, drop, rename the unit suffix of, or restyle columns, and put title rows above the
header. The row below the header carries the body style of each column (number formats,
borders, alignment); title rows are copied as they are (``{来源文件}``, ``{生成时间}``,
``{部门名称}`` and ``{版本}`` in their text are filled in).

:func:`read_template` reads a template with openpyxl into a :class:`TemplateSpec` (pydantic,
JSON-serializable, XlsxWriter format properties for styles). The built-in template's spec is
stored as JSON inside the package (``standard_template.json``, produced by
``templates/build_template.py`` from ``templates/标准汇总模板.xlsx``), so the fast ``--no-source``
path never imports openpyxl.

The Excel add-in's buttons use the template ``perfsheet.template.xlsx`` found next to the
workbook or in the user's home folder (:func:`find_template_file`), else the built-in one.
The built-in workbook itself is packaged in the wheel (``_assets/standard_template.xlsx`` beside
this module, a copy of ``templates/标准汇总模板.xlsx``): :func:`export_template` writes a copy
for users to start from (``perfsheet template``, the add-in's 导出模板).

What every writer takes from a column of the spec is said here once: the style of its header
cell (:attr:`ColumnSpec.header_style`), of its data cells (:meth:`SheetSpec.body_style`), of
its data cells holding a link (:meth:`SheetSpec.link_style`) and of its cell in the total row
(:meth:`SheetSpec.total_style`).
"""

from __future__ import annotations

import colorsys
import json
import os
import re
import shutil
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from perfsheet.core.sheets import (
    COLUMNS,
    KIND_FORMATS,
    REQUIRED_SHEETS,
    SHEET_NOTES,
    STANDARD_SHEETS,
    TOTAL_ROW_LOOK,
    header_key,
)
from perfsheet.errors import InputError, TemplateError, UsageError
from perfsheet.io.atomic import atomic_output
from perfsheet.io.private_api import first_font, loaded_theme
from perfsheet.io.user_files import TEMPLATE_FILE_NAME, find_user_file

BUILTIN_SPEC = "standard_template.json"
#: the built-in template workbook: its packaged copy (pyproject.toml force-includes
#: ``templates/标准汇总模板.xlsx`` here) and its place in a source checkout
BUILTIN_WORKBOOK = Path("_assets") / "standard_template.xlsx"
REPO_WORKBOOK = Path("templates") / "标准汇总模板.xlsx"
#: the colour of a link's text (Excel's Hyperlink cell style)
LINK_COLOR = "#0563C1"

Style = dict[str, Any]  # XlsxWriter format properties


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ColumnSpec(_Model):
    index: int  # 0-based column
    header: str  # as written in the template
    key: str | None  # the plan's column key, None for a header the plan does not know
    width: float | None = None
    hidden: bool = False
    header_style: Style = Field(default_factory=dict)
    body_style: Style = Field(default_factory=dict)


class CellSpec(_Model):
    """A cell above the header (title rows), 0-based."""

    row: int
    col: int
    value: str | float | int | bool | None = None
    style: Style = Field(default_factory=dict)


class ConditionalSpec(_Model):
    """A conditional format, in XlsxWriter terms, applied to the data rows of its columns."""

    first_col: int
    last_col: int
    options: dict[str, Any]  # XlsxWriter conditional_format options without "format"
    style: Style = Field(default_factory=dict)  # the differential format


class SheetSpec(_Model):
    name: str
    header_row: int  # 0-based
    header_height: float | None = None
    columns: list[ColumnSpec]
    title_cells: list[CellSpec] = Field(default_factory=list)
    title_merges: list[tuple[int, int, int, int]] = Field(default_factory=list)
    title_heights: dict[int, float] = Field(default_factory=dict)
    freeze: tuple[int, int] | None = None  # 0-based (row, col) of the top-left unfrozen cell
    autofilter: bool = False
    landscape: bool = False
    paper: int | None = None
    fit_width: int | None = None
    fit_height: int | None = None
    repeat_header: bool = False
    center_horizontally: bool = False
    margins: dict[str, float] | None = None
    print_header: str | None = None
    print_footer: str | None = None
    conditional: list[ConditionalSpec] = Field(default_factory=list)
    tab_color: str | None = None
    zoom: int | None = None
    gridlines: bool = True
    print_gridlines: bool = False
    default_row_height: float | None = None

    def number_format(self, column: ColumnSpec) -> str | None:
        """The number format of a column's data cells: the template's, else the default of
        the column's kind (:data:`~perfsheet.core.sheets.KIND_FORMATS`); None for text."""
        if "num_format" in column.body_style:
            return column.body_style["num_format"]
        kind = _kind(self.name, column.key)
        return KIND_FORMATS.get(kind) if kind else None

    def body_style(self, column: ColumnSpec) -> Style:
        """The format of a column's data cells: the template's body style with the column's
        number format (:meth:`number_format`). Every writer of the standard sheets formats
        its data cells with it (the summary workbook, the consolidated workbook, the live book)."""
        body = dict(column.body_style)
        fmt = self.number_format(column)
        if fmt is not None:
            body["num_format"] = fmt
        return body

    def link_style(self, column: ColumnSpec) -> Style:
        """A data cell holding a link (来源位置, 位置): the body style in the link colour,
        underlined."""
        return {**self.body_style(column), "font_color": LINK_COLOR, "underline": 1}

    def total_style(self, column: ColumnSpec) -> Style:
        """A column's cell in the total row of 项目汇总: the body style without a font colour
        or underline, in the total row's look (:data:`~perfsheet.core.sheets.TOTAL_ROW_LOOK`)."""
        body = self.body_style(column)
        total = {k: v for k, v in body.items() if k not in ("font_color", "underline")}
        total.update(TOTAL_ROW_LOOK)
        return total


def _kind(sheet: str, key: str | None) -> str | None:
    return next((c.kind for c in COLUMNS.get(sheet, ()) if c.key == key), None)


class TemplateSpec(_Model):
    source: str | None = None  # the template file; None for the built-in one
    default_font: Style = Field(default_factory=dict)
    sheets: dict[str, SheetSpec]

    def sheet(self, name: str) -> SheetSpec | None:
        return self.sheets.get(name)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def builtin_template() -> TemplateSpec:
    """The built-in template's spec (JSON in the package; no openpyxl import)."""
    text = resources.files("perfsheet.io").joinpath(BUILTIN_SPEC).read_text(encoding="utf-8")
    return TemplateSpec.model_validate(json.loads(text))


def load_template(path: Path | str | None) -> TemplateSpec:
    """``None`` -> the built-in template; a path -> read it (raises a Chinese error)."""
    if path is None:
        return builtin_template()
    return read_template(Path(path))


def find_template_file(workbook_path: Path | None, home: Path | None = None) -> Path | None:
    """``perfsheet.template.xlsx`` next to the workbook, else in the user's home, else None:
    the template of the Excel add-in's buttons, found as the rules file is
    (:func:`perfsheet.io.user_files.find_user_file`)."""
    return find_user_file(TEMPLATE_FILE_NAME, workbook_path, home)


def builtin_template_file() -> Path:
    """The built-in template workbook: the copy packaged in the wheel, else the repository's
    ``templates/标准汇总模板.xlsx`` (a source checkout or an editable install, where the
    package is ``src/perfsheet``)."""
    here = Path(__file__).resolve().parent
    packaged = here / BUILTIN_WORKBOOK
    if packaged.is_file():
        return packaged
    repo = here.parents[2]
    if (repo / "pyproject.toml").is_file() and (repo / REPO_WORKBOOK).is_file():
        return repo / REPO_WORKBOOK
    raise InputError(str(packaged), "内置汇总模板缺失（安装不完整），请重新安装 perfsheet")


def export_template(path: Path | str | None = None, *, force: bool = False) -> Path:
    """Write a copy of the built-in template workbook, byte for byte, and return its path.

    ``path`` is a file (``.xlsx``) or a folder (an existing one, or one written with a
    trailing separator, created as needed), which gets ``perfsheet.template.xlsx`` — the name
    the Excel add-in looks for (:func:`find_template_file`); ``None``: that name in the current
    folder. The returned path is absolute.

    An existing file is never replaced unless ``force`` (:class:`~perfsheet.errors.UsageError`
    otherwise, also for a file name that does not end in ``.xlsx``). The copy is written to a
    temporary file and moved into place (:func:`~perfsheet.io.atomic.atomic_output`): a full
    disk or a read-only folder raise :class:`~perfsheet.errors.OutputError` and leave nothing.
    """
    text = os.fspath(path) if path is not None else ""
    out = Path(text or ".")
    if not text or out.is_dir() or text.endswith(("/", os.sep)):
        out = out / TEMPLATE_FILE_NAME
    elif out.suffix.lower() != ".xlsx":
        raise UsageError(
            f"模板文件名须以 .xlsx 结尾：{out}（要放进一个新文件夹，请在路径末尾加 /）"
        )
    out = out.absolute()
    if os.path.lexists(out) and not force:
        raise UsageError(f"{out} 已存在，没有覆盖（要用内置模板覆盖它，请加 --force）")
    source = builtin_template_file()
    with atomic_output(out) as tmp:  # OutputError on the way out
        shutil.copyfile(source, tmp)
    return out


def spec_json(spec: TemplateSpec) -> str:
    """Deterministic JSON of a spec (the build script stores the built-in one this way)."""
    return json.dumps(spec.model_dump(mode="json"), ensure_ascii=False, indent=1, sort_keys=True)


# --------------------------------------------------------------------------------------------
# Reading a template workbook with openpyxl
# --------------------------------------------------------------------------------------------

_BORDER_STYLES = {
    "thin": 1,
    "medium": 2,
    "dashed": 3,
    "dotted": 4,
    "thick": 5,
    "double": 6,
    "hair": 7,
    "mediumDashed": 8,
    "dashDot": 9,
    "mediumDashDot": 10,
    "dashDotDot": 11,
    "mediumDashDotDot": 12,
    "slantDashDot": 13,
}
_HALIGN = {
    "left": "left",
    "center": "center",
    "right": "right",
    "fill": "fill",
    "justify": "justify",
    "centerContinuous": "center_across",
    "distributed": "distributed",
}
_VALIGN = {
    "top": "top",
    "center": "vcenter",
    "bottom": "bottom",
    "justify": "vjustify",
    "distributed": "vdistributed",
}
_CF_OPERATORS = {
    "equal": "==",
    "notEqual": "!=",
    "greaterThan": ">",
    "lessThan": "<",
    "greaterThanOrEqual": ">=",
    "lessThanOrEqual": "<=",
    "between": "between",
    "notBetween": "not between",
}
_HEADER_SCAN_ROWS = 30


class _Colors:
    """Resolve openpyxl colours (rgb, theme + tint, indexed) to ``#RRGGBB``."""

    # Office default theme (dk1, lt1, dk2, lt2, accent1..6, hlink, folHlink)
    _DEFAULT: ClassVar[list[str]] = [
        "000000",
        "FFFFFF",
        "44546A",
        "E7E6E6",
        "4472C4",
        "ED7D31",
        "A5A5A5",
        "FFC000",
        "5B9BD5",
        "70AD47",
        "0563C1",
        "954F72",
    ]

    def __init__(self, theme_xml: bytes | str | None) -> None:
        scheme = list(self._DEFAULT)
        if theme_xml:
            text = (
                theme_xml.decode("utf-8", "replace") if isinstance(theme_xml, bytes) else theme_xml
            )
            m = re.search(r"<a:clrScheme\b.*?</a:clrScheme>", text, re.S)
            if m:
                found = re.findall(
                    r"<a:(dk1|lt1|dk2|lt2|accent[1-6]|hlink|folHlink)>\s*"
                    r"<a:(?:srgbClr val|sysClr[^>]*?lastClr)=\"([0-9A-Fa-f]{6})\"",
                    m.group(0),
                )
                order = ["dk1", "lt1", "dk2", "lt2"] + [f"accent{i}" for i in range(1, 7)]
                order += ["hlink", "folHlink"]
                got = {name: val.upper() for name, val in found}
                scheme = [got.get(n, d) for n, d in zip(order, self._DEFAULT, strict=True)]
        # Excel's theme index swaps the first two pairs: 0 lt1, 1 dk1, 2 lt2, 3 dk2
        self.theme = [scheme[1], scheme[0], scheme[3], scheme[2], *scheme[4:]]

    def resolve(self, color: Any) -> str | None:
        if color is None:
            return None
        ctype = getattr(color, "type", None)
        rgb: str | None = None
        if ctype == "rgb":
            v = color.rgb
            if isinstance(v, str) and len(v) >= 6:
                if len(v) == 8 and v[:2] == "00" and v[2:] == "000000":
                    return None  # openpyxl's "no colour" default
                rgb = v[-6:].upper()
        elif ctype == "theme":
            idx = color.theme
            if isinstance(idx, int) and 0 <= idx < len(self.theme):
                rgb = self.theme[idx]
        elif ctype == "indexed":
            from openpyxl.styles.colors import COLOR_INDEX

            idx = color.indexed
            if isinstance(idx, int) and 0 <= idx < len(COLOR_INDEX) and idx < 64:
                rgb = COLOR_INDEX[idx][-6:].upper()
        if rgb is None:
            return None
        tint = getattr(color, "tint", 0.0) or 0.0
        if tint:
            rgb = _apply_tint(rgb, tint)
        return "#" + rgb


def _apply_tint(rgb: str, tint: float) -> str:
    r, g, b = (int(rgb[i : i + 2], 16) / 255 for i in (0, 2, 4))
    h, lum, s = colorsys.rgb_to_hls(r, g, b)
    lum = lum * (1 + tint) if tint < 0 else lum * (1 - tint) + tint
    r, g, b = colorsys.hls_to_rgb(h, min(max(lum, 0.0), 1.0), s)
    return "".join(f"{round(x * 255):02X}" for x in (r, g, b))


def _font_style(font: Any, colors: _Colors, default: Style) -> Style:
    d: Style = {}
    if font is None:
        return d
    if font.name and font.name != default.get("font_name"):
        d["font_name"] = font.name
    if font.sz and float(font.sz) != float(default.get("font_size", 11)):
        d["font_size"] = float(font.sz)
    if font.b:
        d["bold"] = True
    if font.i:
        d["italic"] = True
    if font.u:
        d["underline"] = {"single": 1, "double": 2, "singleAccounting": 33}.get(font.u, 1)
    if font.strike:
        d["font_strikeout"] = True
    c = colors.resolve(font.color)
    if c and c != "#000000":
        d["font_color"] = c
    return d


def _cell_style(cell: Any, colors: _Colors, default_font: Style) -> Style:
    if not cell.has_style:
        return {}
    d = _font_style(cell.font, colors, default_font)
    fill = cell.fill
    if fill is not None and getattr(fill, "fill_type", None) == "solid":
        c = colors.resolve(fill.fgColor) or colors.resolve(fill.start_color)
        if c:
            d["bg_color"] = c
    b = cell.border
    if b is not None:
        for side in ("left", "right", "top", "bottom"):
            s = getattr(b, side)
            if s is not None and s.style in _BORDER_STYLES:
                d[side] = _BORDER_STYLES[s.style]
                c = colors.resolve(s.color)
                if c and c != "#000000":
                    d[f"{side}_color"] = c
    a = cell.alignment
    if a is not None:
        if a.horizontal in _HALIGN:
            d["align"] = _HALIGN[a.horizontal]
        if a.vertical in _VALIGN:
            d["valign"] = _VALIGN[a.vertical]
        if a.wrap_text:
            d["text_wrap"] = True
        if a.indent:
            d["indent"] = int(a.indent)
        if a.text_rotation:
            d["rotation"] = int(a.text_rotation)
        if a.shrink_to_fit:
            d["shrink"] = True
    nf = cell.number_format
    if nf and nf != "General":
        d["num_format"] = nf
    return d


def _dxf_style(dxf: Any, colors: _Colors) -> Style:
    d: Style = {}
    if dxf is None:
        return d
    if dxf.font is not None:
        if dxf.font.b:
            d["bold"] = True
        if dxf.font.i:
            d["italic"] = True
        c = colors.resolve(dxf.font.color)
        if c:
            d["font_color"] = c
    if dxf.fill is not None:
        c = colors.resolve(getattr(dxf.fill, "bgColor", None)) or colors.resolve(
            getattr(dxf.fill, "fgColor", None)
        )
        if c:
            d["bg_color"] = c
    if dxf.numFmt is not None and getattr(dxf.numFmt, "formatCode", None):
        d["num_format"] = dxf.numFmt.formatCode
    return d


def _ui_width(file_width: float | None) -> float | None:
    """A ``<col width>`` as stored in the file -> the width Excel shows (and XlsxWriter takes).

    Files store ``trunc((pixels) / 7 * 256) / 256`` with ``pixels = width * 7 + 5`` for the
    default font's 7-pixel digit; inverting gives back what the user typed.
    """
    if file_width is None:
        return None
    if file_width <= 0:
        return 0.0
    pixels = round(file_width * 7)
    if pixels <= 12:  # narrow columns have no padding
        return round(pixels / 12, 2)
    return round((pixels - 5) / 7, 2)


def _find_header_row(ws: Any, sheet: str) -> int | None:
    known = {c.key for c in COLUMNS[sheet]}
    best, best_n = None, 0
    max_row = min(ws.max_row, _HEADER_SCAN_ROWS)
    for r in range(1, max_row + 1):
        n = 0
        for c in range(1, ws.max_column + 1):
            v = ws.cell(r, c).value
            if isinstance(v, str) and header_key(v) in known:
                n += 1
        if n > best_n:
            best, best_n = r, n
    return best


def _conditional(ws: Any, header_row: int, colors: _Colors) -> list[ConditionalSpec]:
    from openpyxl.utils.cell import range_boundaries

    out: list[ConditionalSpec] = []
    for cf in ws.conditional_formatting:
        for rng in str(cf.sqref).split():
            min_col, min_row, max_col, _max_row = range_boundaries(rng)
            if min_row is None or min_row <= header_row:
                continue  # rules on the header or title rows are not data rules
            for rule in cf.rules:
                opts: dict[str, Any]
                if rule.type == "expression" and rule.formula:
                    opts = {"type": "formula", "criteria": "=" + str(rule.formula[0]).lstrip("=")}
                elif rule.type == "cellIs" and rule.formula and rule.operator in _CF_OPERATORS:
                    op = _CF_OPERATORS[rule.operator]
                    opts = {"type": "cell", "criteria": op}
                    if op in ("between", "not between") and len(rule.formula) >= 2:
                        opts["minimum"] = rule.formula[0]
                        opts["maximum"] = rule.formula[1]
                    else:
                        opts["value"] = rule.formula[0]
                elif rule.type == "containsText" and rule.text:
                    opts = {"type": "text", "criteria": "containing", "value": rule.text}
                else:
                    continue
                if rule.stopIfTrue:
                    opts["stop_if_true"] = True
                out.append(
                    ConditionalSpec(
                        first_col=(min_col or 1) - 1,
                        last_col=(max_col or min_col or 1) - 1,
                        options=opts,
                        style=_dxf_style(rule.dxf, colors),
                    )
                )
    return out


def _sheet_spec(ws: Any, sheet: str, colors: _Colors, default_font: Style, path: Path) -> SheetSpec:
    from openpyxl.utils.cell import range_boundaries

    header_row = _find_header_row(ws, sheet)
    if header_row is None:
        known = "、".join(c.key for c in COLUMNS[sheet][:4])
        raise TemplateError(str(path), f"工作表「{sheet}」中找不到表头行（应包含 {known} 等列名）")

    widths: dict[int, tuple[float | None, bool]] = {}
    for dim in ws.column_dimensions.values():
        if dim.min is None:
            continue
        width = _ui_width(dim.width) if dim.customWidth or dim.width != 13 else None
        for c in range(dim.min, (dim.max or dim.min) + 1):
            widths[c] = (width, bool(dim.hidden))

    columns: list[ColumnSpec] = []
    for c in range(1, ws.max_column + 1):
        cell = ws.cell(header_row, c)
        text = cell.value
        if text is None or (isinstance(text, str) and not text.strip()):
            continue
        text = str(text).strip()
        key = header_key(text)
        known = {d.key for d in COLUMNS[sheet]}
        width, hidden = widths.get(c, (None, False))
        columns.append(
            ColumnSpec(
                index=c - 1,
                header=text,
                key=key if key in known else None,
                width=width,
                hidden=hidden,
                header_style=_cell_style(cell, colors, default_font),
                body_style=_cell_style(ws.cell(header_row + 1, c), colors, default_font),
            )
        )

    title_cells: list[CellSpec] = []
    for r in range(1, header_row):
        for c in range(1, ws.max_column + 1):
            cell = ws.cell(r, c)
            if cell.value is None and not cell.has_style:
                continue
            value = cell.value
            if value is not None and not isinstance(value, str | int | float | bool):
                value = str(value)
            title_cells.append(
                CellSpec(
                    row=r - 1, col=c - 1, value=value, style=_cell_style(cell, colors, default_font)
                )
            )
    merges = []
    for m in ws.merged_cells.ranges:
        min_col, min_row, max_col, max_row = range_boundaries(str(m))
        if max_row < header_row:
            merges.append((min_row - 1, min_col - 1, max_row - 1, max_col - 1))
    heights = {
        r - 1: float(ws.row_dimensions[r].height)
        for r in range(1, header_row)
        if ws.row_dimensions[r].height
    }
    hh = ws.row_dimensions[header_row].height

    freeze = None
    if ws.freeze_panes:
        from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

        col, row = coordinate_from_string(ws.freeze_panes)
        freeze = (row - 1, column_index_from_string(col) - 1)

    ps = ws.page_setup
    fit = bool(ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage)
    repeat = False
    if ws.print_title_rows:
        rows = re.findall(r"\d+", str(ws.print_title_rows))
        repeat = bool(rows) and int(rows[-1]) >= header_row >= int(rows[0])
    margins = None
    pm = ws.page_margins
    if pm is not None:
        margins = {
            "left": float(pm.left),
            "right": float(pm.right),
            "top": float(pm.top),
            "bottom": float(pm.bottom),
        }

    def _hf(part: Any) -> str | None:
        if part is None:
            return None
        out = ""
        for tag, sect in (("&L", part.left), ("&C", part.center), ("&R", part.right)):
            if sect is not None and sect.text:
                out += tag + sect.text
        return out or None

    tab = None
    if ws.sheet_properties.tabColor is not None:
        tab = colors.resolve(ws.sheet_properties.tabColor)
    view = ws.sheet_view
    return SheetSpec(
        name=sheet,
        header_row=header_row - 1,
        header_height=float(hh) if hh else None,
        columns=columns,
        title_cells=title_cells,
        title_merges=sorted(merges),
        title_heights=heights,
        freeze=freeze,
        autofilter=bool(ws.auto_filter.ref),
        landscape=ps.orientation == "landscape",
        paper=int(ps.paperSize) if ps.paperSize else None,
        fit_width=(int(ps.fitToWidth) if ps.fitToWidth is not None else 1) if fit else None,
        fit_height=(int(ps.fitToHeight) if ps.fitToHeight is not None else 1) if fit else None,
        repeat_header=repeat,
        center_horizontally=bool(ws.print_options.horizontalCentered),
        margins=margins,
        print_header=_hf(ws.oddHeader),
        print_footer=_hf(ws.oddFooter),
        conditional=_conditional(ws, header_row, colors),
        tab_color=tab,
        zoom=int(view.zoomScale) if view.zoomScale and int(view.zoomScale) != 100 else None,
        gridlines=view.showGridLines is not False,
        print_gridlines=bool(ws.print_options.gridLines),
        default_row_height=(
            float(ws.sheet_format.defaultRowHeight)
            if ws.sheet_format.customHeight and ws.sheet_format.defaultRowHeight
            else None
        ),
    )


def read_template(path: Path) -> TemplateSpec:
    """Read a template workbook (any layout following the rules above) into a spec.

    Raises :class:`~perfsheet.errors.InputError` for a file that is missing or not a readable
    .xlsx and :class:`~perfsheet.errors.TemplateError` for one without a standard sheet or its
    header row; both name ``path``."""
    import zipfile

    import openpyxl

    if not path.is_file():
        raise InputError(str(path), "模板文件不存在")
    try:
        wb = openpyxl.load_workbook(path, rich_text=False)
    # SyntaxError: xml.etree's ParseError, a part that is not XML
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SyntaxError) as err:
        raise InputError(str(path), f"不是可读取的 .xlsx 模板（{type(err).__name__}）") from None
    missing = [s for s in REQUIRED_SHEETS if s not in wb.sheetnames]
    if missing:
        raise TemplateError(
            str(path),
            f"缺少工作表{'、'.join(f'「{s}」' for s in missing)}"
            f"（标准汇总模板须包含 {'、'.join(REQUIRED_SHEETS)}）",
        )
    colors = _Colors(loaded_theme(wb))
    default_font: Style = {"font_name": "Calibri", "font_size": 11.0}
    f0 = first_font(wb)
    if f0 is not None:
        default_font = {"font_name": f0.name or "Calibri", "font_size": float(f0.sz or 11)}
    sheets: dict[str, SheetSpec] = {}
    for name in STANDARD_SHEETS:
        if name not in wb.sheetnames:
            continue
        sheets[name] = _sheet_spec(wb[name], name, colors, default_font, path)
    if SHEET_NOTES not in sheets:
        sheets[SHEET_NOTES] = builtin_template().sheets[SHEET_NOTES]
    return TemplateSpec(source=path.name, default_font=default_font, sheets=sheets)


def with_columns(spec: TemplateSpec, extra: dict[str, list[str]]) -> TemplateSpec:
    """A copy of ``spec`` where each sheet in ``extra`` also has those known columns (appended
    after its last column, header styled like its last header, when missing). The batch
    converter's consolidated workbook uses it to add ``来源文件``."""
    from perfsheet.core.sheets import column_def

    out = spec.model_copy(deep=True)
    for name, keys in extra.items():
        sheet = out.sheets[name]
        have = {c.key for c in sheet.columns}
        last = sheet.columns[-1] if sheet.columns else None
        for key in keys:
            if key in have:
                continue
            index = max((c.index for c in sheet.columns), default=-1) + 1
            sheet.columns.append(
                ColumnSpec(
                    index=index,
                    header=key,
                    key=key,
                    width=column_def(name, key).width,
                    header_style=dict(last.header_style) if last else {},
                )
            )
            have.add(key)
        for cf in sheet.conditional:
            cf.last_col = max(cf.last_col, max(c.index for c in sheet.columns))
    return out


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """``{来源文件}`` etc. in title-row text -> values (unknown names stay as written)."""
    return re.sub(r"\{([^{}]+)\}", lambda m: values.get(m.group(1), m.group(0)), text)
