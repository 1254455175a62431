"""File adapters: read workbooks into the core's grid, write output workbooks.

Everything that touches files or spreadsheet libraries lives here, never in ``perfsheet.core``:
``readers`` (calamine), ``safety`` (pre-checks before calamine), ``template`` (the summary
template), ``summary_writer`` (the summary workbook), ``xlsx_stream`` (SpreadsheetML rows
rendered and streamed by us), ``source_copy`` (the user's package copied part by part into the
summary), ``xlsx_merge`` / ``xlsx_splice`` (zip-level writing and splicing).
"""
