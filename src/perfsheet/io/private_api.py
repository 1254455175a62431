"""Every private (or undocumented) attribute of another library that perfsheet uses, one
small function each, saying why.

A library may rename or drop such attributes in any release: that is why they are all here,
and why ``tests/test_private_api.py`` checks each of them against the installed versions and
fails with a message naming the attribute and its caller. With that test in place the
dependencies carry no upper version bound for their sake: an upgrade that breaks one of these
fails the tests, not a user's run without a word.
"""

from __future__ import annotations

from typing import Any


class PrivateApiError(RuntimeError):
    """A library no longer has a private attribute perfsheet relies on (see this module)."""


def _missing(library: str, attribute: str, why: str) -> PrivateApiError:
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version(library)
    except PackageNotFoundError:
        installed = "?"
    return PrivateApiError(
        f"{library} {installed} has no {attribute}, which perfsheet uses ({why}); "
        f"install the version perfsheet was tested with (see perfsheet.io.private_api)"
    )


def xf_index(fmt: Any) -> int:
    """The cell-format index (``s=`` of a ``<c>``) of an XlsxWriter ``Format``; 0 for None.

    XlsxWriter's ``Format._get_xf_index()``: the same call XlsxWriter makes when it writes a
    cell. The data rows we render ourselves (:mod:`perfsheet.io.xlsx_splice`) need the index,
    and the call registers the format so that XlsxWriter writes it into ``styles.xml``. No
    public API gives either.
    """
    if fmt is None:
        return 0
    get = getattr(fmt, "_get_xf_index", None)
    if get is None:
        raise _missing("XlsxWriter", "Format._get_xf_index()", "styles of the spliced data rows")
    return int(get())


def close_row_data(ws: Any) -> None:
    """Close the temporary row-data file of an XlsxWriter worksheet that was never closed.

    In ``constant_memory`` mode each worksheet keeps its rows in a temporary file,
    ``Worksheet.row_data_fh``, that only ``Workbook.close()`` closes. When a run fails half way
    the workbook is never closed; the file must be, before its scratch folder is removed
    (Windows cannot delete an open file). ``None`` when the worksheet has none (not
    ``constant_memory``, or already closed).
    """
    fh = getattr(ws, "row_data_fh", None)
    if fh is not None and not fh.closed:
        fh.close()


def first_font(wb: Any) -> Any | None:
    """The default font (the first of ``styles.xml``) of a workbook openpyxl loaded.

    openpyxl's ``Workbook._fonts``: openpyxl applies the default font to no cell it gives us,
    and a template's standard sheets are written in the template's default font. None when the
    workbook has no fonts list.
    """
    fonts = getattr(wb, "_fonts", None)
    return fonts[0] if fonts else None


def loaded_theme(wb: Any) -> bytes | None:
    """The theme part (``theme1.xml``) of a workbook openpyxl loaded, to resolve a template's
    theme colours. openpyxl's ``Workbook.loaded_theme``: public by name, but undocumented."""
    return getattr(wb, "loaded_theme", None)


def pool_processes(pool: Any) -> list[Any] | None:
    """The worker processes of a ``concurrent.futures.ProcessPoolExecutor``
    (``ProcessPoolExecutor._processes``, a dict pid -> process), so that the batch engine can
    kill the one worker running a file past its time limit; None when the pool has no such
    dict (the caller falls back to every child process)."""
    procs = getattr(pool, "_processes", None)
    return list(procs.values()) if isinstance(procs, dict) else None
