"""Write a file atomically: into a temporary sibling, moved onto the target only on success."""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from perfsheet.errors import WRITE_ERRNOS, OutputError, PerfsheetError, os_error_in


def release_zip_files(exc: BaseException) -> None:
    """Close the zip files a failed writer left open in the frames ``exc`` went through.

    XlsxWriter does not close its package when writing it fails (a full disk): the open
    ``ZipFile`` would keep the temporary file open (Windows cannot remove it then) and, when
    collected, retry the write and print "Exception ignored … Traceback" on stderr.
    """
    todo: list[BaseException | None] = [exc]
    seen: set[int] = set()
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        todo += [e.__cause__, e.__context__]
        tb = e.__traceback__
        while tb is not None:
            for value in list(tb.tb_frame.f_locals.values()):
                if isinstance(value, zipfile.ZipFile) and value.fp is not None:
                    with contextlib.suppress(Exception):
                        value.close()  # closes the file even when the last write fails
            tb = tb.tb_next


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(out: Path, suffix: str = ".xlsx") -> Iterator[Path]:
    """A temporary path next to ``out``; moved onto ``out`` only when the block succeeds.

    The temporary file is removed in every case. An ``OSError`` on the way out — the folder
    cannot be created or written (read-only, a file in the way), the disk is full, ``out``
    cannot be replaced (open in Excel on Windows, a folder in its place) — becomes an
    :class:`~perfsheet.errors.OutputError` naming ``out`` and what the user can do.

    The temporary file is created private (``mkstemp``: mode 0600); the finished file gets
    the mode any new file of the user gets (0666 minus the umask), like the files the batch
    converter writes, so that colleagues with access to the folder can open it.
    """
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{out.stem[:40]}.", suffix=suffix + ".part", dir=out.parent
        )
    except OSError as err:
        raise OutputError.from_os(out, err) from err
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        try:
            yield tmp_path
        except Exception as err:  # a full disk while writing (XlsxWriter wraps the OSError)
            release_zip_files(err)
            cause = None if isinstance(err, PerfsheetError) else os_error_in(err)
            if cause is not None and cause.errno in WRITE_ERRNOS:
                raise OutputError.from_os(out, cause) from err
            raise
        with contextlib.suppress(OSError):  # e.g. a file system without modes
            os.chmod(tmp_path, 0o666 & ~_umask())
        try:
            os.replace(tmp_path, out)
        except OSError as err:  # e.g. open in Excel (Windows), a folder in its place
            raise OutputError.from_os(out, err) from err
    finally:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
