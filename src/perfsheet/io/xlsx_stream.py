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
``xl/styles.xml`` (the cell formats a :class:`StyleBook` collected, one per distinct look; a
cell names its format by index), and one worksheet part per sheet (frozen header row, column
widths, inline strings, numbers, booleans, formulas with cached values, autofilter). Sheet XML
is spooled to temporary files while rows arrive and zipped at :meth:`StreamWorkbook.close`, so
memory stays flat.

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
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from perfsheet.core.grid import col_letter as grid_col_letter
from perfsheet.core.grid import quote_sheet

STYLE_DEFAULT = 0  # the plain cell (cellXfs 0 of every styles part, :class:`StyleBook`)

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
_NO_FILL = '<fill><patternFill patternType="none"/></fill>'
_GRAY_FILL = '<fill><patternFill patternType="gray125"/></fill>'  # reserved by Excel: fill 1
_HIDDEN = ' hidden="1"'
_NO_BORDER = "<border><left/><right/><top/><bottom/><diagonal/></border>"


class StyleBook:
    """The styles part of a streamed workbook, built from cell looks given as XlsxWriter-style
    property dicts (what a summary template gives: ``bold``, ``font_color``, ``bg_color``,
    borders, ``align``, ``valign``, ``text_wrap``, ``num_format``…) over a default ``font``.

    :meth:`add` returns the cell format index (``s="…"``) of a look, the same index for the
    same look; index 0 is the plain cell. Indexes depend only on the looks added and their
    order, so rows rendered in another process (the batch row caches) fit a book built by
    the same calls. Differential formats 0..2 are 校验结果's 级别 colours (:data:`LEVEL_COLORS`).
    """

    def __init__(self, font: Mapping[str, Any] | None = None) -> None:
        self.font = dict(font or {})
        self._fonts: dict[str, int] = {_font({}, self.font): 0}
        self._fills: dict[str, int] = {_NO_FILL: 0, _GRAY_FILL: 1}
        self._borders: dict[str, int] = {_NO_BORDER: 0}
        self._numfmts: dict[str, int] = {}  # custom format code -> id (from 164)
        self._xfs: dict[str, int] = {_xf(0): 0}
        self._sizes: list[float] = [float(self.font.get("font_size") or 11)]
        self._memo: dict[tuple[tuple[str, Any], ...], int] = {}

    def add(self, style: Mapping[str, Any]) -> int:
        """The cell format index of ``style``."""
        key = tuple(sorted(style.items()))
        index = self._memo.get(key)
        if index is not None:
            return index
        props = dict(style)
        font = self._fonts.setdefault(_font(props, self.font), len(self._fonts))
        fill = self._fills.setdefault(_fill(props.get("bg_color")), len(self._fills))
        border = self._borders.setdefault(_border(props), len(self._borders))
        num = 0
        code = props.get("num_format")
        if code:
            num = _BUILTIN_NUMFMTS.get(str(code), -1)
            if num < 0:
                num = self._numfmts.setdefault(str(code), 164 + len(self._numfmts))
        xf = _xf(num, font, fill, border, _alignment(props))
        index = self._xfs.get(xf)
        if index is None:
            index = self._xfs[xf] = len(self._xfs)
            self._sizes.append(float(props.get("font_size") or self._sizes[0]))
        self._memo[key] = index
        return index

    def font_size(self, index: int) -> float:
        """The font size (points) of the cell format ``index``."""
        return self._sizes[index] if 0 <= index < len(self._sizes) else self._sizes[0]

    def xml(self) -> str:
        """``xl/styles.xml``."""
        numfmts = "".join(
            f'<numFmt numFmtId="{i}" formatCode="{_attr(code)}"/>'
            for code, i in self._numfmts.items()
        )
        if numfmts:
            numfmts = f'<numFmts count="{len(self._numfmts)}">{numfmts}</numFmts>'
        dxfs = "".join(
            f'<dxf><font><color rgb="FF{fc}"/></font><fill><patternFill>'
            f'<bgColor rgb="FF{bc}"/></patternFill></fill></dxf>'
            for _level, fc, bc in LEVEL_COLORS
        )
        return (
            _DECL + f'<styleSheet xmlns="{_NS}">{numfmts}'
            f'<fonts count="{len(self._fonts)}">{"".join(self._fonts)}</fonts>'
            f'<fills count="{len(self._fills)}">{"".join(self._fills)}</fills>'
            f'<borders count="{len(self._borders)}">{"".join(self._borders)}</borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            "</cellStyleXfs>"
            f'<cellXfs count="{len(self._xfs)}">{"".join(self._xfs)}</cellXfs>'
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


#: No fitted column of the consolidated workbook is capped below this width (display units),
#: so a one-line text at most this wide never wraps there: the row caches note only wider
#: texts and texts with line feeds (:func:`wrap_info`; a column given a narrower width by the
#: template notes its own limit, ``wrap_at`` of :func:`measure_row`).
MIN_WRAP_WIDTH = 20.0


def wrap_info(values: Sequence[Any], wrap_at: Sequence[float] = ()) -> str:
    """The texts of a row that may take more than one line, for :func:`wrapped_lines`:
    ``"col=w/w,col=w"`` — 0-based column, then the width of each of its lines (one per line
    feed); empty when every cell fits on one line in any column."""
    return measure_row(values, wrap_at=wrap_at)[1]


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


ShowNumber = Callable[[float], str]

_NUMBER_CODE = re.compile(
    r'"([^"]*)"|\\(.)|(_.)|\*.|\[[^\]]*\]'  # literal, escaped, room for a character, fill, [Red]
    r"|([0#?][0#?,.]*(?:[Ee][+-]?[0#?]+)?|\.[0#?][0#?,]*)"  # the digits
    r"|(.)"
)
_DATE_CODE = re.compile(r"[yYmMdDhHsS]")


def _section(code: str) -> ShowNumber:
    """How one section of a number format shows a non-negative number, near enough to
    measure it: literal text kept, digits as the placeholders ask (decimals, thousands
    separator, ``%``, trailing ``,`` scaling by 1000, scientific)."""
    parts: list[str | None] = []  # literals, None where the number goes
    pattern = ""
    percent = 0
    plain = ""  # the code without literals: is it a date?
    for m in _NUMBER_CODE.finditer(code):
        quoted, escaped, room, digits, other = m.groups()
        if quoted is not None or escaped is not None:
            parts.append(quoted if quoted is not None else escaped)
        elif room is not None:
            parts.append(" ")
        elif digits is not None and not pattern:
            pattern = digits
            parts.append(None)
        elif digits is not None or (other is not None and other != "@"):
            parts.append(m.group())
            percent += m.group() == "%"
            plain += m.group()
    if not pattern:
        text = "".join(p or "" for p in parts)
        return lambda _v: text
    if _DATE_CODE.search(plain):
        return lambda _v: code  # a date or time: about as long as its code
    mantissa = re.split("[Ee]", pattern)[0]
    whole, _, decimals = mantissa.partition(".")
    scale = 100.0**percent / 1000.0 ** (len(whole) - len(whole.rstrip(",")))
    places = sum(c in "0#?" for c in decimals)
    sci = len(mantissa) < len(pattern)
    spec = ("," if "," in whole.rstrip(",") else "") + f".{places}" + ("E" if sci else "f")
    at = parts.index(None)
    before = "".join(p or "" for p in parts[:at])
    after = "".join(p or "" for p in parts[at + 1 :])
    return lambda v: before + format(v * scale, spec) + after


def _split_sections(code: str) -> list[str]:
    out, cur, quoted = [], "", False
    for ch in code:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return [*out, cur]


@functools.lru_cache(maxsize=256)
def number_shower(code: str | None) -> ShowNumber | None:
    """How the number format ``code`` shows a number, for measuring it; None for General
    (and no format). Sections: positive; negative (shown without its minus sign, as Excel
    does when the format has a negative section); zero."""
    if not code or code.strip().lower() == "general":
        return None
    sections = [_section(s) for s in _split_sections(code)[:3]]
    first = sections[0]
    if len(sections) == 1:
        return first
    negative = sections[1]
    zero = sections[2] if len(sections) > 2 else first

    def show(v: float) -> str:
        if v < 0:
            return negative(-v)
        return zero(v) if v == 0 else first(v)

    return show


def value_width(v: Any, num_format: str | None = None) -> float:
    """Display width of a cell value as shown with the number format ``num_format``."""
    if isinstance(v, str):
        return text_width(v)
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return 5.0  # TRUE / FALSE
    if isinstance(v, int | float):
        return _number_width(v, number_shower(num_format))
    return text_width(str(v))


def _number_width(v: float, show: ShowNumber | None) -> float:
    if not math.isfinite(v):
        return 5.0
    if show is not None:
        text = show(v)
        return float(len(text)) if text.isascii() else text_width(text)
    return float(min(len(_number(v)), 11))  # General shows at most 11 characters


def measure_row(
    values: Sequence[Any],
    shows: Sequence[ShowNumber | None] = (),
    wrap_at: Sequence[float] = (),
) -> tuple[dict[int, float], str]:
    """The display width of each non-empty cell of a row (0-based column -> width,
    :func:`value_width`; numbers as ``shows[col]`` shows them, :func:`number_shower`), and
    its :func:`wrap_info`: texts wider than ``wrap_at[col]`` (default
    :data:`MIN_WRAP_WIDTH`) or with line feeds. One pass: it runs on every row of a batch,
    in the workers."""
    n_shows = len(shows)
    n_wrap = len(wrap_at)
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
                if w > (wrap_at[c] if c < n_wrap else MIN_WRAP_WIDTH):
                    wrap.append(f"{c}={w:g}")
            widths[c] = w
        elif v is not None:
            if isinstance(v, int | float) and not isinstance(v, bool):
                widths[c] = _number_width(v, shows[c] if c < n_shows else None)
            else:
                widths[c] = value_width(v)
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
    styles: str = field(default_factory=lambda: StyleBook().xml())  # xl/styles.xml
    sheets: list[StreamSheet] = field(default_factory=list)
    _filters: dict[int, str] = field(default_factory=dict)
    _spool: tempfile.TemporaryDirectory[str] | None = None

    def add_sheet(
        self,
        name: str,
        header: Sequence[str],
        widths: Sequence[float | None] = (),
        look: SheetLook | None = None,
        header_styles: Sequence[int] = (),
        hidden: Collection[int] = (),
    ) -> StreamSheet:
        """A sheet whose first row is ``header`` (cell formats ``header_styles``), with
        column ``widths`` (None: 14) and the ``hidden`` columns (0-based) hidden."""
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
            f'customWidth="1"{_HIDDEN if c in hidden else ""}/>'
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
        cells = render_cells(list(header), header_styles).replace(ROW_MARK, "1")
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
