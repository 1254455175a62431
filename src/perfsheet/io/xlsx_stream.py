"""SpreadsheetML written by us: cell XML rendering, and a minimal streaming .xlsx writer.

Why not XlsxWriter for bulk rows: it spends ~5–10 µs per cell in Python. Two users here:

* the **consolidated workbook** of ``perfsheet convert``: each *worker* renders its rows to cell
  XML once (in parallel, :func:`render_cells`), stores them in its row cache, and the parent
  only numbers the rows and copies bytes (:class:`StreamWorkbook`);
* the **summary workbook**: XlsxWriter still writes everything but the data rows (styles,
  header, total row, chart, print setup…); the data rows are rendered with :func:`cell_xml` and
  spliced into XlsxWriter's package by :mod:`perfsheet.io.xlsx_splice`.

What is written follows ECMA-376 Part 1 (SpreadsheetML) and the package structure Excel itself
produces: ``[Content_Types].xml``, package and workbook relationships, ``docProps/core.xml``,
``xl/workbook.xml`` (sheets, ``_xlnm._FilterDatabase`` names, full recalculation on load),
``xl/styles.xml`` (a fixed set of cell formats, :data:`STYLE_*`), and one worksheet part per
sheet (frozen header row, column widths, inline strings, numbers, booleans, formulas with cached
values, autofilter). Sheet XML is spooled to temporary files while rows arrive and zipped at
:meth:`StreamWorkbook.close`, so memory stays flat.

Text never becomes a formula (it is always an inline string), characters XML 1.0 cannot carry
are written in Excel's ``_xHHHH_`` notation, and cells are capped at Excel's 32,767 characters.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import re
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from perfsheet.core.grid import col_letter as grid_col_letter
from perfsheet.core.grid import quote_sheet
from perfsheet.core.sheets import TOTAL_ROW_LOOK

# Cell formats (indexes into cellXfs of the styles part, :func:`styles_xml`).
STYLE_DEFAULT = 0
STYLE_HEADER = 1
STYLE_AMOUNT = 2
STYLE_RATIO = 3
STYLE_SCORE = 4
STYLE_TOTAL = 5
STYLE_TOTAL_AMOUNT = 6
STYLE_TOTAL_RATIO = 7
STYLE_TOTAL_SCORE = 8
STYLE_WRAP = 9  # top-aligned, wrapping: text and plain numbers

KIND_STYLE = {
    "amount": STYLE_AMOUNT,
    "ratio": STYLE_RATIO,
    "score": STYLE_SCORE,
    "text": STYLE_WRAP,
    "link": STYLE_WRAP,
    "int": STYLE_WRAP,
    "number": STYLE_WRAP,
}
TOTAL_STYLE = {
    STYLE_DEFAULT: STYLE_TOTAL,
    STYLE_AMOUNT: STYLE_TOTAL_AMOUNT,
    STYLE_RATIO: STYLE_TOTAL_RATIO,
    STYLE_SCORE: STYLE_TOTAL_SCORE,
}

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_TEXT = 32_767
ROW_MARK = "\x01"  # stands for the row number in a rendered fragment (never in escaped XML)

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_NUMFMT = 'applyNumberFormat="1"'
_BORDER_NAMES = {
    1: "thin", 2: "medium", 3: "dashed", 4: "dotted", 5: "thick", 6: "double", 7: "hair",
    8: "mediumDashed", 9: "dashDot", 10: "mediumDashDot", 11: "dashDotDot",
    12: "mediumDashDotDot", 13: "slantDashDot",
}  # fmt: skip
_HALIGN = {"left", "center", "right", "fill", "justify", "centerContinuous", "distributed"}
_VALIGN = {"top": "top", "vcenter": "center", "bottom": "bottom", "vjustify": "justify"}

#: The header cells' look when no template style is given (light blue, bold, thin borders).
DEFAULT_HEADER: dict[str, Any] = {
    "bold": True, "bg_color": "#DDEBF7", "border": 1, "valign": "top", "text_wrap": True,
}  # fmt: skip


def _xf(num: int, font: int = 0, fill: int = 0, border: int = 0, extra: str = "") -> str:
    attrs = []
    if num:
        attrs.append(_NUMFMT)
    if font:
        attrs.append('applyFont="1"')
    if fill:
        attrs.append('applyFill="1"')
    if border:
        attrs.append('applyBorder="1"')
    body = " " + " ".join(attrs) if attrs else ""
    if extra:
        return (
            f'<xf numFmtId="{num}" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0"'
            f'{body} applyAlignment="1">{extra}</xf>'
        )
    return (
        f'<xf numFmtId="{num}" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0"{body}/>'
    )


def _rgb(color: str) -> str:
    return "FF" + color.lstrip("#").upper()


def _font(style: dict[str, Any], base: dict[str, Any], bold: bool = False) -> str:
    """A ``<font>`` of an XlsxWriter-style property dict over the default font ``base``."""
    out = ""
    if bold or style.get("bold"):
        out += "<b/>"
    if style.get("italic"):
        out += "<i/>"
    if style.get("font_strikeout"):
        out += "<strike/>"
    if style.get("underline"):
        out += '<u val="double"/>' if style["underline"] in (2, 34) else "<u/>"
    out += f'<sz val="{style.get("font_size") or base.get("font_size") or 11:g}"/>'
    if style.get("font_color"):
        out += f'<color rgb="{_rgb(style["font_color"])}"/>'
    name = str(style.get("font_name") or base.get("font_name") or "Calibri")
    out += f'<name val="{escape_text(name).replace(chr(34), "&quot;")}"/>'
    return f'<font>{out}<family val="2"/></font>'


def _fill(color: object) -> str:
    if not color:
        return '<fill><patternFill patternType="none"/></fill>'
    return (
        f'<fill><patternFill patternType="solid"><fgColor rgb="{_rgb(str(color))}"/>'
        '<bgColor indexed="64"/></patternFill></fill>'
    )


def _border(style: dict[str, Any]) -> str:
    out = ""
    for side in ("left", "right", "top", "bottom"):
        kind = _BORDER_NAMES.get(int(style.get(side, style.get("border", 0)) or 0))
        if kind is None:
            out += f"<{side}/>"
            continue
        color = style.get(f"{side}_color") or style.get("border_color")
        c = f'<color rgb="{_rgb(color)}"/>' if color else '<color auto="1"/>'
        out += f'<{side} style="{kind}">{c}</{side}>'
    return f"<border>{out}<diagonal/></border>"


def _alignment(style: dict[str, Any]) -> str:
    attrs = ""
    if style.get("align") in _HALIGN:
        attrs += f' horizontal="{style["align"]}"'
    if style.get("valign") in _VALIGN:
        attrs += f' vertical="{_VALIGN[style["valign"]]}"'
    if style.get("text_wrap"):
        attrs += ' wrapText="1"'
    if style.get("indent"):
        attrs += f' indent="{int(style["indent"])}"'
    if style.get("rotation"):
        attrs += f' textRotation="{int(style["rotation"])}"'
    if style.get("shrink"):
        attrs += ' shrinkToFit="1"'
    return f"<alignment{attrs}/>" if attrs else ""


#: 校验结果's 级别 colours (text, font, fill), as in the built-in template: differential formats
#: 0..2 of the styles part, applied by :class:`SheetLook` ``level_col``.
LEVEL_COLORS = (
    ("错误", "9C0006", "FFC7CE"),
    ("警告", "9C5700", "FFEB9C"),
    ("提示", "1F4E78", "DDEBF7"),
)


#: number formats Excel knows by id (no ``<numFmt>`` needed)
_BUILTIN_NUMFMTS = {
    "General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10,
}  # fmt: skip
#: the number formats of STYLE_AMOUNT, STYLE_RATIO, STYLE_SCORE when none are given
DEFAULT_FORMATS = {"amount": "#,##0.00", "ratio": "0.0%", "score": "0.0"}


def styles_xml(
    header: dict[str, Any] | None = None,
    font: dict[str, Any] | None = None,
    formats: Mapping[str, str] | None = None,
) -> str:
    """``xl/styles.xml``: the fixed cell formats :data:`STYLE_DEFAULT`… with the header cells
    styled by ``header`` and every cell in the default ``font`` (XlsxWriter-style property
    dicts, as a summary template gives them: ``bold``, ``bg_color``, ``font_color``, borders,
    ``align``…), and the number formats of the ``amount`` / ``ratio`` / ``score`` cells (and
    their totals) from ``formats``; the built-in look when None. Cell indexes do not depend on
    them, so rows rendered earlier (the batch row caches) fit any styles part."""
    head = DEFAULT_HEADER if header is None else header
    wanted = {**DEFAULT_FORMATS, **(formats or {})}
    custom: dict[str, int] = {}
    num: dict[str, int] = {}
    for kind in ("amount", "ratio", "score"):
        code = wanted[kind]
        if code in _BUILTIN_NUMFMTS:
            num[kind] = _BUILTIN_NUMFMTS[code]
        else:
            num[kind] = custom.setdefault(code, 164 + len(custom))
    numfmts = "".join(
        f'<numFmt numFmtId="{i}" formatCode="{escape_text(code).replace(chr(34), "&quot;")}"/>'
        for code, i in custom.items()
    )
    if custom:
        numfmts = f'<numFmts count="{len(custom)}">{numfmts}</numFmts>'
    base = font or {}
    fonts = [_font({}, base), _font({}, base, bold=True), _font(head, base)]
    fill = _fill(head.get("bg_color"))
    # the total rows look as in every output (core.sheets.TOTAL_ROW_LOOK): fill 3, border 2
    total_fill = _fill(TOTAL_ROW_LOOK.get("bg_color"))
    rule = _border({"top": TOTAL_ROW_LOOK.get("top", 0)})
    borders = ["<border><left/><right/><top/><bottom/><diagonal/></border>", _border(head), rule]
    # Number formats: Excel's built-in ids where the format is one (4 is "#,##0.00"), ours
    # from 164.
    # Body cells are top-aligned; text wraps (STYLE_WRAP): a column is as wide as its longest
    # value only up to a cap (see the consolidated workbook), so a longer text takes more
    # lines instead of being cut off. (An explicit style, not cellXfs 0: LibreOffice does not
    # apply the alignment of xf 0 to cells without a style attribute.)
    top, wrap = '<alignment vertical="top"/>', '<alignment vertical="top" wrapText="1"/>'
    xfs = [
        _xf(0),  # STYLE_DEFAULT
        _xf(0, font=2, fill=2, border=1, extra=_alignment(head)),  # STYLE_HEADER
        _xf(num["amount"], extra=top),  # AMOUNT
        _xf(num["ratio"], extra=top),  # RATIO
        _xf(num["score"], extra=top),  # SCORE
        _xf(0, font=1, fill=3, border=2),  # TOTAL
        _xf(num["amount"], font=1, fill=3, border=2),  # TOTAL_AMOUNT
        _xf(num["ratio"], font=1, fill=3, border=2),  # TOTAL_RATIO
        _xf(num["score"], font=1, fill=3, border=2),  # TOTAL_SCORE
        _xf(0, extra=wrap),  # WRAP
    ]
    dxfs = "".join(
        f'<dxf><font><color rgb="FF{fc}"/></font><fill><patternFill>'
        f'<bgColor rgb="FF{bc}"/></patternFill></fill></dxf>'
        for _level, fc, bc in LEVEL_COLORS
    )
    return (
        _DECL + f'<styleSheet xmlns="{_NS}">{numfmts}'
        f'<fonts count="{len(fonts)}">{"".join(fonts)}</fonts>'
        '<fills count="4"><fill><patternFill patternType="none"/></fill>'
        f'<fill><patternFill patternType="gray125"/></fill>{fill}{total_fill}</fills>'
        f'<borders count="{len(borders)}">{"".join(borders)}</borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        f'<dxfs count="{len(LEVEL_COLORS)}">{dxfs}</dxfs>'
        '<tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
        'defaultPivotStyle="PivotStyleLight16"/></styleSheet>'
    )


# --------------------------------------------------------------------------------- cell rendering


@functools.lru_cache(maxsize=1024)
def col_letter(col: int) -> str:
    """0-based column -> Excel letters (0 -> "A", 26 -> "AA"); cached, it is per cell."""
    return grid_col_letter(col + 1)


# Characters XML 1.0 cannot hold (and "_x" that would read as an escape) -> _xHHHH_ notation.
# CR too: XML parsers turn a raw CR into LF.
_BAD = re.compile("[\x00-\x08\x0b-\x0d\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_SURROGATES = re.compile("[\ud800-\udfff]")
# anything escape_text must change; most cells hold none of it
_SPECIAL = re.compile(
    "[&<>\x00-\x08\x0b-\x0d\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)"
)


def _bad(m: re.Match[str]) -> str:
    return f"_x{ord(m.group()):04X}_"


def escape_text(text: str) -> str:
    """Text as the content of an ``<t>`` element."""
    if len(text) > EXCEL_MAX_TEXT:
        text = text[: EXCEL_MAX_TEXT - 1] + "…"
    if _SPECIAL.search(text) is None:
        return text
    # str.replace, not str.translate: translate costs ~60 ns per character on CJK text
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if _SURROGATES.search(text):
        text = _SURROGATES.sub("\ufffd", text)
    return _BAD.sub(_bad, text)


def _number(v: float | int) -> str:
    if isinstance(v, int):
        return str(v)
    r = repr(v)
    return r[:-2] if r.endswith(".0") else r


def text_cell(ref: str, text: str, s: str = "") -> str:
    """An inline-string ``<c>``; ``s`` is the style attribute (``' s="3"'``) or empty."""
    text = escape_text(text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def cell_xml(ref: str, v: Any, s: str = "") -> str:
    """One ``<c>`` element at ``ref`` (``"B7"``); empty string for None or "".

    Text is always an inline string (never a formula), numbers that are not finite become
    ``#NUM!`` (as XlsxWriter's ``nan_inf_to_errors``), dates are written as ISO text.
    """
    t = type(v)
    if t is str:
        return text_cell(ref, v, s) if v else ""
    if v is None:
        return ""
    if t is bool:
        return f'<c r="{ref}"{s} t="b"><v>{int(v)}</v></c>'
    if t is int or t is float or isinstance(v, int | float):
        if isinstance(v, float) and not math.isfinite(v):
            return f'<c r="{ref}"{s} t="e"><v>#NUM!</v></c>'
        return f'<c r="{ref}"{s}><v>{_number(v)}</v></c>'
    if isinstance(v, _dt.datetime | _dt.date):
        return text_cell(ref, v.isoformat(), s)
    return text_cell(ref, str(v), s) if str(v) else ""


# ----------------------------------------------------------------------------------- widths

#: Padding added to a measured width: the cell's inner margins. (Measuring a CJK character
#: as 2 units already errs on the wide side: it is about 1.8 digits wide in 等线 and Calibri.)
WIDTH_PADDING = 1.0


def text_width(text: str) -> float:
    """Display width of ``text`` in Excel column units (the width of a digit): 2 per CJK or
    other wide character, 1 per ASCII character; the longest line of a text with line feeds.

    Computed from the UTF-8 length (C speed: it runs on every cell of a batch): ASCII is one
    byte, CJK three, so ``(characters + bytes) / 2`` is exact for text made of the two and
    errs on the wide side (by half a unit) for accented Latin letters, Cyrillic and emoji."""
    if "\n" in text:
        return max(text_width(line) for line in text.split("\n"))
    return (len(text) + len(text.encode("utf-8", "surrogatepass"))) / 2


#: No column of the consolidated workbook is capped below this width (display units), so a
#: one-line text at most this wide never wraps: the row caches note only wider texts and
#: texts with line feeds (:func:`wrap_info`).
MIN_WRAP_WIDTH = 20.0


def wrap_info(values: Sequence[Any]) -> str:
    """The texts of a row that may take more than one line, for :func:`wrapped_lines`:
    ``"col=w/w,col=w"`` — 0-based column, then the width of each of its lines (one per line
    feed); empty when every cell fits on one line in any column."""
    return measure_row(values)[1]


def parse_wrap_info(info: str) -> dict[int, list[float]]:
    """:func:`wrap_info` read back: column -> widths of its lines."""
    out: dict[int, list[float]] = {}
    for item in info.split(","):
        if item:
            col, _, lines = item.partition("=")
            out[int(col)] = [float(w) for w in lines.split("/")]
    return out


def wrapped_lines(line_widths: Sequence[float], column_width: float) -> int:
    """How many lines text with these line widths takes in a column ``column_width`` wide
    when it wraps. The cell keeps :data:`WIDTH_PADDING` free; a line that fits stays one
    line, a longer one fills lines of whole CJK characters (2 units each)."""
    room = max(2.0, column_width - WIDTH_PADDING)
    full = 2 * (room // 2)
    return sum(1 if w <= room else math.ceil(w / full) for w in line_widths)


# how the built-in number formats (core.sheets.KIND_FORMATS) show a number, for widths
_NUMBER_TEXT = {
    STYLE_AMOUNT: "{:,.2f}",
    STYLE_RATIO: "{:.1%}",
    STYLE_SCORE: "{:.0f}",
    STYLE_TOTAL_AMOUNT: "{:,.2f}",
    STYLE_TOTAL_RATIO: "{:.1%}",
    STYLE_TOTAL_SCORE: "{:.0f}",
}


def value_width(v: Any, style: int = STYLE_DEFAULT) -> float:
    """Display width of a cell value as shown with the number format of ``style``."""
    if isinstance(v, str):
        return text_width(v)
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return 5.0  # TRUE / FALSE
    if isinstance(v, int | float):
        if not math.isfinite(v):
            return 5.0
        fmt = _NUMBER_TEXT.get(style)
        if fmt is not None:
            return float(len(fmt.format(v)))
        return float(min(len(_number(v)), 11))  # General shows at most 11 characters
    return text_width(str(v))


def measure_row(values: Sequence[Any], styles: Sequence[int] = ()) -> tuple[dict[int, float], str]:
    """The display width of each non-empty cell of a row (0-based column -> width,
    :func:`value_width`), and its :func:`wrap_info`. One pass: it runs on every row of a
    batch, in the workers."""
    n_styles = len(styles)
    widths: dict[int, float] = {}
    wrap: list[str] = []
    for c, v in enumerate(values):
        if type(v) is str:
            if not v:
                continue
            if "\n" in v:
                lines = [text_width(line) for line in v.split("\n")]
                w = max(lines)
                wrap.append(f"{c}=" + "/".join(f"{x:g}" for x in lines))
            else:
                w = (len(v) + len(v.encode("utf-8", "surrogatepass"))) / 2
                if w > MIN_WRAP_WIDTH:
                    wrap.append(f"{c}={w:g}")
            widths[c] = w
        elif v is not None:
            widths[c] = value_width(v, styles[c] if c < n_styles else STYLE_DEFAULT)
    return widths, ",".join(wrap)


def render_cell(col: int, v: Any, style: int = STYLE_DEFAULT, row: str = ROW_MARK) -> str:
    """One ``<c>`` element in column ``col`` (0-based); empty string for an empty value."""
    if isinstance(v, float) and not math.isfinite(v):
        v = str(v)  # the consolidated workbook keeps what the row cache held, as text
    return cell_xml(f"{col_letter(col)}{row}", v, f' s="{style}"' if style else "")


def render_cells(values: Sequence[Any], styles: Sequence[int] = ()) -> str:
    """The cells of one row, with :data:`ROW_MARK` where the row number goes."""
    out = []
    n_styles = len(styles)
    for c, v in enumerate(values):
        if v is None or v == "":
            continue
        out.append(render_cell(c, v, styles[c] if c < n_styles else STYLE_DEFAULT))
    return "".join(out)


def render_formula(col: int, row: int, formula: str, value: Any, style: int) -> str:
    """A formula cell with its cached value (``value`` None -> empty string result)."""
    ref = f"{col_letter(col)}{row}"
    f = escape_text(formula.lstrip("="))
    if value is None:
        return f'<c r="{ref}" s="{style}" t="str"><f>{f}</f><v></v></c>'
    if isinstance(value, str):
        return f'<c r="{ref}" s="{style}" t="str"><f>{f}</f><v>{escape_text(value)}</v></c>'
    return f'<c r="{ref}" s="{style}"><f>{f}</f><v>{_number(value)}</v></c>'


# --------------------------------------------------------------------------------- the workbook


def _attr(text: str) -> str:
    return escape_text(text).replace('"', "&quot;")


@dataclass(slots=True)
class SheetLook:
    """Sheet-level settings beyond the header and widths: what the summary template gives its
    sheets (print setup, tab colour), and the column whose 级别 colours the rows."""

    tab_color: str | None = None  # "#RRGGBB"
    landscape: bool = False
    paper: int | None = None  # 9 = A4
    fit_width: int | None = None  # pages wide (0 = automatic); None = no fit-to-page
    fit_height: int | None = None
    repeat_header: bool = False
    center_horizontally: bool = False
    print_gridlines: bool = False
    margins: dict[str, float] | None = None  # left/right/top/bottom in inches
    print_header: str | None = None  # Excel header/footer codes (&L &C &R &P &N &D &A)
    print_footer: str | None = None
    level_col: int | None = None  # 0-based column holding 错误/警告/提示
    header_height: float | None = None  # points; None = the default row height

    def sheet_pr(self) -> str:
        inner = ""
        if self.tab_color:
            inner += f'<tabColor rgb="FF{self.tab_color.lstrip("#").upper()}"/>'
        if self.fit_width is not None or self.fit_height is not None:
            inner += '<pageSetUpPr fitToPage="1"/>'
        return f"<sheetPr>{inner}</sheetPr>" if inner else ""

    def print_xml(self) -> str:
        """printOptions, pageMargins, pageSetup, headerFooter (in schema order)."""
        opts = ""
        if self.center_horizontally:
            opts += ' horizontalCentered="1"'
        if self.print_gridlines:
            opts += ' gridLines="1"'
        out = f"<printOptions{opts}/>" if opts else ""
        m = {"left": 0.7, "right": 0.7, "top": 0.75, "bottom": 0.75, "header": 0.3, "footer": 0.3}
        m.update(self.margins or {})
        out += "<pageMargins " + " ".join(f'{k}="{v:g}"' for k, v in m.items()) + "/>"
        setup = ""
        if self.paper:
            setup += f' paperSize="{self.paper}"'
        if self.landscape:
            setup += ' orientation="landscape"'
        if self.fit_width is not None or self.fit_height is not None:
            setup += f' fitToWidth="{self.fit_width or 0}" fitToHeight="{self.fit_height or 0}"'
        if setup:
            out += f"<pageSetup{setup}/>"
        hf = ""
        if self.print_header:
            hf += f"<oddHeader>{escape_text(self.print_header)}</oddHeader>"
        if self.print_footer:
            hf += f"<oddFooter>{escape_text(self.print_footer)}</oddFooter>"
        if hf:
            out += f"<headerFooter>{hf}</headerFooter>"
        return out


@dataclass(slots=True)
class StreamSheet:
    name: str
    width: int  # number of columns
    fh: IO[str]
    path: Path
    next_row: int = 1  # 1-based row number of the next row written
    look: SheetLook = field(default_factory=SheetLook)

    def write_fragment(self, fragment: str, height: float | None = None) -> None:
        """One row; ``height`` in points (None: the default height)."""
        n = self.next_row
        ht = f' ht="{height:g}" customHeight="1"' if height else ""
        self.fh.write(f'<row r="{n}"{ht}>{fragment.replace(ROW_MARK, str(n))}</row>')
        self.next_row = n + 1

    def write_values(
        self, values: Sequence[Any], styles: Sequence[int] = (), height: float | None = None
    ) -> None:
        self.write_fragment(render_cells(values, styles), height)

    def write_raw_row(self, cells: str) -> None:
        """A row whose cells already carry their final references."""
        self.fh.write(f'<row r="{self.next_row}">{cells}</row>')
        self.next_row += 1


@dataclass(slots=True)
class StreamWorkbook:
    """Sheets spooled to temporary files, zipped into an .xlsx by :meth:`close`."""

    tmpdir: Path | None = None
    title: str = ""
    styles: str = field(default_factory=styles_xml)  # xl/styles.xml (see styles_xml)
    sheets: list[StreamSheet] = field(default_factory=list)
    _filters: dict[int, str] = field(default_factory=dict)
    _spool: tempfile.TemporaryDirectory[str] | None = None

    def add_sheet(
        self,
        name: str,
        header: Sequence[str],
        widths: Sequence[float | None] = (),
        look: SheetLook | None = None,
    ) -> StreamSheet:
        if self._spool is None:
            if self.tmpdir is not None:
                self.tmpdir.mkdir(parents=True, exist_ok=True)
            self._spool = tempfile.TemporaryDirectory(
                prefix="perfsheet-xlsx-", dir=str(self.tmpdir) if self.tmpdir else None
            )
        index = len(self.sheets) + 1
        path = Path(self._spool.name) / f"sheet{index}.xml"
        fh = open(path, "w", encoding="utf-8", newline="", buffering=1 << 18)  # noqa: SIM115
        cols = "".join(
            f'<col min="{c + 1}" max="{c + 1}" width="{(w or 14) + 0.7109375:.7g}" '
            'customWidth="1"/>'
            for c, w in enumerate(list(widths) + [None] * (len(header) - len(widths)))
        )
        selected = ' tabSelected="1"' if index == 1 else ""
        look = look or SheetLook()
        fh.write(
            f'{_DECL}<worksheet xmlns="{_NS}" xmlns:r="{_NS_R}">{look.sheet_pr()}<sheetViews>'
            f'<sheetView{selected} workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            f"{'<cols>' + cols + '</cols>' if cols else ''}<sheetData>"
        )
        sheet = StreamSheet(name=name, width=max(1, len(header)), fh=fh, path=path, look=look)
        cells = render_cells(list(header), [STYLE_HEADER] * len(header)).replace(ROW_MARK, "1")
        height = f' ht="{look.header_height:g}" customHeight="1"' if look.header_height else ""
        fh.write(f'<row r="1"{height}>{cells}</row>')
        sheet.next_row = 2
        self.sheets.append(sheet)
        return sheet

    def _finish_sheet(self, i: int, sheet: StreamSheet) -> None:
        last_row = sheet.next_row - 1
        tail = "</sheetData>"
        look = sheet.look
        if last_row >= 2:
            ref = f"A1:{col_letter(sheet.width - 1)}{last_row}"
            tail += f'<autoFilter ref="{ref}"/>'
            abs_ref = f"$A$1:${col_letter(sheet.width - 1)}${last_row}"
            self._filters[i] = f"{_attr(quote_sheet(sheet.name, always=True))}!{abs_ref}"
            if look.level_col is not None:
                col = col_letter(look.level_col)
                rules = "".join(
                    f'<cfRule type="expression" dxfId="{k}" priority="{k + 1}">'
                    f"<formula>${col}2=&quot;{level}&quot;</formula></cfRule>"
                    for k, (level, _font, _fill) in enumerate(LEVEL_COLORS)
                )
                area = f"A2:{col_letter(sheet.width - 1)}{last_row}"
                tail += f'<conditionalFormatting sqref="{area}">{rules}</conditionalFormatting>'
        tail += look.print_xml() + "</worksheet>"
        sheet.fh.write(tail)
        sheet.fh.close()

    def close(self, path: Path, *, compresslevel: int = 1) -> None:
        """Finish every sheet and write the package to ``path``."""
        try:
            for i, sheet in enumerate(self.sheets):
                self._finish_sheet(i, sheet)
            with zipfile.ZipFile(
                path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel, allowZip64=True
            ) as zf:
                n = len(self.sheets)
                zf.writestr("[Content_Types].xml", self._content_types(n))
                zf.writestr("_rels/.rels", self._root_rels())
                zf.writestr("docProps/core.xml", self._core())
                zf.writestr("xl/workbook.xml", self._workbook())
                zf.writestr("xl/_rels/workbook.xml.rels", self._workbook_rels(n))
                zf.writestr("xl/styles.xml", self.styles)
                for i, sheet in enumerate(self.sheets, start=1):
                    zf.write(sheet.path, f"xl/worksheets/sheet{i}.xml")
        finally:
            self.discard()

    def discard(self) -> None:
        for sheet in self.sheets:
            if not sheet.fh.closed:
                sheet.fh.close()
        if self._spool is not None:
            self._spool.cleanup()
            self._spool = None

    # -- package parts
    @staticmethod
    def _content_types(n: int) -> str:
        sheet_ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        parts = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_ct}"/>'
            for i in range(1, n + 1)
        )
        return (
            _DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{parts}</Types>"
        )

    @staticmethod
    def _root_rels() -> str:
        od = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
        core = (
            "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
        )
        return (
            f'{_DECL}<Relationships xmlns="{_NS_PKG}">'
            f'<Relationship Id="rId1" Type="{od}" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{core}" Target="docProps/core.xml"/>'
            "</Relationships>"
        )

    def _core(self) -> str:
        now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            _DECL + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{escape_text(self.title)}</dc:title><dc:creator>perfsheet</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
            "</cp:coreProperties>"
        )

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name="{_attr(s.name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, s in enumerate(self.sheets, start=1)
        )
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">{ref}'
            "</definedName>"
            for i, ref in sorted(self._filters.items())
        )
        names += "".join(
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
            f"{_attr(quote_sheet(s.name, always=True))}!$1:$1</definedName>"
            for i, s in enumerate(self.sheets)
            if s.look.repeat_header
        )
        return (
            f'{_DECL}<workbook xmlns="{_NS}" xmlns:r="{_NS_R}">'
            '<bookViews><workbookView xWindow="240" yWindow="15" windowWidth="16095" '
            'windowHeight="9660"/></bookViews>'
            f"<sheets>{sheets}</sheets>"
            f"{'<definedNames>' + names + '</definedNames>' if names else ''}"
            '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
        )

    def _workbook_rels(self, n: int) -> str:
        ws = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
        st = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{ws}" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        rels += f'<Relationship Id="rId{n + 1}" Type="{st}" Target="styles.xml"/>'
        return f'{_DECL}<Relationships xmlns="{_NS_PKG}">{rels}</Relationships>'
