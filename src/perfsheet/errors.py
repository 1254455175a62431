"""Errors that reach the user. Messages are one line of Chinese; the CLI prints them without a
traceback and the Excel entry points show them in a message box or a cell."""

from __future__ import annotations

import errno
import os
from pathlib import Path


class PerfsheetError(Exception):
    """Base class: ``str(error)`` is the user-facing Chinese message."""

    exit_code = 2


class InputError(PerfsheetError):
    """An input file cannot be read as a workbook, or holds no table (exit code 2)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"无法读取 {path}：{reason}")


class TableNotFoundError(InputError):
    """The file was read as a workbook, but no sheet holds a 绩效目标表 (exit code 2)."""


class UsageError(PerfsheetError):
    """Bad arguments or options (exit code 2)."""


class TemplateError(UsageError):
    """A summary template that was read but cannot be used: a standard sheet or its header row
    is missing (exit code 2). ``path`` names the file as it was given or found."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"模板 {path}：{reason}")


class OutputError(PerfsheetError):
    """An output cannot be created or replaced: a read-only or missing folder, a file where a
    folder should be, a full disk, a file Excel holds open (exit code 2).

    The message names the path and says what the user can do; build it from an ``OSError``
    with :meth:`from_os`.
    """

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None) -> None:
        self.path = None if path is None else os.fspath(path)
        super().__init__(message)

    @classmethod
    def from_os(cls, path: str | os.PathLike[str], err: OSError) -> OutputError:
        """``无法写入 <path>：<reason>；<what to do>`` for ``err`` raised while writing ``path``."""
        reason, advice = describe_os_error(path, err)
        return cls(f"无法写入 {os.fspath(path)}：{reason}；{advice}", path)

    @classmethod
    def folder_in_place(cls, path: str | os.PathLike[str]) -> OutputError:
        """A folder where the output file must go."""
        return cls.from_os(path, IsADirectoryError(errno.EISDIR, "Is a directory", str(path)))


#: errno values that can only mean "this output cannot be written" (not an unreadable input)
WRITE_ERRNOS = frozenset(
    code
    for code in (
        errno.ENOSPC,
        getattr(errno, "EDQUOT", None),
        errno.EFBIG,
        errno.EROFS,
    )
    if code is not None
)


def _file_in_the_way(path: str | os.PathLike[str]) -> Path | None:
    """The nearest existing component of ``path`` if it is not a folder (else None)."""
    for p in (Path(path), *Path(path).parents):
        if os.path.lexists(p):
            return None if p.is_dir() else p
    return None


def describe_os_error(path: str | os.PathLike[str], err: OSError) -> tuple[str, str]:
    """(what went wrong, what the user can do), in Chinese, for ``err`` while writing ``path``."""
    code = err.errno
    if code == errno.EROFS:
        return "所在的磁盘或文件夹是只读的", "请换一个可以写入的文件夹"
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", None)):
        return "磁盘空间不足", "请清理磁盘空间或换一个磁盘后重试"
    if code == errno.EFBIG:
        return "文件超出了该磁盘允许的大小", "请换一个磁盘后重试"
    if code in (errno.ENOTDIR, errno.EEXIST):
        blocker = _file_in_the_way(path)
        if blocker is not None:
            return f"{blocker} 是一个文件，不是文件夹", "请换一个输出位置，或移走该文件"
    if code == errno.EISDIR:
        return "该位置已有一个同名文件夹", "请换一个文件名，或移走该文件夹"
    if code in (errno.ENOENT, errno.ENOTDIR):
        return "所在的文件夹不存在", "请检查路径是否正确"
    if code == errno.ENAMETOOLONG:
        return "路径或文件名太长", "请换一个较短的路径或文件名"
    if code in (errno.EACCES, errno.EPERM, errno.EBUSY, errno.ETXTBSY):
        if os.path.isfile(path):
            return (
                "文件正被其他程序（如 Excel）打开，或没有写入权限",
                "请先在 Excel 中关闭该文件再重试，或换一个可以写入的文件夹",
            )
        return "没有在该文件夹中写入的权限", "请换一个可以写入的文件夹"
    name = errno.errorcode.get(code, str(code)) if code is not None else type(err).__name__
    return f"系统错误 {name}（{err.strerror or err}）", "请检查该位置是否可以写入"


def os_error_in(exc: BaseException) -> OSError | None:
    """The ``OSError`` behind ``exc``: itself, its cause or context, or an argument of it
    (XlsxWriter's ``FileCreateError`` wraps the ``OSError`` of a full disk)."""
    todo: list[BaseException | None] = [exc]
    seen: set[int] = set()
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError):
            return e
        todo += [e.__cause__, e.__context__]
        todo += [a for a in e.args if isinstance(a, BaseException)]
    return None
