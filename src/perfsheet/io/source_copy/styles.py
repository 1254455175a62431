"""The output's ``styles.xml`` (:class:`_Styles`): the user's styles first and unchanged, then
the standard sheets' as one block, then the styles the copy derives (helper cells, marks)."""

from __future__ import annotations

import re
from typing import Any

from perfsheet.core.annotations import ERROR_FILL, HELPER_FILL
from perfsheet.io.source_copy.markup import (
    _ATTRS,
    SourceCopyError,
    _children,
    _element,
    _esc_attr,
    _get,
    _prefix_of,
    _prefixed,
    _set,
)

_SECTIONS = (
    ("numFmts", "numFmt"),
    ("fonts", "font"),
    ("fills", "fill"),
    ("borders", "border"),
    ("cellStyleXfs", "xf"),
    ("cellXfs", "xf"),
    ("cellStyles", "cellStyle"),
    ("dxfs", "dxf"),
)
_LATER = ("tableStyles", "colors", "extLst")
_FIRST_CUSTOM_NUMFMT = 164
_THIN = '<border><left style="thin"><color rgb="FFA6A6A6"/></left><right style="thin"><color rgb="FFA6A6A6"/></right><top style="thin"><color rgb="FFA6A6A6"/></top><bottom style="thin"><color rgb="FFA6A6A6"/></bottom><diagonal/></border>'  # noqa: E501


def _solid(rgb: str) -> str:
    return (
        f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/>'
        '<bgColor indexed="64"/></patternFill></fill>'
    )


def _shift(xml: str, shifts: dict[str, Any]) -> str:
    """``xml`` with the listed integer attributes mapped (``{"fontId": f}``)."""
    names = "|".join(shifts)

    def sub(m: re.Match[str]) -> str:
        return f' {m.group(1)}="{shifts[m.group(1)](int(m.group(2)))}"'

    return re.sub(rf'\s({names})="(\d+)"', sub, xml)


class _Styles:
    """The output's styles.xml: the user's, then the standard sheets' (one block, at known
    offsets: :attr:`xf_offset`, :attr:`dxf_offset`), then the styles the source copy derives
    (helper cells, marks), deduplicated against the user's own — so that a summary of a summary
    finds its derived styles already there and writes the sheet as it was."""

    def __init__(self, user_xml: str) -> None:
        self.xml = user_xml
        self.p = p = _prefix_of(user_xml, "styleSheet")
        self.user = {sec: self._list(user_xml, p, sec, tag) for sec, tag in _SECTIONS}
        user_ids = set()
        codes: dict[str, int] = {}
        for nf in self.user["numFmts"]:
            i, code = _get(nf, "numFmtId"), _get(nf, "formatCode")
            if i is not None and i.isdigit():
                user_ids.add(int(i))
                if code is not None:
                    codes.setdefault(code, int(i))
        self._numfmt_codes = codes
        self._next_numfmt = max([_FIRST_CUSTOM_NUMFMT - 1, *user_ids]) + 1
        #: where the standard sheets' cell formats and differential styles start
        self.xf_offset = len(self.user["cellXfs"])
        self.dxf_offset = len(self.user["dxfs"])
        self.added: dict[str, list[str]] = {sec: [] for sec, _ in _SECTIONS}
        self._index: dict[str, dict[str, int]] = {}
        self._mark: dict[int, int] = {}
        self._unfill: dict[int, int] = {}
        self._header: dict[int, int] = {}
        self._value: dict[tuple[int, int | None, bool], int] = {}
        self._error_fills = {
            i
            for i, f in enumerate(self.user["fills"])
            if re.search(rf'<{p}fgColor\b[^>]*\srgb="[0-9A-Fa-f]{{2}}{ERROR_FILL}"', f, re.I)
        }

    def add_standard(self, std_xml: str) -> None:
        """Append the standard sheets' styles (XlsxWriter's styles.xml) as one block: their
        cell formats at :attr:`xf_offset`, differential styles at :attr:`dxf_offset`, fonts,
        fills, borders and cell-style formats after the user's, custom number formats renumbered
        above the user's (or the user's own id for the same code)."""
        counts = {sec: len(items) for sec, items in self.user.items()}
        n_font, n_fill, n_border = counts["fonts"], counts["fills"], counts["borders"]
        n_csx = counts["cellStyleXfs"]
        std = {sec: self._list(std_xml, "", sec, tag) for sec, tag in _SECTIONS}
        numfmt_map: dict[int, int] = {}
        for nf in std["numFmts"]:
            i, code = _get(nf, "numFmtId"), _get(nf, "formatCode")
            if i is None or not i.isdigit() or code is None:
                continue
            numfmt_map[int(i)] = self._numfmt(code, self.added)

        def nf_id(v: int) -> int:
            return numfmt_map.get(v, v)

        xf_shifts = {
            "numFmtId": nf_id,
            "fontId": lambda v: v + n_font,
            "fillId": lambda v: v + n_fill,
            "borderId": lambda v: v + n_border,
            "xfId": lambda v: v + n_csx,
        }
        csx_shifts = {k: f for k, f in xf_shifts.items() if k != "xfId"}
        block: dict[str, list[str]] = {
            "fonts": std["fonts"],
            "fills": std["fills"],
            "borders": std["borders"],
            "cellStyleXfs": [_shift(x, csx_shifts) for x in std["cellStyleXfs"]],
            "cellXfs": [_shift(x, xf_shifts) for x in std["cellXfs"]],
            "dxfs": [_shift(x, {"numFmtId": nf_id}) for x in std["dxfs"]],
            "cellStyles": [],
        }
        names = {_get(cs, "name") for cs in self.user["cellStyles"]}
        builtins = {_get(cs, "builtinId") for cs in self.user["cellStyles"]} - {None}
        for cs in std["cellStyles"]:
            if _get(cs, "name") in names or _get(cs, "builtinId") in builtins:
                continue  # the user's Normal (and other built-in styles) stay the ones
            block["cellStyles"].append(_shift(cs, {"xfId": lambda v: v + n_csx}))
        for sec, items in block.items():
            self.added[sec] += [_prefixed(x, self.p) for x in items]
        # what the source copy derives next is deduplicated against everything before it
        for sec in ("fills", "borders", "cellXfs"):
            index: dict[str, int] = {}
            for i, x in enumerate(self.user[sec] + self.added[sec]):
                index.setdefault(x, i)
            self._index[sec] = index

    @staticmethod
    def _list(xml: str, p: str, sec: str, tag: str) -> list[str]:
        span = _element(xml, p, sec)
        if span is None or span.empty:
            return []
        return _children(xml[span.open_end : span.close_start], p, tag)

    def _numfmt(self, code: str, added: dict[str, list[str]]) -> int:
        """The id of number format ``code``: the user's own, or a new one appended."""
        known = self._numfmt_codes.get(code)
        if known is not None:
            return known
        i = self._next_numfmt
        self._next_numfmt += 1
        self._numfmt_codes[code] = i
        item = f'<numFmt numFmtId="{i}" formatCode="{_esc_attr(code)}"/>'
        added["numFmts"].append(_prefixed(item, self.p))
        return i

    def _add(self, sec: str, xml: str) -> int:
        index = self._index[sec]
        i = index.get(xml)
        if i is None:
            self.added[sec].append(xml)
            i = index[xml] = len(self.user[sec]) + len(self.added[sec]) - 1
        return i

    def _xf(self, s: int) -> str:
        xfs = self.user["cellXfs"]
        if 0 <= s < len(xfs):
            return xfs[s]
        if xfs:
            return xfs[0]
        return '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'

    def _derive(self, s: int, **attrs: str) -> int:
        xf = self._xf(s)
        m = re.match(rf"<{self.p}xf\b{_ATTRS}\s*/?>", xf)
        if m is None:
            raise SourceCopyError("单元格样式无法解析")
        tag = m.group(0)
        for k, v in attrs.items():
            tag = _set(tag, k, v)
        return self._add("cellXfs", tag + xf[m.end() :])

    def _filled(self, s: int, rgb: str, memo: dict[int, int]) -> int:
        out = memo.get(s)
        if out is None:
            fill = self._add("fills", _prefixed(_solid(rgb), self.p))
            out = memo[s] = self._derive(s, fillId=str(fill), applyFill="1")
        return out

    def mark(self, s: int) -> int:
        """Cell format ``s`` with the red error fill."""
        return self._filled(s, ERROR_FILL, self._mark)

    def has_error_fill(self, s: int) -> bool:
        fill = _get(self._xf(s), "fillId")
        return fill is not None and fill.isdigit() and int(fill) in self._error_fills

    def unfill(self, s: int) -> int:
        """Cell format ``s`` without a fill (a mark of an earlier run that no longer stands)."""
        out = self._unfill.get(s)
        if out is None:
            out = self._unfill[s] = self._derive(s, fillId="0")
        return out

    def header(self, s: int) -> int:
        """A helper header: the table's header format ``s`` with the helper fill."""
        return self._filled(s, HELPER_FILL, self._header)

    def font(self, s: int) -> int:
        f = _get(self._xf(s), "fontId") if s else None
        return int(f) if f is not None and f.isdigit() else 0

    def value(self, font: int, number_format: str | None, wrap: bool) -> int:
        """A helper value: thin grey borders, top-aligned, the row's font, the column's format."""
        key = (font, None if number_format is None else self._numfmt_id(number_format), wrap)
        out = self._value.get(key)
        if out is None:
            border = self._add("borders", _prefixed(_THIN, self.p))
            nf = key[1] or 0
            wrap_attr = ' wrapText="1"' if wrap else ""
            apply_nf = ' applyNumberFormat="1"' if nf else ""
            xf = (
                f'<xf numFmtId="{nf}" fontId="{font}" fillId="0" borderId="{border}" xfId="0"'
                f'{apply_nf} applyFont="1" applyBorder="1" applyAlignment="1">'
                f'<alignment vertical="top"{wrap_attr}/></xf>'
            )
            out = self._value[key] = self._add("cellXfs", _prefixed(xf, self.p))
        return out

    def _numfmt_id(self, code: str) -> int:
        return self._numfmt(code, self.added)

    def render(self) -> str:
        """styles.xml: the user's with every list appended to (counts updated)."""
        xml, p = self.xml, self.p
        for sec, _tag in reversed(_SECTIONS):
            items = self.added[sec]
            if not items:
                continue
            body = "".join(items)
            span = _element(xml, p, sec)
            count = len(self.user[sec]) + len(items)
            if span is None:
                at = self._insert_at(xml, sec)
                xml = f'{xml[:at]}<{p}{sec} count="{count}">{body}</{p}{sec}>{xml[at:]}'
                continue
            tag = xml[span.start : span.open_end]
            if span.empty:
                tag = tag[:-2].rstrip() + ">"
                inner_end, close = span.end, f"</{p}{sec}>"
            else:
                inner_end, close = span.close_start, ""
            if _get(tag, "count") is not None:
                tag = _set(tag, "count", str(count))
            xml = (
                xml[: span.start]
                + tag
                + xml[span.open_end : inner_end]
                + body
                + close
                + xml[inner_end:]
            )
        return xml

    def _insert_at(self, xml: str, sec: str) -> int:
        names = [s for s, _ in _SECTIONS]
        for later in (*names[names.index(sec) + 1 :], *_LATER):
            span = _element(xml, self.p, later)
            if span is not None:
                return span.start
        end = xml.rfind(f"</{self.p}styleSheet>")
        if end < 0:
            raise SourceCopyError("样式部件不完整")
        return end
