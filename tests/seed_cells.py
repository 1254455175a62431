"""The seed's 23 绩效指标 cells, page-break fragments joined by hand (no character inserted).

Data: ``tests/data/seed_cells.json`` — one record per project: ``line`` (seed line of the project
name), ``rows`` (seed lines whose 绩效指标 text makes the cell, in order), ``project``, and
``indicators`` (the joined cell text). Fragment placement (domain notes §6): line 13 is the HEAD of
line 15's cell (``…新型农村集`` + ``体经济…``); lines 29, 34, 40 are TAILS of lines 27, 32, 38.
``test_indicators_seed.py`` checks every cell against the committed TSV copy of the seed.
"""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).parent / "data" / "seed_cells.json"
SEED_TSV = Path(__file__).parent.parent / "examples" / "source" / "seed_guangzhou_xiezuoban.tsv"


def load_seed_cells() -> list[dict]:
    return json.loads(DATA.read_text(encoding="utf-8"))


SEED_CELLS: list[dict] = load_seed_cells()
