"""perfsheet: parse, check and standardize 项目支出绩效目标表.

(Chinese budget project-expenditure performance target tables.)
"""

__version__ = "0.1.0"
