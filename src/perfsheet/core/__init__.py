"""The pure-Python core: no xlwings, no openpyxl, no file I/O.

- ``models``      pydantic models (Target, Indicator, Table, Finding…)
- ``grid``        cell values with coordinates, as readers hand them over
- ``text``        text normalization (HTML, widths, spaces)
- ``categories``  the indicator framework: level-1/level-2 codes and aliases
- ``targets``     ``parse_target``: 指标值 -> operator, number, unit
- ``indicators``  ``parse_indicators``: the packed 绩效指标 cell -> indicators
"""

from .indicators import parse_indicators
from .targets import parse_target
from .text import clean_text

__all__ = ["clean_text", "parse_indicators", "parse_target"]
