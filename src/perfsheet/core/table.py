"""From a sheet grid to the table model: header, title block, row roles, page-break fragments.

``build_tables(wb)`` examines every sheet, finds the 绩效目标表 on it (sheets without one are
skipped), and returns one :class:`~perfsheet.core.models.Table` per table found, with the
page-break fragments merged into their projects, the indicators parsed and the findings of the
money and indicator checks (:mod:`perfsheet.core.checks`).

Decisions (see also README «JSON 格式»):

- **Header** = the first row (scanning from the top) whose cells name, by synonym and in any
  order, the project-name column, at least one amount column and the 绩效目标 or 绩效指标 column.
  A second header row is used when it adds columns (``资金来源`` merged over 财政拨款 /
  财政专户拨款 / 其他资金). Merged header cells apply to every column they span. Other named
  columns are kept as extra columns by header text. Rows repeating the header (PDF page tops)
  are skipped.
- **Title block** (rows above the header): the title (the text with 绩效目标表, else 表, else
  the first text), the department (``部门名称：``, ``部门：``, ``预算单位：``…) and the amount
  unit (``单位：万元``, ``金额单位：元``…, or ``（万元）`` in a header text).
- **Row roles**: the grand total (``合计``/``总计`` in the name column); unit rows (a name and
  amounts, no 绩效目标/绩效指标, followed by a project); project rows (a name and text); and
  fragments (no name, no amounts, only text). Without unit rows, all projects form one unit
  whose ``name`` and ``row`` are null.
- **Fragments** are placed by the text at each junction (see :func:`_continuation`), joined
  without inserting any character, and reported (``fragment-merged`` info, or
  ``fragment-orphan`` error when no neighbour fits: never dropped).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from perfsheet import limits
from perfsheet.core import checks
from perfsheet.core.amounts import Amount, parse_amount, special_amount
from perfsheet.core.grid import CellValue, SheetGrid, WorkbookGrid, cell_ref, col_letter
from perfsheet.core.indicators import parse_indicators
from perfsheet.core.models import (
    Amounts,
    Finding,
    GrandTotal,
    Indicator,
    Project,
    Table,
    Unit,
    share_fields_set,
)
from perfsheet.errors import InputError, TableNotFoundError

AMOUNT_ROLES = ("total", "fiscal", "special", "other")
TEXT_ROLES = ("goal", "indicators")
ROLE_LABELS = {
    "name": "项目名称",
    "total": "总计",
    "fiscal": "财政拨款",
    "special": "财政专户拨款",
    "other": "其他资金",
    "goal": "绩效目标",
    "indicators": "绩效指标",
}

#: How many rows from the top are searched for the header.
HEADER_SCAN_ROWS = 200

# --------------------------------------------------------------------------------------------
# text helpers

_WS = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9:]*(?:\s[^<>]*)?/?\s*>")
_EDGE_TAGS_END = re.compile(r"(?:\s|<\s*/?\s*[a-zA-Z][a-zA-Z0-9:]*(?:\s[^<>]*)?/?\s*>)+\Z")
_EDGE_TAGS_START = re.compile(r"\A(?:\s|<\s*/?\s*[a-zA-Z][a-zA-Z0-9:]*(?:\s[^<>]*)?/?\s*>)+")
_PARENS = str.maketrans({"（": "(", "）": ")", "：": ":", "【": "[", "】": "]"})
_UNIT_IN_HEADER = re.compile(r"[(\[](?:单位:)?(亿元|万元|千元|元)[)\]]")
_AMOUNT_UNIT = re.compile(r"(?:金额|货币|计量)?单位\s*[:：]?\s*[(（]?\s*(亿元|万元|千元|元)")
_UNIT_ANNOTATION = re.compile(
    r"[(（]?\s*(?:金额|货币|计量)?单位\s*[:：]?\s*[(（]?\s*(?:亿元|万元|千元|元)\s*[)）]?"
)
_DEPARTMENT = re.compile(
    r"(部门名称|预算部门名称|预算部门|主管部门|预算单位名称|预算单位|填报单位|编制单位|单位名称|部门)"
    r"\s*[:：]\s*(?P<value>.*)"
)
_VALUE_END = re.compile(r"\s{2,}|[(（]?\s*(?:金额|货币)?单位\s*[:：]|\t")
_NOTE_ROW = re.compile(
    r"^(?:注|说明|备注|填表说明|填报说明)\s*[:：\d、.]|^第\s*\d+\s*页|^共\s*\d+\s*页"
    r"|^[-－—]\s*\d+\s*[-－—]$|^\d+\s*/\s*\d+$"
)
_GRAND_NAMES = frozenset({"合计", "总计", "合计数", "总合计", "全部合计", "合计金额", "总计金额"})
_SUBTOTAL_NAMES = frozenset({"小计", "本页小计", "本页合计", "分页小计", "分页合计", "本页总计"})
_PROJECT_SUFFIX = re.compile(r"(?:经费|资金|项目|费|补助|补贴|工程|专项|资助|奖励|支出)$")


def _text(value: CellValue) -> str:
    """A cell as text ('' for None)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _plain(s: str) -> str:
    """Text without HTML tags and without any whitespace (for emptiness and matching)."""
    if "<" in s:
        s = _TAG.sub("", s)
    return _WS.sub("", s)


def _header_key(value: CellValue) -> str:
    """Header text normalized for synonym matching."""
    return _plain(_text(value)).translate(_PARENS).strip("*※:")


def _display(value: CellValue) -> str:
    """Header or name text for display: whitespace runs collapsed, no line breaks."""
    s = _text(value)
    if "<" in s:
        s = _TAG.sub("", s)
    return _WS.sub(" ", s.replace("\r", "").replace("\n", "")).strip()


def _name_text(value: CellValue) -> str:
    """A project/unit name: line breaks (wrapped PDF text) removed, outer spaces stripped."""
    return _display(value)


# --------------------------------------------------------------------------------------------
# header detection


def header_role(value: CellValue) -> tuple[str, int] | None:
    """The role of a header text and a rank (higher wins when two columns claim a role)."""
    k = _UNIT_IN_HEADER.sub("", _header_key(value))
    if not k:
        return None
    if "项目" in k and "名称" in k:
        return ("name", 3)
    if k in ("资金使用单位", "单位名称", "项目", "项目(资金使用单位)", "项目单位"):
        return ("name", 1)
    if "财政专户" in k:
        return ("special", 2)
    if "财政拨款" in k or k in ("财政资金", "其中:财政资金", "财政"):
        return ("fiscal", 2)
    if k.startswith(("其他资金", "其它资金", "其中:其他资金", "其中:其它资金")) or k in (
        "其他",
        "其它",
        "其他收入",
    ):
        return ("other", 2)
    if k in ("总计", "合计", "金额合计", "资金合计", "总额", "资金总额", "项目资金总额", "预算总额",
             "年度资金总额", "总金额", "预算金额", "项目总预算", "预算数"):  # fmt: skip
        return ("total", 2)
    if k.startswith(("总计", "合计")):
        return ("total", 1)
    if "绩效指标" in k or k in ("指标", "指标内容", "绩效指标值", "年度绩效指标"):
        return ("indicators", 2)
    if "绩效目标" in k or k in ("年度目标", "项目目标", "目标", "总体目标"):
        return ("goal", 2)
    return None


def _roles(texts: dict[int, CellValue]) -> dict[str, int]:
    """Role -> column for one header (column -> header text)."""
    best: dict[str, tuple[int, int]] = {}
    for col in sorted(texts):
        hit = header_role(texts[col])
        if hit is None:
            continue
        role, rank = hit
        if role not in best or rank > best[role][0]:
            best[role] = (rank, col)
    return {role: col for role, (_, col) in best.items()}


def _valid(roles: dict[str, int]) -> bool:
    return (
        "name" in roles
        and any(r in roles for r in AMOUNT_ROLES)
        and any(r in roles for r in TEXT_ROLES)
    )


class _Sheet:
    """A sheet grid with merged ranges resolved on demand."""

    def __init__(self, grid: SheetGrid) -> None:
        self.grid = grid
        self.n_rows = grid.origin_row + grid.n_rows - 1
        self.n_cols = grid.origin_col + grid.n_cols - 1
        self._anchor: dict[tuple[int, int], tuple[int, int]] = {}
        # Merges are clipped to the cells that hold data; the cells resolved in total are
        # bounded (overlapping or absurd merges in a hostile file cannot blow up memory/time).
        budget = min(max(self.n_rows, 0) * max(self.n_cols, 0), limits.MAX_MERGED_CELLS)
        for m in grid.merged:
            last_row, last_col = min(m.last_row, self.n_rows), min(m.last_col, self.n_cols)
            area = (last_row - m.first_row + 1) * (last_col - m.first_col + 1)
            if area <= 1 or area > 100_000 or area > budget:
                continue  # absurd merges are not resolved (the anchor value stays where it is)
            budget -= area
            for r in range(m.first_row, last_row + 1):
                for c in range(m.first_col, last_col + 1):
                    if (r, c) != (m.first_row, m.first_col):
                        self._anchor[(r, c)] = (m.first_row, m.first_col)

    def value(self, row: int, col: int) -> CellValue:
        return self.grid.value(row, col)

    def resolved(self, row: int, col: int) -> CellValue:
        """The value shown at (row, col): a merged range's value applies to all its cells."""
        anchor = self._anchor.get((row, col))
        return self.grid.value(*anchor) if anchor else self.grid.value(row, col)

    def anchor_of(self, row: int, col: int) -> tuple[int, int] | None:
        return self._anchor.get((row, col))

    def row_texts(self, row: int, resolved: bool = True) -> dict[int, CellValue]:
        get = self.resolved if resolved else self.value
        out: dict[int, CellValue] = {}
        for col in range(1, self.n_cols + 1):
            v = get(row, col)
            if v is not None and _plain(_text(v)):
                out[col] = v
        return out


@dataclass
class _Header:
    rows: list[int]
    roles: dict[str, int]
    texts: dict[int, CellValue]  # column -> header text (bottom-most meaningful text)
    extras: dict[str, int]  # header text -> column
    keys: dict[int, set[str]]  # column -> normalized texts seen in the header rows
    unit_in_header: str | None


def _find_header(sh: _Sheet) -> _Header | None:
    last = min(sh.n_rows, HEADER_SCAN_ROWS)
    for r in range(1, last + 1):
        top = sh.row_texts(r)
        if len(top) < 2:
            continue
        single = _roles(top)
        rows = [r]
        texts = top
        roles = single
        # a second header row only extends a first row that is a header itself
        if r + 1 <= sh.n_rows and "name" in single:
            below = sh.row_texts(r + 1)
            combined = dict(top)
            for col, v in below.items():
                if _header_key(v) != _header_key(top.get(col)):
                    combined[col] = v
            two = _roles(combined)
            if _valid(two) and len(two) > len(single) and set(single) <= set(two):
                rows, texts, roles = [r, r + 1], combined, two
        if not _valid(roles):
            continue
        keys: dict[int, set[str]] = {}
        for hr in rows:
            for col, v in sh.row_texts(hr).items():
                keys.setdefault(col, set()).add(_header_key(v))
        unit = None
        for v in texts.values():
            m = _UNIT_IN_HEADER.search(_header_key(v)) or _AMOUNT_UNIT.search(_plain(_text(v)))
            if m:
                unit = m.group(1)
                break
        role_cols = set(roles.values())
        extras: dict[str, int] = {}
        for col in sorted(texts):
            if col in role_cols:
                continue
            label = _display(texts[col])
            if not label or _AMOUNT_UNIT.fullmatch(_plain(label)):
                continue
            if label in extras:
                label = f"{label}({col_letter(col)})"
            extras[label] = col
        return _Header(rows, roles, texts, extras, keys, unit)
    return None


# --------------------------------------------------------------------------------------------
# title block


@dataclass
class _TitleBlock:
    title: str | None = None
    department: str | None = None
    amount_unit: str | None = None


def _title_block(sh: _Sheet, header_row: int) -> _TitleBlock:
    out = _TitleBlock()
    plain_texts: list[str] = []
    for r in range(1, header_row):
        cells = sh.row_texts(r, resolved=False)
        cols = sorted(cells)
        for i, col in enumerate(cols):
            raw = _display(cells[col])
            if not raw:
                continue
            is_meta = False
            m_unit = _AMOUNT_UNIT.search(raw)
            if m_unit:
                if out.amount_unit is None:
                    out.amount_unit = m_unit.group(1)
                raw = _UNIT_ANNOTATION.sub(" ", raw).strip()  # 项目支出绩效目标表（单位：万元）
                is_meta = len(_plain(raw)) < 2
            m_dep = _DEPARTMENT.search(raw)
            if m_dep:
                is_meta = True
                value = _VALUE_END.split(m_dep.group("value"), maxsplit=1)[0].strip()
                if not value and i + 1 < len(cols):
                    value = _display(cells[cols[i + 1]])
                    if _AMOUNT_UNIT.search(value):
                        value = ""
                if value and out.department is None:
                    out.department = value
            if not is_meta:
                plain_texts.append(raw)
    department = out.department
    candidates = [t for t in plain_texts if t != department]
    for test in (lambda t: "绩效目标表" in t, lambda t: "表" in t, lambda t: True):
        hit = next((t for t in candidates if test(t)), None)
        if hit:
            out.title = hit
            break
    return out


# --------------------------------------------------------------------------------------------
# rows


@dataclass(slots=True)
class _Row:
    row: int
    kind: str  # "grand" | "project" | "cand" | "frag" | "unit"
    name: str
    amounts: dict[str, Amount]
    texts: dict[str, str]  # text role or extra header -> raw text (non-blank only)
    extra: dict[str, CellValue]

    @property
    def has_amounts(self) -> bool:
        return any(not a.is_blank for a in self.amounts.values())


def _text_cols(header: _Header) -> dict[str, int]:
    cols = {role: header.roles[role] for role in TEXT_ROLES if role in header.roles}
    cols.update(header.extras)
    return cols


def _amount(sh: _Sheet, row: int, col: int) -> Amount:
    value = sh.value(row, col)
    if value is None and (row, col) in sh.grid.special:
        return special_amount(sh.grid.special[(row, col)])
    return parse_amount(value)


def _read_row(sh: _Sheet, header: _Header, r: int) -> _Row | None:
    """One data row, or None when it is blank or repeats the header."""
    roles = header.roles
    cells: dict[int, CellValue] = {}
    for col in list(roles.values()) + list(header.extras.values()):
        v = sh.value(r, col)
        if v is not None and (not isinstance(v, str) or _plain(v)):
            cells[col] = v
    special = sh.grid.special
    if not cells and not (
        special and any((r, roles[role]) in special for role in AMOUNT_ROLES if role in roles)
    ):
        return None
    # a repeated header (page top of a PDF conversion)
    if len(cells) >= 2 and all(
        _header_key(v) in header.keys.get(col, ()) for col, v in cells.items()
    ):
        return None
    name = _name_text(cells.get(roles["name"]))
    amounts = {role: _amount(sh, r, roles[role]) for role in AMOUNT_ROLES if role in roles}
    texts: dict[str, str] = {}
    for role in TEXT_ROLES:
        if role in roles and roles[role] in cells:
            texts[role] = _text(cells[roles[role]])
    extra: dict[str, CellValue] = {}
    for label, col in header.extras.items():
        v = sh.value(r, col)
        extra[label] = v
        if v is not None and _plain(_text(v)):
            texts[label] = _text(v)
    has_amounts = any(not a.is_blank for a in amounts.values())
    has_goal_or_ind = any(role in texts for role in TEXT_ROLES)
    if not has_amounts and len(cells) == 1:
        (only,) = cells.values()
        if _NOTE_ROW.match(_plain(_text(only))):
            return None  # a note under the table or a page number
    if name:
        if _plain(name) in _GRAND_NAMES:
            kind = "grand"
        elif _plain(name) in _SUBTOTAL_NAMES:
            kind = "subtotal"
        elif not has_amounts and not has_goal_or_ind and _NOTE_ROW.match(_plain(name)):
            return None
        elif has_goal_or_ind:
            kind = "project"
        else:
            kind = "cand"
    elif has_amounts:
        kind = "project"  # a project row without a name (reported)
    else:
        kind = "frag"
    return _Row(r, kind, name, amounts, texts, extra)


# --------------------------------------------------------------------------------------------
# fragments


_MARK_START = re.compile(r"(\d{1,3})\s*、")
_MARK_ANY = re.compile(r"(?<!\d)(\d{1,3})\s*、")
_TERMINAL = "。.!！?？"
_MID_ITEM_START = re.compile(
    r"^(?:年度指标值|实施周期指标值|指标值|[；;：:，,、。]|\d{1,2}\s*-\s*[\u4e00-\u9fff])"
)


def _edge_end(s: str) -> str:
    return _EDGE_TAGS_END.sub("", s)


def _edge_start(s: str) -> str:
    return _EDGE_TAGS_START.sub("", s)


def join_text(first: str, second: str) -> str:
    """Join two pieces of one cell split at a page break, inserting nothing.

    Whitespace and HTML wrapper tags at the junction are artefacts of the split (``…效益指</p>``
    + ``<p>标…``) and are removed; every other character is kept in order.
    """
    if not first:
        return second
    if not second:
        return first
    return _edge_end(first) + _edge_start(second)


def _continuation(role: str, before: str, after: str) -> int:
    """Evidence that ``after`` continues the cell text ``before`` (> 0) or starts anew (< 0).

    Signals (``role`` is ``"indicators"`` for the 绩效指标 column, which always starts with
    ``1、``; other text columns are free text):

    - numbering: ``after`` starts with ``N、`` where N follows the last ``N、`` of ``before``
      (+3); ``after`` restarts at ``1、`` (-3);
    - ``before`` ends without a terminal ``。``/``.``/``！``/``？`` (+2), or with one (-1);
    - a number cut in half: ``before`` ends with a digit, ``after`` starts with one (+2);
    - indicators only: ``after`` starts without any item number (+1), or with a field label /
      separator / category code (``年度指标值``, ``；``, ``22-社会效益``) (+2); the last item of
      ``before`` has no ``指标值`` yet (+1).
    """
    a = _plain(_edge_end(before))
    b = _plain(_edge_start(after))
    if not a or not b:
        return 0
    score = 0
    m = _MARK_START.match(b)
    b_mark = int(m.group(1)) if m else None
    marks = _MARK_ANY.findall(a)
    a_last = int(marks[-1]) if marks else None
    if b_mark == 1:
        score -= 3
    elif b_mark is not None and a_last is not None and b_mark == a_last + 1:
        score += 3
    elif b_mark is None and role == "indicators":
        score += 1
        if _MID_ITEM_START.match(b):
            score += 2
    if a[-1] in _TERMINAL:
        score -= 1
    else:
        score += 2
    if (a[-1].isdigit() or a[-1] == ".") and b[0].isdigit():
        score += 2
    if role == "indicators" and b_mark != 1:
        last_item = a[a.rfind("、") + 1 :] if "、" in a else a
        if "指标值" not in last_item:
            score += 1
    return score


def _junction(a: _Row, b: _Row, roles: Iterable[str]) -> int:
    return sum(
        _continuation("indicators" if role == "indicators" else "text", a.texts.get(role, ""),
                      b.texts.get(role, ""))
        for role in roles
    )  # fmt: skip


@dataclass
class _Placement:
    tails: dict[int, list[_Row]] = field(default_factory=dict)  # project row -> fragments
    heads: dict[int, list[_Row]] = field(default_factory=dict)
    orphans: list[_Row] = field(default_factory=list)


def _in_name_merge(sh: _Sheet, name_col: int, project: _Row, frag: _Row) -> bool:
    return sh.anchor_of(frag.row, name_col) == (project.row, name_col)


def _place_fragments(
    records: list[_Row], sh: _Sheet, header: _Header, roles: list[str]
) -> _Placement:
    out = _Placement()
    i = 0
    name_col = header.roles["name"]
    while i < len(records):
        if records[i].kind != "frag":
            i += 1
            continue
        j = i
        while j < len(records) and records[j].kind == "frag":
            j += 1
        run = records[i:j]
        prev = records[i - 1] if i > 0 and records[i - 1].kind == "project" else None
        nxt = records[j] if j < len(records) and records[j].kind == "project" else None
        i = j
        chain: list[_Row | None] = [prev, *run, nxt]
        # junction k joins chain[k] and chain[k + 1]
        scores: list[float] = []
        for k in range(len(chain) - 1):
            a, b = chain[k], chain[k + 1]
            if a is None or b is None:
                scores.append(float("-inf"))  # nothing to continue: a forced boundary
            elif prev is not None and b.kind == "frag" and _in_name_merge(sh, name_col, prev, b):
                scores.append(float("inf"))  # the project's name cell is merged over the row
            else:
                scores.append(_junction(a, b, roles))
        if prev is None and nxt is None:
            out.orphans.extend(run)
            continue
        low = min(scores)
        boundaries = [k for k, s in enumerate(scores) if s == low]
        first_b, last_b = boundaries[0], boundaries[-1]
        # fragments before the first candidate boundary can only be tails, those after the
        # last one only heads; between two equally likely boundaries they are undecidable.
        tails: list[_Row] = []
        for k in range(first_b):
            if scores[k] > 0:
                tails.append(run[k])
            else:
                break
        heads: list[_Row] = []
        for k in range(len(scores) - 1, last_b, -1):
            if scores[k] > 0:
                heads.insert(0, run[k - 1])
            else:
                break
        placed = {id(f) for f in tails} | {id(f) for f in heads}
        if tails and prev is not None:
            out.tails.setdefault(prev.row, []).extend(tails)
        if heads and nxt is not None:
            out.heads.setdefault(nxt.row, []).extend(heads)
        out.orphans.extend(f for f in run if id(f) not in placed)
    return out


# --------------------------------------------------------------------------------------------
# units


def _resolve_units(records: list[_Row]) -> None:
    """Decide, for each name-only row ("cand"), whether it is a unit row or a textless project."""
    real = [r for r in records if r.kind not in ("frag", "subtotal")]
    for idx, rec in enumerate(real):
        if rec.kind != "cand":
            continue
        nxt = real[idx + 1] if idx + 1 < len(real) else None
        if nxt is None or nxt.kind != "project":
            rec.kind = "project"
            continue
        if not _PROJECT_SUFFIX.search(rec.name):
            rec.kind = "unit"
            continue
        # a project-like name: a unit only if it is the subtotal of what follows
        following: list[_Row] = []
        for later in real[idx + 1 :]:
            if later.kind not in ("project", "cand"):
                break
            following.append(later)
        rec.kind = "unit" if _is_subtotal(rec, following) else "project"


def _is_subtotal(rec: _Row, rows: list[_Row]) -> bool:
    total = rec.amounts.get("total") or next(iter(rec.amounts.values()), None)
    if total is None or total.value is None:
        return False
    role = next(k for k, v in rec.amounts.items() if v is total)
    acc = 0
    for r in rows:
        v = r.amounts.get(role)
        if v is not None and v.value is not None:
            acc += v.value
        if acc == total.value:
            return True
    return False


# --------------------------------------------------------------------------------------------
# assembling


def _amounts_model(amounts: dict[str, Amount]) -> Amounts:
    return share_fields_set(Amounts(**{role: a.as_float() for role, a in amounts.items()}))


def _first_text_cell(rec: _Row, cols: dict[str, int]) -> str | None:
    for role in ("indicators", "goal", *cols):
        if role in rec.texts and role in cols:
            return cell_ref(rec.row, cols[role])
    return None


def _snippet(rec: _Row, limit: int = 30) -> str:
    text = "".join(_plain(_TAG.sub("", t)) for t in rec.texts.values())
    return text if len(text) <= limit else text[:limit] + "…"


def _special_findings(sh: _Sheet, header: _Header) -> list[Finding]:
    """``cell-error`` for the table's non-amount cells below the header (amount cells become
    ``amount-format`` through :func:`_amount`)."""
    labels = {col: ROLE_LABELS[role] for role, col in header.roles.items()
              if role not in AMOUNT_ROLES}  # fmt: skip
    labels.update({col: label for label, col in header.extras.items()})
    last_header = header.rows[-1]
    return [
        checks.special_cell(sh.grid.name, r, c, labels[c], code)
        for (r, c), code in sorted(sh.grid.special.items())
        if r > last_header and c in labels
    ]


def set_indicators(project: Project, indicators: list[Indicator]) -> None:
    """``project.indicators = indicators`` without pydantic's assignment hook (nothing to
    validate; ``indicators`` is already in the fields set: the model is built with it)."""
    project.__dict__["indicators"] = indicators


@dataclass(eq=False)
class DeferredTable:
    """A table's structure without its 绩效指标 parsed (see :func:`build_deferred`).

    ``table`` has its units, projects (amounts, goal, rows, extra columns) and no findings;
    every project's ``indicators`` is empty until :meth:`complete_project` parses them.
    ``structural`` are the findings that need no parsing (money, amount cells, fragments,
    special cells, unnamed projects, subtotal and duplicate grand-total rows), sorted with
    :func:`~perfsheet.core.checks.sort_findings`. The joined 绩效指标 text of each project is
    kept here (not in the model: it is not part of the JSON contract).
    """

    table: Table
    structural: list[Finding]
    texts: list[str | None]  # joined 绩效指标 text per project, in table order

    def projects(self) -> Iterator[tuple[Unit, Project, str | None]]:
        """(unit, project, joined 绩效指标 text or None) in table order."""
        texts = iter(self.texts)
        for unit in self.table.units:
            for project in unit.projects:
                yield unit, project, next(texts)

    def complete_project(
        self,
        unit: Unit,
        project: Project,
        text: str | None,
        parse: Callable[[str | None], list[Indicator]] = parse_indicators,
    ) -> list[Finding]:
        """Parse the project's 绩效指标 into ``project.indicators``; its indicator-format
        findings (:func:`~perfsheet.core.checks.project_indicator_findings`)."""
        set_indicators(project, parse(text) if text is not None else [])
        return checks.project_indicator_findings(
            self.table.sheet, self.table.columns.get("indicators"), unit.name, project
        )

    def complete(self, parse: Callable[[str | None], list[Indicator]] = parse_indicators) -> Table:
        """The whole table: every project parsed, ``findings`` = structural + indicator-format
        findings in sheet order."""
        found: list[Finding] = []
        for unit, project, text in self.projects():
            found.extend(self.complete_project(unit, project, text, parse))
        self.table.findings = checks.sort_findings(self.structural + found)
        return self.table


def _build_table(sh: _Sheet, header: _Header) -> DeferredTable | None:
    sheet = sh.grid.name
    block = _title_block(sh, header.rows[0])
    records: list[_Row] = []
    for r in range(header.rows[-1] + 1, sh.n_rows + 1):
        rec = _read_row(sh, header, r)
        if rec is not None:
            records.append(rec)
    _resolve_units(records)
    text_cols = _text_cols(header)
    text_roles = list(text_cols)
    placement = _place_fragments(records, sh, header, text_roles)

    findings: list[Finding] = []
    cols_letters = {role: col_letter(col) for role, col in header.roles.items()}
    cols_letters.update({label: col_letter(col) for label, col in header.extras.items()})

    grand: _Row | None = None
    units: list[tuple[_Row | None, list[_Row]]] = []
    current: tuple[_Row | None, list[_Row]] | None = None
    for rec in records:
        if rec.kind == "grand":
            if grand is None:
                grand = rec
            else:
                findings.append(checks.duplicate_grand_total(sheet, rec.row, grand.row, rec.name))
            continue
        if rec.kind == "subtotal":
            findings.append(checks.subtotal_skipped(sheet, rec.row, rec.name))
            continue
        if rec.kind == "unit":
            current = (rec, [])
            units.append(current)
        elif rec.kind == "project":
            if current is None:
                current = (None, [])
                units.append(current)
            current[1].append(rec)

    # money: amount-format notes for every row with amounts
    amount_rows = [r for r in records if r.kind in ("grand", "unit", "project")]
    for rec in amount_rows:
        findings.extend(checks.amount_findings(sheet, rec.row, rec.name, rec.amounts, header.roles))

    # error values / formulas without a stored result in the table's text columns
    if sh.grid.special:
        findings.extend(_special_findings(sh, header))

    # fragments
    for frag in placement.orphans:
        findings.append(
            checks.fragment_orphan(sheet, frag.row, _first_text_cell(frag, text_cols),
                                   _snippet(frag), "\n".join(frag.texts.values()))
        )  # fmt: skip

    unit_models: list[Unit] = []
    texts: list[str | None] = []
    for unit_rec, projs in units:
        project_models: list[Project] = []
        for p in projs:
            heads = placement.heads.get(p.row, [])
            tails = placement.tails.get(p.row, [])
            pieces = [*heads, p, *tails]
            joined: dict[str, str] = {}
            for role in text_roles:
                acc = ""
                for piece in pieces:
                    acc = join_text(acc, piece.texts.get(role, ""))
                if acc:
                    joined[role] = acc
            for frag in heads + tails:
                findings.append(
                    checks.fragment_merged(
                        sheet, frag.row, _first_text_cell(frag, text_cols), p.name, p.row,
                        "head" if any(frag is h for h in heads) else "tail",
                        unit_rec.name if unit_rec else None,
                    )
                )  # fmt: skip
            if not p.name:
                findings.append(checks.unnamed_project(sheet, p.row, cols_letters["name"]))
            extra = dict(p.extra)
            for label in header.extras:  # only where a fragment continues the cell
                if any(label in f.texts for f in heads + tails):
                    extra[label] = joined[label]
            texts.append(joined.get("indicators"))
            project_models.append(
                share_fields_set(
                    Project(
                        name=p.name,
                        row=p.row,
                        rows=sorted(x.row for x in pieces),
                        amounts=_amounts_model(p.amounts),
                        goal=joined.get("goal"),
                        indicators=[],
                        extra=extra,
                    )
                )
            )
        unit_models.append(
            Unit(
                name=unit_rec.name if unit_rec else None,
                row=unit_rec.row if unit_rec else None,
                amounts=_amounts_model(unit_rec.amounts) if unit_rec else None,
                projects=project_models,
            )
        )

    grand_model = (
        GrandTotal(row=grand.row, amounts=_amounts_model(grand.amounts)) if grand else None
    )
    amount_unit = block.amount_unit or header.unit_in_header
    table = Table(
        sheet=sheet,
        title=block.title,
        department=block.department,
        amount_unit=amount_unit,
        header_rows=header.rows,
        columns=cols_letters,
        grand_total=grand_model,
        units=unit_models,
        findings=[],
    )
    money = checks.MoneyRows(
        grand=grand.row if grand else None,
        grand_amounts=grand.amounts if grand else None,
        units=[
            checks.MoneyUnit(
                row=u.row if u else None,
                name=u.name if u else None,
                amounts=u.amounts if u else None,
                projects=[(p.row, p.name, p.amounts) for p in ps],
            )
            for u, ps in units
        ],
    )
    findings.extend(checks.money_findings(sheet, header.roles, money))
    return DeferredTable(table, checks.sort_findings(findings), texts)


def build_tables(wb: WorkbookGrid, sheet: str | None = None) -> list[Table]:
    """Every 绩效目标表 of the workbook (or of ``sheet``), as table models with findings.

    Raises :class:`InputError` when no sheet holds a table (``未找到绩效目标表``) or when
    ``sheet`` is not in the workbook.
    """
    return [d.complete() for d in build_deferred(wb, sheet)]


def build_deferred(wb: WorkbookGrid, sheet: str | None = None) -> list[DeferredTable]:
    """:func:`build_tables` without parsing any 绩效指标 yet (:class:`DeferredTable`): the
    structures hold no reference to ``wb``, whose memory can go before the projects are
    completed one by one. Raises like :func:`build_tables`."""
    grids = wb.sheets
    if sheet is not None:
        grids = [g for g in grids if g.name == sheet]
        if not grids:
            names = "、".join(g.name for g in wb.sheets) or "无"
            raise InputError(wb.path, f"找不到工作表「{sheet}」（现有工作表：{names}）")
    tables: list[DeferredTable] = []
    for grid in grids:
        sh = _Sheet(grid)
        header = _find_header(sh)
        if header is None:
            continue
        table = _build_table(sh, header)
        if table is not None:
            tables.append(table)
    if not tables:
        where = f"工作表「{sheet}」中" if sheet is not None else "任何工作表中都"
        raise TableNotFoundError(
            wb.path,
            f"{where}未找到绩效目标表"
            "（需要含“项目名称”“总计/财政拨款”“绩效目标/绩效指标”等列的表头）",
        )
    return tables
