"""Batch conversion (``perfsheet convert``): folders of workbooks -> standardized summaries,
one consolidated workbook and a report.

Entry points:

- :func:`perfsheet.batch.command.convert` (``perfsheet.convert``) — the whole job as a library
  call: writes the outputs and ``OUTDIR/convert-report.json`` and returns the same
  :class:`~perfsheet.batch.models.ConvertReport`; prints nothing. ``perfsheet convert``
  (:func:`perfsheet.batch.progress.run_convert`) and the add-in's 批量转换 button render it.
- :func:`perfsheet.batch.worker.convert_file` — THE per-file step (read -> analyze -> summary
  workbook + row cache), run by the local process pool (:mod:`perfsheet.batch.engine`) or on a
  Dask cluster.

Modules: ``discovery`` (inputs, skip rules), ``naming`` (safe output names), ``engine`` (process
pool with per-file timeout and crash isolation; Dask), ``worker``, ``cache`` (per-output row
caches), ``rows`` (what one input contributes to the merge), ``duplicates`` (the same table met
twice in a run: reported, counted once), ``consolidate`` (the streamed
consolidated workbook, written by :mod:`perfsheet.io.xlsx_stream`), ``report``,
``progress`` (the console: progress bar, summary tables), ``command``.
"""
