"""Classic add-in entry point: the ribbon's one VBA callback runs ``run('<tag>')``.

``addin/customUI.xml`` gives every button a ``tag``; the VBA callback
(``macros/PerfsheetRibbon.bas``) passes it on unchanged:

    RunPython "import perfsheet.excel.ribbon as r; r.run('<tag>')"

A tag may end in ``:folder``; the VBA callback then asks for a folder first and passes it
as ``folder_hex`` (UTF-16 code units in hex, so any path survives the command line).

The actions themselves live in :mod:`perfsheet.excel.actions` (one implementation for the
classic add-in and for xlwings Lite/Server, see :mod:`perfsheet.excel.scripts`); this
module only finds the calling workbook and dispatches. ``ACTIONS`` is the whole contract:
tag -> name of a function in :mod:`perfsheet.excel.actions` taking an ``xw.Book`` (and the
chosen folder for folder tags).
"""

from __future__ import annotations

from typing import Any

#: ribbon tag (without a ``:folder`` suffix) -> function in perfsheet.excel.actions
ACTIONS: dict[str, str] = {
    "parse": "parse_indicators",
    "check": "check_totals",
    "summary": "generate_summary",
    "convert": "batch_convert",
}

#: button labels, for messages (the ribbon XML carries the same labels)
LABELS: dict[str, str] = {
    "parse": "解析指标",
    "check": "校验合计",
    "summary": "生成汇总",
    "convert": "批量转换",
}

TITLE = "绩效指标"


def decode_folder(folder_hex: str) -> str:
    """Decode the VBA side's UTF-16 hex encoding of a path (4 hex digits per unit)."""
    if len(folder_hex) % 4:
        raise ValueError("folder_hex length must be a multiple of 4")
    units = bytes.fromhex(folder_hex)
    return units.decode("utf-16-be")


def _alert(book: Any, message: str) -> None:
    try:
        book.app.alert(message, title=TITLE)
    except Exception:  # no UI available (tests, batch): the message still goes to stdout
        print(message)


def dispatch(book: Any, tag: str, folder: str | None = None) -> Any:
    """Run the action registered for ``tag`` on ``book``; user errors become a message box."""
    from perfsheet.errors import PerfsheetError

    action = tag.split(":", 1)[0]
    name = ACTIONS.get(action)
    if name is None:
        _alert(book, f"未知的按钮：{tag}")
        return None
    try:
        from perfsheet.excel import actions
    except ImportError:
        _alert(book, f"“{LABELS[action]}”功能尚未安装，请升级 perfsheet。")
        return None
    function = getattr(actions, name, None)
    if function is None:
        _alert(book, f"“{LABELS[action]}”功能尚未安装，请升级 perfsheet。")
        return None
    try:
        if tag.endswith(":folder"):
            if not folder:
                return None  # the user cancelled the folder dialog
            return function(book, folder)
        return function(book)
    except PerfsheetError as err:
        _alert(book, f"{LABELS[action]}：{err}")
        return None


def run(tag: str, folder_hex: str | None = None) -> Any:
    """Called by the add-in's VBA: act on the workbook that was active when clicked."""
    import xlwings as xw

    book = xw.Book.caller()
    folder = decode_folder(folder_hex) if folder_hex else None
    return dispatch(book, tag, folder)
