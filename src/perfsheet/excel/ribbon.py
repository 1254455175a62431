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

Every error reaches the user as one Chinese message box, in the classic add-in and in xlwings
Lite alike (:func:`dispatch`): a :class:`~perfsheet.errors.PerfsheetError` says what to do; an
error nobody foresaw (a defect) says that the action stopped, whether the workbook was changed,
and names the error for the maintainers (its traceback goes to stderr: Lite's output pane).
Engines that queue their writes until the script returns (xlwings Lite / Server) drop the
writes of an action that failed that way, so the workbook stays as it was.
"""

from __future__ import annotations

import sys
import traceback
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xlwings import Book

#: ribbon tag (without a ``:folder`` suffix) -> function in perfsheet.excel.actions
ACTIONS: dict[str, str] = {
    "parse": "parse_indicators",
    "check": "check_totals",
    "summary": "generate_summary",
    "convert": "batch_convert",
    "template": "export_template",
}

#: button labels, for messages (the ribbon XML carries the same labels)
LABELS: dict[str, str] = {
    "parse": "解析指标",
    "check": "校验合计",
    "summary": "生成汇总",
    "convert": "批量转换",
    "template": "导出模板",
}

TITLE = "绩效指标"

#: how an unforeseen error ends its message box
MSG_REPORT = "请把这条消息告诉 perfsheet 的维护人员。"


def decode_folder(folder_hex: str) -> str:
    """Decode the VBA side's UTF-16 hex encoding of a path (4 hex digits per unit)."""
    if len(folder_hex) % 4:
        raise ValueError("folder_hex length must be a multiple of 4")
    units = bytes.fromhex(folder_hex)
    return units.decode("utf-16-be")


def _alert(book: Book, message: str) -> None:
    try:
        book.app.alert(message, title=TITLE)
    except Exception:  # no UI available (tests, batch): the message still goes to stdout
        print(message)


def _discard_queued(book: Book) -> bool:
    """Drop the writes an engine queues until the script returns (xlwings Lite / Server);
    True when nothing of a stopped action reaches the workbook. Classic engines write at once."""
    try:
        queued = book.json()["actions"]
    except Exception:  # classic xlwings: no queue
        return False
    if not isinstance(queued, list):
        return False
    queued.clear()
    return True


def unexpected_message(book: Book, label: str, err: BaseException) -> str:
    """The one message box for an error nobody foresaw (its traceback goes to stderr)."""
    traceback.print_exception(type(err), err, err.__traceback__, file=sys.stderr)
    if isinstance(err, MemoryError):
        detail = "内存不足"
    else:
        detail = " ".join(f"{type(err).__name__}: {err}".split())
        if len(detail) > 200:
            detail = detail[:199] + "…"
    if _discard_queued(book):
        state = "工作簿未做任何修改"
    else:
        state = "工作簿可能已被部分修改（可关闭工作簿而不保存）"
    return f"{label}：出现意外错误，操作已停止，{state}。错误：{detail}。{MSG_REPORT}"


def dispatch(book: Book, tag: str, folder: str | None = None) -> Any:
    """Run the action registered for ``tag`` on ``book``. Never raises: every error becomes
    one Chinese message box."""
    from perfsheet.errors import PerfsheetError

    action = tag.split(":", 1)[0]
    name = ACTIONS.get(action)
    if name is None:
        _alert(book, f"未知的按钮：{tag}")
        return None
    try:
        from perfsheet.excel import actions
    except ImportError as err:
        missing = err.name or ""
        if missing.split(".")[0] == "perfsheet":
            _alert(book, f"“{LABELS[action]}”功能尚未安装，请升级 perfsheet。")
        else:
            _alert(
                book,
                f"“{LABELS[action]}”无法运行：缺少 Python 包 {missing or err}。"
                "请按安装说明重新安装 perfsheet。",
            )
        return None
    except Exception as err:
        _alert(book, unexpected_message(book, LABELS[action], err))
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
    except Exception as err:
        _alert(book, unexpected_message(book, LABELS[action], err))
        return None


def run(tag: str, folder_hex: str | None = None) -> Any:
    """Called by the add-in's VBA: act on the workbook that was active when clicked."""
    import xlwings as xw

    label = LABELS.get(tag.split(":", 1)[0], "绩效指标")
    try:
        book = xw.Book.caller()
    except Exception:  # the VBA side checks for a workbook first; this is the last resort
        traceback.print_exc()
        message = f"{label}：找不到要处理的工作簿，请先打开并激活绩效目标表所在的工作簿。"
        try:
            xw.apps.active.alert(message, title=TITLE)
        except Exception:
            print(message)
        return None
    try:
        folder = decode_folder(folder_hex) if folder_hex else None
    except ValueError:
        _alert(book, f"{label}：无法识别所选文件夹的路径，请重新选择。")
        return None
    return dispatch(book, tag, folder)
