from hypothesis import given
from hypothesis import strategies as st

from perfsheet.core.grid import SheetGrid, cell_ref, col_letter, col_number, quote_sheet


def test_col_letters_known_values():
    assert col_letter(1) == "A"
    assert col_letter(26) == "Z"
    assert col_letter(27) == "AA"
    assert col_letter(16384) == "XFD"
    assert cell_ref(12, 7) == "G12"


@given(st.integers(min_value=1, max_value=16384))
def test_col_letters_round_trip(n):
    assert col_number(col_letter(n)) == n


def test_sheet_grid_value_handles_ragged_rows_and_origin():
    g = SheetGrid(name="S", rows=[["a", "b"], ["c"]], origin_row=3, origin_col=2)
    assert g.value(3, 2) == "a"
    assert g.value(3, 3) == "b"
    assert g.value(4, 3) is None
    assert g.value(1, 1) is None
    assert g.n_cols == 2


def test_quote_sheet() -> None:
    assert quote_sheet("表1") == "表1"
    assert quote_sheet("Sheet 1") == "'Sheet 1'"
    assert quote_sheet("A1") == "'A1'"  # looks like a cell
    assert quote_sheet("O'Brien") == "'O''Brien'"
    assert quote_sheet("表1", always=True) == "'表1'"
