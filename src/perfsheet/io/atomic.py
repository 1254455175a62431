"""Write a file atomically: into a temporary sibling, moved onto the target only on success."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(out: Path, suffix: str = ".xlsx") -> Iterator[Path]:
    """A temporary path next to ``out``; moved onto ``out`` only when the block succeeds.

    The temporary file is created private (``mkstemp``: mode 0600); the finished file gets
    the mode any new file of the user gets (0666 minus the umask), like the files the batch
    converter writes, so that colleagues with access to the folder can open it.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem[:40]}.", suffix=suffix + ".part", dir=out.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with contextlib.suppress(OSError):  # e.g. a file system without modes
            os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
