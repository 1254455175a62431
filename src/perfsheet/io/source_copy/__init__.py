"""The default ``perfsheet summary`` output: the user's package, part by part, plus the
standard sheets (issue 14 §3: the source copy loses nothing).

Every part of the input is copied as its compressed bytes (:meth:`ZipOut.add_raw`), except:

* the worksheets that get helper columns and marks
  (:class:`~perfsheet.core.annotations.AnnotationPlan`): their XML is streamed row by row; the
  helper cells (numbers, inline strings) are added in column order, marked cells get a style
  derived from their own (their cell format plus the red error fill), ``<cols>`` gets the
  helper columns' widths and ``<dimension>`` covers them. Every other byte of the part stays;
* their notes (comments part and VML drawing) when notes are added or perfsheet's own notes of
  an earlier run are removed; a cell that already has a note of the user's keeps it (the
  fill marks it; 校验结果 says why), as the live-book action does;
* a sheet that was selected when the user saved the workbook: ``tabSelected`` is removed, so
  that only 项目汇总 is selected (two selected tabs are grouped sheets in Excel);
* the sheets of an earlier perfsheet run (``own``): removed with the parts only they use, their
  relationships, content types and defined names, and ``calcChain.xml`` (it lists their cells;
  Excel rebuilds it);
* ``styles.xml``: the user's styles first and unchanged, ours appended after theirs, so that no
  style reference of a user part (cells, conditional formats, tables, pivot tables, custom
  table styles…) ever moves;
* ``workbook.xml``, its relationships and ``[Content_Types].xml``: the standard sheets added,
  项目汇总 the active tab. A macro-enabled workbook keeps ``vbaProject.bin`` and its
  relationship and content type; only the workbook part's own content type becomes the
  .xlsx one, because the output is an .xlsx and Excel refuses to open an .xlsx whose workbook
  part says it is macro-enabled;
* ``docProps/app.xml``: its list of sheets (Excel ignores it, other readers show it) names the
  output's worksheets, the standard sheets included; the rest of it stays.

Nothing here loads a whole user worksheet: the big parts are streamed (regular expressions on
bounded chunks, as the rest of the package code does); the small ones (workbook, relationships,
styles, notes) are read whole, with regular expressions, never an XML parser on user input.
Anything unexpected raises :class:`SourceCopyError`; the caller then rebuilds the sheets from
their values (:func:`perfsheet.io.summary_writer.write_with_source_rebuilt`).

Modules, from the entry point down (each imports only those below it):

- ``assembly``    the plan and the assembly of the output: :func:`write_with_source_copy`
- ``workbook``    ``workbook.xml``, relationships parts, ``[Content_Types].xml``
- ``doc_props``   ``docProps/app.xml``: the list of sheets that other readers show
- ``standard``    the standard sheets, embedded with their style indices past the user's
- ``sheet_edit``  one worksheet streamed with its helper cells, marks, widths and selection
- ``notes``       the comments part and VML drawing of an annotated sheet
- ``styles``      ``styles.xml``: the user's first, ours appended
- ``package``     the input's parts, sheets and relationships
- ``markup``      :class:`SourceCopyError` and the small XML helpers
"""

from perfsheet.io.source_copy.assembly import write_with_source_copy
from perfsheet.io.source_copy.markup import SourceCopyError
from perfsheet.io.source_copy.notes import _vml as _vml  # tests draw notes with it directly

__all__ = ["SourceCopyError", "write_with_source_copy"]
