"""One worksheet copied as a stream with its edits: what changes in it (:class:`_SheetEdit`:
helper cells, marks, widths, notes, selection) and the writer that applies them chunk by chunk
(:class:`_SheetWriter`); :func:`_selected` tells a sheet that was selected when saved."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import IO, Any

from perfsheet.core.annotations import AnnotationPlan
from perfsheet.core.grid import cell_ref, col_number
from perfsheet.io.source_copy.markup import (
    _ATTRS,
    SourceCopyError,
    _drop,
    _element,
    _get,
    _rc,
    _rel_id,
    _set,
    _text,
    _top_level,
)
from perfsheet.io.source_copy.notes import _Notes
from perfsheet.io.source_copy.package import _OFFICE_REL, _Package, _SheetRef
from perfsheet.io.source_copy.styles import _Styles
from perfsheet.io.xlsx_stream import escape_text

_CHUNK = 1 << 20
_HEAD_LIMIT = 16 << 20  # bytes of a worksheet before <sheetData>: more is not a real sheet


@dataclass(slots=True)
class _Helper:
    value: Any
    header: bool  # styled like the table's header cell (else a helper value)
    src_col: int  # the table's last column: its cell gives the header style / the row's font
    number_format: str | None
    wrap: bool


@dataclass
class _SheetEdit:
    """What changes in one worksheet: combined over the annotation plans of its tables."""

    ref: _SheetRef
    untick: bool = False
    plans: list[AnnotationPlan] = field(default_factory=list)
    helpers: dict[int, dict[int, _Helper]] = field(default_factory=dict)
    marks: dict[int, set[int]] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    notes: _Notes | None = None
    vml_rid: str | None = None  # the relationship of a new VML drawing
    notes_rid: str | None = None  # the relationship of a new comments part

    def add_plan(self, plan: AnnotationPlan) -> None:
        self.plans.append(plan)
        n = len(plan.headers)
        edge = plan.table_last_col
        formats = list(plan.number_formats) + [None] * n
        src = _rc(plan.header_style_from)
        header_src = src[1] if src is not None and src[0] == plan.header_row else 0
        row = self.helpers.setdefault(plan.header_row, {})
        for i, h in enumerate(plan.headers):
            row[plan.start_col + i] = _Helper(h, True, header_src, None, False)
        for r, vals in plan.values.items():
            row = self.helpers.setdefault(r, {})
            for i, v in enumerate(vals):
                row[plan.start_col + i] = _Helper(v, False, edge, formats[i], i == n - 1)
        for m in plan.marks:
            self.marks.setdefault(m.row, set()).add(m.col)
        for i in range(n):
            self.widths[plan.start_col + i] = 30 if i == n - 1 else 8

    def clears(self, r: int) -> set[int]:
        out: set[int] = set()
        for plan in self.plans:
            r1, r2 = plan.clear_rows
            if r1 <= r <= r2:
                out.update(plan.clear_columns)
        return out

    def unfills(self) -> dict[int, set[int]]:
        out: dict[int, set[int]] = {}
        if self.notes is not None:
            for r, c in self.notes.removed:
                out.setdefault(r, set()).add(c)
        return out


_CELL_REF = re.compile(rb'\sr="([A-Za-z]{1,3})(\d+)"')
_S_ATTR = re.compile(rb'\ss="(\d+)"')


class _SheetWriter:
    """Stream one worksheet part from ``src`` to ``dst`` with the edits applied."""

    def __init__(self, edit: _SheetEdit, styles: _Styles, src: IO[bytes], dst: Any) -> None:
        self.edit, self.styles, self.src, self.dst = edit, styles, src, dst
        self.buf = b""
        self.eof = False
        self.col_styles: list[tuple[int, int, int]] = []
        self.pending: list[int] = []  # rows to create (helper cells or marks, no row yet)
        self.next_pending = 0
        self.unfill: dict[int, set[int]] = {}
        self.p = ""
        self.root_tag: str | None = None
        self.cell_re: re.Pattern[bytes] | None = None

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.src.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def run(self) -> str | None:
        """Write the part; returns the relationship id of its ``<legacyDrawing>`` (or None)."""
        edit = self.edit
        while True:
            m = re.search(rb"<([\w.-]+:)?sheetData\b[^>]*?(/?)>", self.buf)
            if m is not None:
                break
            if len(self.buf) > _HEAD_LIMIT or not self._fill():
                raise SourceCopyError("工作表缺少 sheetData")
        p = (m.group(1) or b"").decode("ascii")
        self.p = p
        self.pending = sorted(set(edit.helpers) | set(edit.marks))
        self.unfill = edit.unfills()
        head = _text(self.buf[: m.start()], "工作表")
        head = self._head(head, p)
        self.dst.write(head.encode("utf-8"))
        if not edit.plans:  # only the selection changes: the rest as it is
            self.dst.write(self.buf[m.start() :])
            while self._fill():
                self.dst.write(self.buf)
                self.buf = b""
            return None
        if m.group(2):  # <sheetData/>
            self.dst.write(f"<{p}sheetData>".encode())
            self.buf = self.buf[m.end() :]
            self._rows_done(0)
            self.dst.write(f"</{p}sheetData>".encode())
        else:
            self.dst.write(self.buf[m.start() : m.end()])
            self.buf = self.buf[m.end() :]
            self._rows()
        while self._fill():
            pass
        tail = _text(self.buf, "工作表")
        tail, rid = self._tail(tail, p)
        self.dst.write(tail.encode("utf-8"))
        return rid

    # -- head: selection, columns, dimension -------------------------------------------------

    def _head(self, head: str, p: str) -> str:
        edit = self.edit
        root = re.search(rf"<{p}worksheet\b{_ATTRS}\s*>", head)
        if root is None:
            raise SourceCopyError("不是工作表部件")
        self.root_tag = root.group(0)
        views = _element(head, p, "sheetViews")
        if views is not None and edit.untick:
            inner = re.sub(
                rf"<{p}sheetView\b{_ATTRS}\s*/?>",
                lambda m: _drop(m.group(0), "tabSelected"),
                head[views.open_end : views.close_start],
            )
            head = head[: views.open_end] + inner + head[views.close_start :]
        if not edit.plans:
            return head
        cols = _element(head, p, "cols")
        parsed: list[tuple[int, int, str]] = []
        if cols is not None and not cols.empty:
            for c in re.findall(
                rf"<{p}col\b{_ATTRS}\s*/?>", head[cols.open_end : cols.close_start]
            ):
                lo, hi = _get(c, "min"), _get(c, "max")
                if lo is None or hi is None or not lo.isdigit() or not hi.isdigit():
                    raise SourceCopyError("列宽无法解析")
                parsed.append((int(lo), int(hi), c))
                style = _get(c, "style")
                if style is not None and style.isdigit():
                    self.col_styles.append((int(lo), int(hi), int(style)))
        new_cols = self._cols(parsed, p)
        if cols is not None:
            head = head[: cols.start] + new_cols + head[cols.end :]
        else:
            head = head + new_cols  # <cols> comes right before <sheetData>
        dim = _element(head, p, "dimension")
        if dim is not None:
            ref = _get(head[dim.start : dim.open_end], "ref") or "A1"
            first, _, last = ref.partition(":")
            a, b = _rc(first), _rc(last or first)
            if a is not None and b is not None:
                rows = [*self.edit.helpers, *self.edit.marks]
                cols_used = [c for row in self.edit.helpers.values() for c in row]
                cols_used += [c for row in self.edit.marks.values() for c in row]
                r1, c1 = min(a[0], *rows), min(a[1], *cols_used)
                r2, c2 = max(b[0], *rows), max(b[1], *cols_used)
                tag = _set(
                    head[dim.start : dim.open_end], "ref", f"{cell_ref(r1, c1)}:{cell_ref(r2, c2)}"
                )
                head = head[: dim.start] + tag + head[dim.open_end :]
        return head

    def _cols(self, parsed: list[tuple[int, int, str]], p: str) -> str:
        """``<cols>`` with the helper columns' widths (a range over them is split)."""
        widths = self.edit.widths
        out: list[tuple[int, str]] = []
        covered: set[int] = set()
        for lo, hi, tag in parsed:
            inside = sorted(c for c in widths if lo <= c <= hi)
            if not inside:
                out.append((lo, tag))
                continue
            start = lo
            for c in inside:
                covered.add(c)
                if start < c:
                    out.append((start, _set(_set(tag, "min", str(start)), "max", str(c - 1))))
                w = widths[c]
                one = _set(_set(tag, "min", str(c)), "max", str(c))
                if _get(one, "width") != f"{w:g}" or _get(one, "customWidth") not in ("1", "true"):
                    one = _set(_set(one, "width", f"{w:g}"), "customWidth", "1")
                out.append((c, one))
                start = c + 1
            if start <= hi:
                out.append((start, _set(_set(tag, "min", str(start)), "max", str(hi))))
        for c, w in widths.items():
            if c not in covered:
                out.append((c, f'<{p}col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'))
        out.sort(key=lambda x: x[0])
        return f"<{p}cols>" + "".join(t for _, t in out) + f"</{p}cols>"

    def _col_style(self, c: int) -> int:
        for lo, hi, s in self.col_styles:
            if lo <= c <= hi:
                return s
        return 0

    # -- rows ---------------------------------------------------------------------------------

    def _rows(self) -> None:
        p = self.p.encode("ascii")
        row_start = re.compile(rb"<" + re.escape(p) + rb"row\b")
        end_tag = b"</" + p + b"sheetData>"
        # (a row's or a cell's attributes are numbers and names: never a ">")
        row_re = re.compile(
            rb"<" + re.escape(p) + rb"row\b[^>]*?(?:/>|>.*?</" + re.escape(p) + rb"row>)", re.S
        )
        last = 0
        pos = 0
        out: list[bytes] = []
        size = 0
        end_at = self.buf.find(end_tag)  # searched again only when the buffer changes
        while True:
            m = row_start.search(self.buf, pos)
            e = end_at if end_at >= pos else -1
            if e >= 0 and (m is None or e < m.start()):
                out.append(self.buf[pos:e])
                self._flush(out)
                self._rows_done(last)
                self.dst.write(end_tag)
                self.buf = self.buf[e + len(end_tag) :]
                return
            if m is None:
                keep = max(pos, len(self.buf) - len(end_tag))
                out.append(self.buf[pos:keep])
                self.buf, pos = self.buf[keep:], 0
                self._flush(out)
                if not self._fill():
                    raise SourceCopyError("工作表不完整")
                end_at = self.buf.find(end_tag)
                continue
            row = row_re.match(self.buf, m.start())
            if row is None:  # the row goes on in the next chunk
                out.append(self.buf[pos : m.start()])
                self.buf, pos = self.buf[m.start() :], 0
                self._flush(out)
                if not self._fill():
                    raise SourceCopyError("工作表不完整")
                end_at = self.buf.find(end_tag)
                continue
            out.append(self.buf[pos : m.start()])
            xml = row.group(0)
            tag_end = xml.index(b">") + 1
            r_attr = re.search(rb'\sr="(\d+)"', xml[:tag_end])
            r = int(r_attr.group(1)) if r_attr else last + 1
            if r <= last:
                raise SourceCopyError("工作表的行顺序不对")
            pending, k = self.pending, self.next_pending
            while k < len(pending) and pending[k] < r:
                out.append(self._new_row(pending[k]))
                k += 1
            if k < len(pending) and pending[k] == r:
                k += 1
            self.next_pending = k
            if (
                r in self.edit.helpers
                or r in self.edit.marks
                or r in self.unfill
                or self.edit.clears(r)
            ):
                xml = self._row(xml, tag_end, r, r_attr is None)
            out.append(xml)
            last = r
            pos = row.end()
            size += len(xml)
            if size > _CHUNK:
                self.buf, pos = self.buf[pos:], 0
                end_at = self.buf.find(end_tag)
                self._flush(out)
                size = 0

    def _flush(self, out: list[bytes]) -> None:
        if out:
            self.dst.write(b"".join(out))
            out.clear()

    def _rows_done(self, last: int) -> None:
        rows = [self._new_row(r) for r in self.pending[self.next_pending :] if r > last]
        self.next_pending = len(self.pending)
        if rows:
            self.dst.write(b"".join(rows))

    def _new_row(self, r: int) -> bytes:
        p = self.p
        return self._row(f'<{p}row r="{r}"/>'.encode(), len(f'<{p}row r="{r}"/>'), r, False)

    def _row(self, xml: bytes, tag_end: int, r: int, add_r: bool) -> bytes:
        p = self.p.encode("ascii")
        styles = self.styles
        tag = xml[:tag_end].decode("utf-8")
        body = b"" if tag.endswith("/>") else xml[tag_end : len(xml) - len(b"</" + p + b"row>")]
        cell_re = self.cell_re
        if cell_re is None:
            cell_re = self.cell_re = re.compile(
                rb"<" + re.escape(p) + rb"c\b[^>]*?(?:/>|>.*?</" + re.escape(p) + rb"c>)", re.S
            )
        cells: list[tuple[int, bytes]] = []
        s_of: dict[int, int] = {}
        col = 0
        pos = 0
        named = True
        for m in cell_re.finditer(body):
            if m.start() != pos and body[pos : m.start()].strip():
                raise SourceCopyError("工作表的行无法解析")
            pos = m.end()
            c = m.group(0)
            end = c.index(b">")
            ref = _CELL_REF.search(c, 0, end)
            if ref is None:
                named = False
                col += 1
            else:
                col = col_number(ref.group(1).decode("ascii"))
                if int(ref.group(2)) != r:
                    raise SourceCopyError("单元格不在所在行")
            s = _S_ATTR.search(c, 0, end)
            s_of[col] = int(s.group(1)) if s else 0
            cells.append((col, c))
        if pos != len(body) and body[pos:].strip():
            raise SourceCopyError("工作表的行无法解析")
        helpers = self.edit.helpers.get(r, {})
        marks = self.edit.marks.get(r, set())
        clears = self.edit.clears(r)
        unfill = self.unfill.get(r, set())
        out: list[tuple[int, bytes]] = []
        for col, c in cells:
            if col in helpers or col in clears:
                continue
            if not named:
                c = _with_ref(c, cell_ref(r, col))
            if col in marks:
                c = _with_s(c, styles.mark(s_of[col]))
            elif col in unfill and styles.has_error_fill(s_of[col]):
                c = _with_s(c, styles.unfill(s_of[col]))
            out.append((col, c))
        row_s = _get(tag, "s") if _get(tag, "customFormat") in ("1", "true") else None
        for col in marks:  # a marked cell the row does not have: styled as the row or column
            if col in s_of or col in helpers:
                continue
            base = int(row_s) if row_s is not None and row_s.isdigit() else self._col_style(col)
            ref = cell_ref(r, col)
            out.append((col, f'<{self.p}c r="{ref}" s="{styles.mark(base)}"/>'.encode()))
        for col, h in helpers.items():
            src = s_of.get(h.src_col, 0)
            if h.header:
                s = styles.header(src)
            else:
                s = styles.value(styles.font(src), h.number_format, h.wrap)
            out.append((col, _cell(self.p, cell_ref(r, col), h.value, s)))
        out.sort(key=lambda x: x[0])
        if add_r:
            tag = _set(tag, "r", str(r))
        spans = _get(tag, "spans")
        if spans is not None and out:
            lo, _, hi = spans.partition(":")
            if lo.isdigit() and hi.isdigit():
                top = max(int(hi), out[-1][0])
                tag = _set(tag, "spans", f"{lo}:{top}")
            else:
                tag = _drop(tag, "spans")
        if tag.endswith("/>"):
            tag = tag[:-2].rstrip() + ">"
        return tag.encode("utf-8") + b"".join(c for _, c in out) + b"</" + p + b"row>"

    # -- tail: the notes' drawing ---------------------------------------------------------------

    def _tail(self, tail: str, p: str) -> tuple[str, str | None]:
        close = tail.rfind(f"</{p}worksheet>")
        if close < 0:
            raise SourceCopyError("工作表不完整")
        found = None
        for name, start, end in _top_level(tail, 0, close):
            if name == "legacyDrawing":
                found = _rel_id(tail[start:end])
        if found is not None or self.edit.vml_rid is None:
            return tail, found
        at = close
        for name, start, _end in _top_level(tail, 0, close):
            if name in (
                "legacyDrawingHF",
                "drawingHF",
                "picture",
                "oleObjects",
                "controls",
                "webPublishItems",
                "tableParts",
                "extLst",
            ):
                at = start
                break
        rp = re.search(rf'xmlns:([\w.-]+)\s*=\s*"{re.escape(_OFFICE_REL)}"', self.root_tag or "")
        if rp is not None:
            el = f'<{p}legacyDrawing {rp.group(1)}:id="{self.edit.vml_rid}"/>'
        else:
            el = f'<{p}legacyDrawing xmlns:r="{_OFFICE_REL}" r:id="{self.edit.vml_rid}"/>'
        return tail[:at] + el + tail[at:], None


def _with_s(cell: bytes, s: int) -> bytes:
    end = cell.index(b">")
    start_tag = cell[:end]
    new = f' s="{s}"'.encode()
    if _S_ATTR.search(start_tag):
        start_tag = _S_ATTR.sub(new, start_tag, count=1)
    else:
        start_tag = start_tag[:-1] + new + b"/" if start_tag.endswith(b"/") else start_tag + new
    return start_tag + cell[end:]


def _with_ref(cell: bytes, ref: str) -> bytes:
    m = re.match(rb"<[\w.:-]+", cell)
    assert m is not None
    return cell[: m.end()] + f' r="{ref}"'.encode() + cell[m.end() :]


def _cell(p: str, ref: str, value: Any, s: int) -> bytes:
    if value is None or value == "":
        return f'<{p}c r="{ref}" s="{s}"/>'.encode()
    if isinstance(value, bool):
        return f'<{p}c r="{ref}" s="{s}" t="b"><{p}v>{int(value)}</{p}v></{p}c>'.encode()
    if isinstance(value, int | float):
        text = repr(value) if isinstance(value, float) else str(value)
        if text.endswith(".0"):
            text = text[:-2]
        if text in ("nan", "inf", "-inf"):
            return f'<{p}c r="{ref}" s="{s}" t="e"><{p}v>#NUM!</{p}v></{p}c>'.encode()
        return f'<{p}c r="{ref}" s="{s}"><{p}v>{text}</{p}v></{p}c>'.encode()
    text = escape_text(str(value))
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return (
        f'<{p}c r="{ref}" s="{s}" t="inlineStr"><{p}is><{p}t{space}>{text}</{p}t></{p}is></{p}c>'
    ).encode()


def _selected(pkg: _Package, part: str) -> bool:
    """Whether a sheet part was selected when saved (``tabSelected`` in its sheet views; read
    from the start of the part only)."""
    head = b""
    try:
        with pkg.z.open(part) as fh:
            while len(head) < _HEAD_LIMIT:
                chunk = fh.read(1 << 16)
                if not chunk:
                    break
                head += chunk
                if re.search(rb"</(?:[\w.-]+:)?sheetViews>|<(?:[\w.-]+:)?sheetData\b", head):
                    break
    except Exception as err:
        raise SourceCopyError(f"无法读取部件 {part}") from err
    views = re.search(rb"<(?:[\w.-]+:)?sheetViews\b.*?(?:</(?:[\w.-]+:)?sheetViews>|$)", head, re.S)
    return (
        views is not None
        and re.search(rb'\stabSelected\s*=\s*["\'](?:1|true)["\']', views.group(0)) is not None
    )
