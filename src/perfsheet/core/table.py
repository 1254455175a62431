"""From a sheet grid to the table model: header, title block, row roles, page-break fragments.

``build_tables(wb)`` examines every sheet, finds the 绩效目标表 on it (sheets without one are
skipped), and returns one :class:`~perfsheet.core.models.Table` per table found, with the
page-break fragments merged into their projects, the indicators parsed and the findings of the
money and indicator checks (:mod:`perfsheet.core.checks`).

Decisions (see also docs/json.md):

- **Header** = the first row (scanning from the top) whose cells name, by synonym and in any
  order, the project-name column, at least one amount column and the 绩效目标 or 绩效指标 column.
  A second header row is used when it adds columns (``资金来源`` merged over 财政拨款 /
  财政专户拨款 / 其他资金). Merged header cells apply to every column they span. Other named
  columns are kept as extra columns by header text. Rows repeating the header (PDF page tops)
  are skipped, and so are page furniture rows (page numbers, print stamps, the title or
  ``单位：万元`` repeated at a page top, in any column: :mod:`perfsheet.core.furniture`).
- **Title block** (rows above the header): the title (the text with 绩效目标表, else 表, else
  the first text), the department (``部门名称：``, ``部门：``, ``预算单位：``…) and the amount
  unit (``单位：万元``, ``金额单位：元``…, or ``（万元）`` in a header text). Without a
  department label, the department comes from a 主管部门 column, the title or a 预算单位 column
  (:mod:`perfsheet.core.department`).
- **Unit and department columns** (``预算单位``/``单位名称``…, ``主管部门``/``部门名称``…): each
  project row carries its unit; without unit rows, consecutive projects of one unit form one
  unit (as in a row list). A department column whose values differ groups the projects the
  same way when there is no unit column.
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
from perfsheet.core import checks, headers, rules
from perfsheet.core.amounts import BLANK, Amount, parse_amount, special_amount
from perfsheet.core.department import department_from_title, same_value
from perfsheet.core.furniture import is_furniture_row, is_page_line
from perfsheet.core.grid import CellValue, SheetGrid, cell_ref, col_letter, relabel_findings
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
# a note under the table (page lines: :mod:`perfsheet.core.furniture`)
_NOTE_ROW = re.compile(r"^(?:注|说明|备注|填表说明|填报说明)\s*[:：\d、.]")
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
    """The role of a header text in a packed list and a rank (higher wins when two columns
    claim a role), from the one catalogue (:mod:`perfsheet.core.headers`)."""
    entry = headers.classify(value)
    if entry is None or entry.kind == "other":
        return None
    return (entry.role, entry.rank)


@dataclass
class _Roles:
    """What one header row (or two) names: role -> column, plus the money columns."""

    roles: dict[str, int]  # name, total, fiscal, special, other, goal, indicators, grid roles
    money: dict[str, int]  # money key -> column: a base role, or a header text (sources)
    source_kinds: dict[str, str]  # source header text -> what it was read as (Chinese)
    losers: dict[int, str]  # columns that lost a role to a better one -> the role
    grid: bool  # an indicator grid (一级/二级/三级指标, 指标值) rather than a packed cell
    ours: set[int]  # columns of perfsheet's own target helper block (ignored)


def _roles_of(texts: dict[int, CellValue]) -> _Roles:
    best: dict[str, tuple[int, int]] = {}
    entries: dict[int, headers.HeaderEntry] = {}
    ours = headers.helper_columns(texts)  # 解析指标's target helper columns: not the table's
    for col in sorted(texts):
        if col in ours:
            continue
        entry = headers.classify(texts[col])
        if entry is None:
            continue
        entries[col] = entry
    grid_roles = {e.role for e in entries.values() if e.kind == "grid"}
    grid = bool(grid_roles & {"level1", "level2"}) and bool(
        grid_roles & {"level3", "value", "period_value"}
    )
    for col, entry in entries.items():
        role = entry.role
        if entry.kind == "other":
            continue
        if entry.kind == "grid" and not grid:
            if role in ("level3", "value"):
                role = "indicators"  # 指标 / 指标内容 / 绩效指标值 holding a packed cell
            else:
                continue
        rank = entry.rank if role == entry.role else 1
        if role not in best or rank > best[role][0]:
            best[role] = (rank, col)
    roles = {role: col for role, (_, col) in best.items()}
    losers: dict[int, str] = {}
    money: dict[str, int] = {r: roles[r] for r in headers.MONEY_ROLES if r in roles and
                             r in AMOUNT_ROLES}  # fmt: skip
    kinds: dict[str, str] = {}
    used = set(roles.values())
    for col, entry in entries.items():
        if col in used:
            continue
        if entry.kind == "money" and entry.role != "total":
            label = _display(texts[col]) or col_letter(col)
            if label in money:
                label = f"{label}({col_letter(col)})"
            money[label] = col
            kinds[label] = entry.label
        elif entry.kind in ("name", "money", "text"):
            losers[col] = entry.role
    for role in headers.SOURCE_ROLES:
        if role in roles and role not in AMOUNT_ROLES:
            col = roles.pop(role)
            label = _display(texts[col]) or col_letter(col)
            money[label] = col
            kinds[label] = headers.label_of(role)
    money = dict(sorted(money.items(), key=lambda kv: (kv[0] != "total", kv[1])))
    return _Roles(roles, money, kinds, losers, grid, ours)


def _roles(texts: dict[int, CellValue]) -> dict[str, int]:
    """Role -> column for one header (column -> header text)."""
    r = _roles_of(texts)
    return {**r.roles, **{k: c for k, c in r.money.items() if k in AMOUNT_ROLES}}


def _valid(roles: dict[str, int], money: dict[str, int] | None = None) -> bool:
    if "name" not in roles:
        return False
    if any(r in roles for r in ("level3", "value")) and any(
        r in roles for r in ("level1", "level2")
    ):
        return True  # an indicator grid: amounts are optional
    return bool(money or any(r in roles for r in AMOUNT_ROLES)) and any(
        r in roles for r in TEXT_ROLES
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
    roles: dict[str, int]  # role -> column (money base roles included)
    texts: dict[int, CellValue]  # column -> header text (bottom-most meaningful text)
    extras: dict[str, int]  # header text -> column
    keys: dict[int, set[str]]  # column -> normalized texts seen in the header rows
    unit_in_header: str | None
    money: dict[str, int] = field(default_factory=dict)  # money key -> column (see _Roles)
    source_kinds: dict[str, str] = field(default_factory=dict)
    grid: bool = False
    top: int = 1  # first row of the table's title block
    end: int = 0  # last row of the table (0: the sheet's last row)
    assumed: list[str] = field(default_factory=list)  # numeric columns taken as sources
    unknown: list[str] = field(default_factory=list)  # numeric columns not understood

    @property
    def last_row(self) -> int:
        return self.rows[-1]


#: Data rows looked at to tell a numeric column the catalogue does not name.
_PEEK_ROWS = 40


def _numeric_share(sh: _Sheet, col: int, first: int, last: int) -> float:
    seen = numeric = 0
    for r in range(first, min(last, first + _PEEK_ROWS) + 1):
        v = sh.value(r, col)
        if v is None or (isinstance(v, str) and not _plain(v)):
            continue
        seen += 1
        a = parse_amount(v)
        if a.status in ("number", "text", "dash"):
            numeric += 1
    return numeric / seen if seen else 0.0


def _header_at(sh: _Sheet, r: int) -> _Header | None:
    """The header starting at row ``r`` (one row, or two when the second adds columns)."""
    top = sh.row_texts(r)
    if len(top) < 2:
        return None
    single = _roles_of(top)
    rows = [r]
    texts = top
    found = single
    # a second header row only extends a first row that is a header itself
    if r + 1 <= sh.n_rows and "name" in single.roles:
        below = sh.row_texts(r + 1)
        combined = dict(top)
        for col, v in below.items():
            if _header_key(v) != _header_key(top.get(col)):
                combined[col] = v
        two = _roles_of(combined)
        n1 = len(single.roles) + len(single.money)
        n2 = len(two.roles) + len(two.money)
        if _valid(two.roles, two.money) and n2 > n1 and set(single.roles) <= set(two.roles):
            rows, texts, found = [r, r + 1], combined, two
    if not _valid(found.roles, found.money):
        return None
    roles = {**found.roles, **{k: c for k, c in found.money.items() if k in AMOUNT_ROLES}}
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
    money = dict(found.money)
    kinds = dict(found.source_kinds)
    role_cols = set(roles.values()) | set(money.values())
    extras: dict[str, int] = {}
    assumed: list[str] = []
    unknown: list[str] = []
    money_cols = sorted(money.values())
    for col in sorted(texts):
        if col in role_cols or col in found.ours:
            continue
        label = _display(texts[col])
        if not label or _AMOUNT_UNIT.fullmatch(_plain(label)):
            continue
        if label in extras or label in money:
            label = f"{label}({col_letter(col)})"
        entry = headers.classify(texts[col])
        if (
            (entry is None or col in found.losers)
            and money_cols
            and (_numeric_share(sh, col, rows[-1] + 1, sh.n_rows) >= 0.8)
        ):
            if money_cols[0] - 1 <= col <= money_cols[-1] + 1 and entry is None:
                money[label] = col
                kinds[label] = "未识别"
                assumed.append(label)
                money_cols = sorted(money.values())
                continue
            if entry is None:
                unknown.append(label)
        extras[label] = col
    return _Header(rows, roles, texts, extras, keys, unit, money, kinds, found.grid,
                   assumed=assumed, unknown=unknown)  # fmt: skip


def _find_header(sh: _Sheet, first: int = 1, last: int | None = None) -> _Header | None:
    last = min(sh.n_rows, HEADER_SCAN_ROWS) if last is None else min(last, sh.n_rows)
    for r in range(first, last + 1):
        h = _header_at(sh, r)
        if h is not None:
            return h
    return None


_DIGIT = re.compile(r"\d")


def _maybe_header(sh: _Sheet, h: _Header, r: int) -> bool:
    """Cheap test for a later header row of the same shape: a money cell holding text without a
    digit (a header word), or the name cell naming the name column."""
    for col in h.money.values():
        v = sh.value(r, col)
        if (
            isinstance(v, str)
            and v.strip()
            and not _DIGIT.search(v)
            and v.strip() not in ("-", "—", "－", "--", "——", "/")
        ):
            return True
    if not h.money:
        v = sh.value(r, h.roles["name"])
        if isinstance(v, str) and len(v) <= 30:
            entry = headers.classify(v)
            return entry is not None and entry.role == "name"
    return False


def _title_like(sh: _Sheet, r: int) -> bool:
    cells = sh.row_texts(r, resolved=False)
    if not cells or len(cells) > 3:
        return False
    return all(
        isinstance(v, str)
        and not parse_amount(v).value
        and not _NOTE_ROW.match(_plain(v))
        and not is_page_line(v)
        for v in cells.values()
    )


def _find_headers(sh: _Sheet) -> list[_Header]:
    """Every table header of the sheet, with each table's extent: a second header below the
    first starts a new table when a title block of its own sits above it (another title or
    department); a bare repeat of the header (a page top of a PDF conversion) does not."""
    first = _find_header(sh)
    if first is None:
        return []
    found = [first]
    first_block = _title_block(sh, first.rows[0], first.top)
    r = first.last_row + 1
    while r <= sh.n_rows:
        cur = found[-1]
        if not _maybe_header(sh, cur, r):
            r += 1
            continue
        h = _header_at(sh, r)
        if h is None:
            r += 1
            continue
        top = r
        while top - 1 > cur.last_row and (
            not sh.row_texts(top - 1, resolved=False) or _title_like(sh, top - 1)
        ):
            top -= 1
        while top < r and not sh.row_texts(top, resolved=False):
            top += 1
        block = _title_block(sh, r, top)
        own_title = (block.title is not None and "表" in block.title) or block.department
        if (
            top == r
            or not own_title  # data rows of the table above, not a title block
            or (
                (block.title or None) == first_block.title
                # a page top repeats the title (and 单位：万元), seldom the department line
                and (block.department or None) in (None, first_block.department)
            )
        ):
            r = h.last_row + 1  # the header repeated at a page top: same table
            continue
        h.top = top
        cur.end = top - 1
        found.append(h)
        r = h.last_row + 1
    return found


def unit_columns(header: _Header) -> tuple[int | None, int | None]:
    """(unit column, department column) of a list, each the leftmost of its kind among the
    extra columns left of the money and the indicator grid (a ``单位`` right of them is a
    计量单位): a unit column is 预算单位 / 实施单位 / 单位名称… (a name column that lost the
    project name to 项目名称 included), a department column 主管部门 / 部门名称…"""
    unit = dept = None
    right = [*header.money.values(),
             *(c for r, c in header.roles.items() if r in headers.GRID_ROLES)]  # fmt: skip
    limit = min(right, default=header.roles["name"] + 1_000_000)
    for col in sorted(header.extras.values()):
        if col > limit:
            break
        entry = headers.classify(header.texts.get(col))
        if entry is None:
            continue
        if entry.role in ("unit", "name") and unit is None:
            unit = col
        elif entry.role == "department" and dept is None:
            dept = col
    return unit, dept


# --------------------------------------------------------------------------------------------
# title block


@dataclass
class _TitleBlock:
    title: str | None = None
    department: str | None = None
    amount_unit: str | None = None


def _title_block(sh: _Sheet, header_row: int, top: int = 1) -> _TitleBlock:
    out = _TitleBlock()
    plain_texts: list[str] = []
    for r in range(top, header_row):
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
    if isinstance(value, str) and is_page_line(value):
        return BLANK  # a page number in a money cell (- 2 -) is never an amount
    return parse_amount(value)


def skip_row(values: Iterable[CellValue], title: str | None) -> bool:
    """A data row that is not part of the table: page furniture (every cell a page number, a
    print stamp, ``单位：万元`` or the ``title`` repeated) or a lone note (注：…)."""
    vals = [v for v in values if v is not None and (not isinstance(v, str) or _plain(v))]
    if len(vals) == 1 and isinstance(vals[0], str) and _NOTE_ROW.match(_plain(vals[0])):
        return True
    return is_furniture_row(vals, title)


def _read_row(sh: _Sheet, header: _Header, r: int, title: str | None = None) -> _Row | None:
    """One data row, or None when it is blank, repeats the header or is page furniture
    (:func:`skip_row`; ``title``: the table's)."""
    roles = header.roles
    money = header.money
    cells: dict[int, CellValue] = {}
    for col in [*roles.values(), *money.values(), *header.extras.values()]:
        v = sh.value(r, col)
        if v is not None and (not isinstance(v, str) or _plain(v)):
            cells[col] = v
    special = sh.grid.special
    if not cells and not (special and any((r, col) in special for col in money.values())):
        return None
    # a repeated header (page top of a PDF conversion)
    if len(cells) >= 2 and all(
        _header_key(v) in header.keys.get(col, ()) for col, v in cells.items()
    ):
        return None
    if skip_row(cells.values(), title):
        return None
    name = _name_text(cells.get(roles["name"]))
    amounts = {key: _amount(sh, r, col) for key, col in money.items()}
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
    if not name and has_amounts and money:
        # a total row labelled in another column left of the money (合计 under 预算单位 or
        # 序号): the label counts as the row's name, as it would in the name column
        first_money = min(money.values())
        for col in sorted(cells):
            if col < first_money and col != roles.get("name") and isinstance(cells[col], str):
                label = _plain(cells[col])
                if label in _GRAND_NAMES or label in _SUBTOTAL_NAMES:
                    name = label
                break
    if name:
        if _plain(name) in _GRAND_NAMES:
            kind = "grand"
        elif _plain(name) in _SUBTOTAL_NAMES:
            kind = "subtotal"
        elif not has_amounts and not has_goal_or_ind and _NOTE_ROW.match(_plain(name)):
            return None  # a note in the name column, beside cells of no column role
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
    base = {role: a.as_float() for role, a in amounts.items() if role in AMOUNT_ROLES}
    if len(base) < len(amounts):
        base["sources"] = {k: a.as_float() for k, a in amounts.items() if k not in AMOUNT_ROLES}
    return share_fields_set(Amounts(**base))


def _parts(sh: _Sheet, header: _Header, last: int) -> dict[str, str]:
    """Where the table's parts are: title block, header rows, data rows (A1 ranges)."""
    cols = [*header.roles.values(), *header.money.values(), *header.extras.values()]
    first_col, last_col = col_letter(min(cols)), col_letter(max(cols))
    out: dict[str, str] = {}
    if header.top < header.rows[0]:
        out["title"] = f"A{header.top}:{last_col}{header.rows[0] - 1}"
    out["header"] = f"{first_col}{header.rows[0]}:{last_col}{header.rows[-1]}"
    if last > header.rows[-1]:
        out["data"] = f"{first_col}{header.rows[-1] + 1}:{last_col}{last}"
    return out


def _column_findings(sheet: str, header: _Header) -> list[Finding]:
    """Numeric columns the catalogue does not name: taken as a source of 总计 when they sit
    among the money columns (info), otherwise reported as not understood (warning)."""
    out: list[Finding] = []
    row = header.rows[0]
    for label in header.assumed:
        cell = cell_ref(row, header.money[label])
        out.append(rules.finding(
            "column-assumed-source", sheet=sheet, cell=cell, row=row,
            message=f"表头「{label}」（{cell}）不在识别的表头中，但位于金额列之间且为数值，"
                    "已按总计的一项资金来源参与合计校验",
        ))  # fmt: skip
    for label in header.unknown:
        cell = cell_ref(row, header.extras[label])
        out.append(rules.finding(
            "column-unknown", sheet=sheet, cell=cell, row=row,
            message=f"表头「{label}」（{cell}）未能识别：该列为数值，但不在金额列旁，"
                    "未参与合计校验；如是资金来源，请改用标准表头（见 README「识别的表头」）",
        ))  # fmt: skip
    return out


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
    labels = {col: ROLE_LABELS.get(role, role) for role, col in header.roles.items()
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
    # per project, in table order: the joined 绩效指标 text of a packed cell (None: no cell),
    # or the indicators a grid reader built from their own cells
    texts: list[str | list[Indicator] | None]

    def projects(self) -> Iterator[tuple[Unit, Project, str | list[Indicator] | None]]:
        """(unit, project, joined 绩效指标 text, built indicators or None) in table order."""
        texts = iter(self.texts)
        for unit in self.table.units:
            for project in unit.projects:
                yield unit, project, next(texts)

    def complete_project(
        self,
        unit: Unit,
        project: Project,
        text: str | list[Indicator] | None,
        parse: Callable[[str | None], list[Indicator]] = parse_indicators,
    ) -> list[Finding]:
        """Parse the project's 绩效指标 into ``project.indicators`` (a grid layout's indicators
        are already built); its indicator-format findings
        (:func:`~perfsheet.core.checks.project_indicator_findings`)."""
        if isinstance(text, list):
            set_indicators(project, text)
        else:
            set_indicators(project, parse(text) if text is not None else [])
        cols = self.table.columns
        found = checks.project_indicator_findings(
            self.table.sheet, cols.get("indicators") or cols.get("level3"), unit.name, project
        )
        relabel_findings(found, self.table.pages)  # a PDF: 第5页第3行
        return found

    def complete(self, parse: Callable[[str | None], list[Indicator]] = parse_indicators) -> Table:
        """The whole table: every project parsed, ``findings`` = structural + indicator-format
        findings in sheet order."""
        found: list[Finding] = []
        for unit, project, text in self.projects():
            found.extend(self.complete_project(unit, project, text, parse))
        self.table.findings = checks.sort_findings(self.structural + found)
        return self.table


@dataclass(slots=True)
class GridProject:
    """A project of a grid layout (row list, export, form), read by its own reader: every row
    of it, its indicators built from their cells, the unit it belongs to (a unit column or a
    form's 实施单位), and the findings its reader made (fragments, inconsistent columns)."""

    rows: list[int]
    indicators: list[Indicator]
    unit: str | None = None
    findings: list[Finding] = field(default_factory=list)
    goal: str | None = None
    department: str | None = None  # a row list's department column (主管部门…)


@dataclass(slots=True)
class GridRead:
    """What a grid reader hands to :func:`build_table`: the row records (project first rows,
    unit, total and subtotal rows), and per project row its :class:`GridProject`."""

    layout: str
    records: list[_Row]
    projects: dict[int, GridProject]
    findings: list[Finding] = field(default_factory=list)
    columns: dict[str, str] | None = None  # overrides the header's columns (forms)
    department: str | None = None
    parts: dict[str, str] | None = None
    block: _TitleBlock | None = None
    money_checked: bool = False  # the reader checked the money itself (forms: cells vary)


def _build_table(sh: _Sheet, header: _Header) -> DeferredTable | None:
    return build_table(sh, header)


def build_table(sh: _Sheet, header: _Header, grid: GridRead | None = None) -> DeferredTable:
    """The table of one header: a packed list read here, or a grid layout read by its reader
    (``grid``); units, money checks and the model are the same for every layout."""
    sheet = sh.grid.name
    block = grid.block if grid is not None and grid.block else _title_block(
        sh, header.rows[0], header.top)  # fmt: skip
    records: list[_Row] = []
    if grid is None:
        for r in range(header.rows[-1] + 1, (header.end or sh.n_rows) + 1):
            rec = _read_row(sh, header, r, block.title)
            if rec is not None:
                records.append(rec)
    else:
        records = grid.records
    _resolve_units(records)
    text_cols = _text_cols(header)
    text_roles = list(text_cols)
    placement = _place_fragments(records, sh, header, text_roles) if grid is None else _Placement()

    findings: list[Finding] = list(grid.findings) if grid is not None else []
    cols_letters = {role: col_letter(col) for role, col in header.roles.items()}
    cols_letters.update({key: col_letter(col) for key, col in header.money.items()})
    cols_letters.update({label: col_letter(col) for label, col in header.extras.items()})
    findings.extend(_column_findings(sheet, header))

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
    if grid is not None and grid.money_checked:
        amount_rows = []
    for rec in amount_rows:
        findings.extend(checks.amount_findings(sheet, rec.row, rec.name, rec.amounts, header.money))

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
    # each project's unit and department columns (a form's 实施单位 is its unit)
    if grid is not None:
        col_units = {row: gp.unit for row, gp in grid.projects.items()}
        col_depts = {row: gp.department for row, gp in grid.projects.items()}
    else:
        col_units, col_depts = _column_values(sh, header, units)
    units = _column_units(units, col_units, col_depts)
    for unit_rec, projs in units:
        project_models: list[Project] = []
        for p in projs:
            gp = grid.projects.get(p.row) if grid is not None else None
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
                grid_rows = gp.rows if gp is not None else None
                findings.append(
                    checks.unnamed_project(sheet, p.row, cols_letters["name"], grid_rows)
                )
            extra = dict(p.extra)
            for label in header.extras:  # only where a fragment continues the cell
                if any(label in f.texts for f in heads + tails):
                    extra[label] = joined[label]
            rows = sorted(x.row for x in pieces)
            goal = joined.get("goal")
            if gp is not None:
                texts.append(gp.indicators)
                findings.extend(gp.findings)
                rows = gp.rows
                goal = gp.goal if gp.goal is not None else goal
            else:
                texts.append(joined.get("indicators"))
            project_models.append(
                share_fields_set(
                    Project(
                        name=p.name,
                        row=p.row,
                        rows=rows,
                        amounts=_amounts_model(p.amounts),
                        goal=goal,
                        indicators=[],
                        extra=extra,
                    )
                )
            )
        unit_models.append(
            Unit(
                name=unit_rec.name if unit_rec else None,
                row=unit_rec.row if unit_rec and unit_rec.kind == "unit" else None,
                amounts=(
                    _amounts_model(unit_rec.amounts)
                    if unit_rec and unit_rec.kind == "unit"
                    else None
                ),
                projects=project_models,
            )
        )

    grand_model = (
        GrandTotal(row=grand.row, amounts=_amounts_model(grand.amounts)) if grand else None
    )
    amount_unit = block.amount_unit or header.unit_in_header
    last = max((r.row for r in records), default=header.last_row)
    if grid is not None:
        last = max([last, *(r for gp in grid.projects.values() for r in gp.rows[-1:])])
    if grid is not None and grid.columns is not None:
        cols_letters = grid.columns
    table = Table(
        sheet=sheet,
        layout=grid.layout if grid is not None else "packed",  # type: ignore[arg-type]
        title=block.title,
        department=_department(block, grid, col_units, col_depts),
        amount_unit=amount_unit,
        header_rows=header.rows,
        columns=cols_letters,
        sources=dict(header.source_kinds),
        parts=grid.parts if grid is not None and grid.parts else _parts(sh, header, last),
        grand_total=grand_model,
        units=unit_models,
        findings=[],
    )
    money = checks.MoneyRows(
        grand=grand.row if grand else None,
        grand_amounts=grand.amounts if grand else None,
        units=[
            checks.MoneyUnit(
                row=u.row if u and u.kind == "unit" else None,
                name=u.name if u else None,
                amounts=u.amounts if u and u.kind == "unit" else None,
                projects=[(p.row, p.name, p.amounts) for p in ps],
            )
            for u, ps in units
        ],
    )
    if grid is None or not grid.money_checked:
        findings.extend(checks.money_findings(sheet, header.money, money))
    return DeferredTable(table, checks.sort_findings(findings), texts)


def _column_values(
    sh: _Sheet, header: _Header, units: list[tuple[_Row | None, list[_Row]]]
) -> tuple[dict[int, str | None], dict[int, str | None]]:
    """A packed list's unit and department column values, per project row (a blank cell below
    a written one continues it: a unit written on its first project only)."""
    unit_col, dept_col = unit_columns(header)
    out: tuple[dict[int, str | None], dict[int, str | None]] = ({}, {})
    for col, values in zip((unit_col, dept_col), out, strict=True):
        if col is None:
            continue
        last: str | None = None
        for _, projs in units:
            for p in projs:
                last = _name_text(sh.resolved(p.row, col)) or last
                values[p.row] = last
    return out


def _department(
    block: _TitleBlock,
    grid: GridRead | None,
    col_units: dict[int, str | None],
    col_depts: dict[int, str | None],
) -> str | None:
    """The table's department (see :mod:`perfsheet.core.department`): the label (a form's
    主管部门), else one name in the department column, else the title's, else one name in a
    list's unit column."""
    label = grid.department if grid is not None and grid.department else block.department
    if label:
        return label
    from_units = same_value(col_units.values()) if grid is None or grid.layout != "form" else None
    return same_value(col_depts.values()) or department_from_title(block.title) or from_units


def _column_units(
    units: list[tuple[_Row | None, list[_Row]]],
    col_units: dict[int, str | None],
    col_depts: dict[int, str | None],
) -> list[tuple[_Row | None, list[_Row]]]:
    """Without unit rows, the projects are grouped by their unit column (or a form's 实施单位),
    consecutive projects of one unit forming one unit. Without a unit column, a department
    column whose values differ (a list of several departments) groups them the same way; one
    department throughout is the table's department, not a unit."""
    if any(u is not None for u, _ in units):
        return units
    names = col_units
    if not any(col_units.values()):
        if same_value(col_depts.values()) is not None:
            return units
        names = col_depts
    if not any(names.values()):
        return units
    out: list[tuple[_Row | None, list[_Row]]] = []
    last: object = object()
    for _, projs in units:
        for p in projs:
            name = names.get(p.row)
            if name != last or not out:
                rec = _Row(p.row, "unitcol", name, {}, {}, {}) if name else None
                out.append((rec, []))
                last = name
            out[-1][1].append(p)
    return out
