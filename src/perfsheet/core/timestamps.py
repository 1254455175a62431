"""The one way perfsheet writes a point in time for people to read (``生成时间``).

Every workbook says when it was made in the same form: local time to the second with its
offset from UTC, ``2026-12-04 19:30:00 +08:00``. Local time, because the reader compares it
with the clock on the wall; the offset, because a workbook travels (a server in UTC, a
colleague's laptop in 北京时间) and a time without its zone is ambiguous. The form is ISO 8601
with a space for the ``T``, so it sorts as text.
"""

from __future__ import annotations

import datetime as _dt


def format_timestamp(when: _dt.datetime | None = None) -> str:
    """``when`` (now when None) as ``YYYY-MM-DD HH:MM:SS ±HH:MM``.

    A naive datetime is taken as local time (as ``datetime.now()`` gives it); an aware one
    keeps its own zone. Microseconds are dropped."""
    t = _dt.datetime.now() if when is None else when
    if t.tzinfo is None or t.utcoffset() is None:
        t = t.astimezone()  # naive: local time, with the local offset
    offset = t.utcoffset() or _dt.timedelta(0)
    sign = "-" if offset < _dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{t:%Y-%m-%d %H:%M:%S} {sign}{minutes // 60:02d}:{minutes % 60:02d}"
