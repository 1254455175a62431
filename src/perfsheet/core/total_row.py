"""The total row under a standard sheet's data: its cells and their formulas, for every writer.

The plan decides what each total cell holds (:class:`TotalCell`, from
:meth:`perfsheet.core.summary_rows.SummaryPlan.project_footer`: a label, a sum, an average, a
count, a weighted ratio, with the value computed from the data); :func:`place_totals` places
them over the data rows of one sheet and gives the formula text of each (:func:`total_formula`).
The per-file summary, the consolidated workbook and the live-book action all write these, so
the three outputs' total rows are the same formulas (a test reads all three back).

``SUBTOTAL`` rather than ``SUM``: after the user filters the sheet, the total row adds up what
is visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from perfsheet.core.grid import col_letter

TotalFunc = Literal["label", "sum", "average", "ratio", "count"]

#: SUBTOTAL's function numbers that ignore hidden rows (109 SUM, 101 AVERAGE, 103 COUNTA)
_SUBTOTAL = {"sum": 109, "average": 101, "count": 103}


@dataclass(frozen=True, slots=True)
class TotalCell:
    """One cell of the 项目汇总 total row.

    ``func``: ``label`` (text), ``sum`` (``SUBTOTAL(109, column)``), ``average``
    (``SUBTOTAL(101, column)``), ``count`` (``SUBTOTAL(103, column)``), ``ratio`` (the
    ``weight``-weighted mean of the column: ``SUMPRODUCT(weight, column) / SUM(weight)``).
    ``value`` is the result computed here, for writers that store cached values and for
    engines that do not recalculate.
    """

    key: str
    func: TotalFunc
    value: float | int | str | None
    weight: str | None = None


@dataclass(frozen=True, slots=True)
class PlacedTotal:
    """A total cell placed on a sheet: ``col`` is 0-based; ``formula`` (with its ``=``) is
    None where the cell holds ``value`` itself (a label, no data rows, a ratio whose weight
    column the sheet does not have); otherwise ``value`` is the formula's cached result."""

    col: int
    func: TotalFunc
    value: float | int | str | None
    formula: str | None


def total_label(count: int | str, what: str = "个项目") -> str:
    """The label of a total row: ``合计（23 个项目）``."""
    return f"合计（{count} {what}）"


def total_formula(
    func: TotalFunc, col: int, first: int, last: int, weight: int | None = None
) -> str | None:
    """The formula of a total cell in column ``col`` (0-based) over the data rows
    ``first``..``last`` (1-based); ``weight`` is the weight column of a ratio. None when the
    cell holds a value instead (a label, no data rows, a ratio without its weight column)."""
    if func == "label" or last < first:
        return None
    letter = col_letter(col + 1)
    rng = f"{letter}{first}:{letter}{last}"
    if func == "sum" or func == "count":
        return f"=SUBTOTAL({_SUBTOTAL[func]},{rng})"
    if func == "average":  # no visible value: empty, not #DIV/0!
        return f'=IFERROR(SUBTOTAL({_SUBTOTAL[func]},{rng}),"")'
    if func == "ratio" and weight is not None:
        wl = col_letter(weight + 1)
        w = f"{wl}{first}:{wl}{last}"
        return f'=IFERROR(SUMPRODUCT({w},{rng})/SUM({w}),"")'
    return None


def place_totals(
    footer: Iterable[TotalCell], columns: Mapping[str, int], first: int, last: int
) -> list[PlacedTotal]:
    """The total row of a sheet whose column ``key`` is at 0-based ``columns[key]`` and whose
    data rows are ``first``..``last`` (1-based; ``last < first``: none), left to right. Cells
    whose column the sheet does not have are left out."""
    out: list[PlacedTotal] = []
    for cell in footer:
        col = columns.get(cell.key)
        if col is None:
            continue
        weight = columns.get(cell.weight) if cell.weight else None
        formula = total_formula(cell.func, col, first, last, weight)
        out.append(PlacedTotal(col, cell.func, cell.value, formula))
    out.sort(key=lambda p: p.col)
    return out
