"""File adapters: read workbooks into the core's grid (and, later, write output workbooks).

Everything that touches files or spreadsheet libraries lives here, never in ``perfsheet.core``.
"""
