"""The copy as a whole, behind :func:`write_with_source_copy`: the plan, decided from the input's
small parts (:func:`_prepare`, :func:`_prepare_edits`), and the output assembled part by part
(:func:`_assemble`).

The rows of the standard sheets come from the whole analyzed result, or project by project
(``analyses``: the default ``perfsheet summary`` path, which never holds every parsed indicator);
then the helper columns and marks come from
:class:`~perfsheet.core.annotations.AnnotationBuilder` fed the same projects, and the sheet edits
that depend on them (values, marks, notes) are prepared once the rows are written, just before
the package is assembled.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from perfsheet.core.annotations import AnnotationPlan
from perfsheet.core.sheets import SHEET_PROJECTS
from perfsheet.errors import PerfsheetError
from perfsheet.io.source_copy.doc_props import _app_props
from perfsheet.io.source_copy.markup import _ATTRS, SourceCopyError, _drop, _get, _text
from perfsheet.io.source_copy.notes import _read_notes, _vml, _vml_blocks
from perfsheet.io.source_copy.package import (
    _OFFICE_REL,
    _SHEET_KINDS,
    _Package,
    _reach,
    _SheetRef,
)
from perfsheet.io.source_copy.sheet_edit import _selected, _SheetEdit, _SheetWriter
from perfsheet.io.source_copy.standard import _shifted_sheets_class, _Standard
from perfsheet.io.source_copy.styles import _Styles
from perfsheet.io.source_copy.workbook import (
    _CT_COMMENTS,
    _CT_VML,
    _content_types,
    _new_rels,
    _rels_xml,
    _unique_id,
    _unique_part,
    _workbook_xml,
)
from perfsheet.io.xlsx_merge import ZipOut, rels_name

if TYPE_CHECKING:
    from perfsheet.core.annotations import AnnotationBuilder
    from perfsheet.core.models import WorkbookResult
    from perfsheet.core.pipeline import ProjectAnalysis, TableAnalysis
    from perfsheet.core.summary_rows import SummaryPlan


@dataclass
class _Plan:
    """Everything decided before the standard sheets are written (and the plan consumed)."""

    pkg: _Package
    kept: list[_SheetRef]
    drop: set[str]
    drop_wb_rels: set[str]
    edits: dict[str, _SheetEdit]
    styles: _Styles
    ct_drop: set[str] = field(default_factory=set)
    overrides: list[tuple[str, str]] = field(default_factory=list)
    defaults: list[tuple[str, str]] = field(default_factory=list)
    deferred: set[str] = field(default_factory=set)  # parts written after the sheets
    removed: set[str] = field(default_factory=set)  # parts of the input left out on purpose
    vml_blocks: set[int] | None = None  # shape-id blocks used by the package's VML drawings
    taken: set[str] = field(default_factory=set)  # part names in use in the output


def _prepare(
    z: zipfile.ZipFile,
    annotations: Sequence[AnnotationPlan],
    own: set[str],
    report: Any,
) -> _Plan:
    pkg = _Package(z)
    kept = [s for s in pkg.sheets if s.name not in own]
    own_refs = [s for s in pkg.sheets if s.name in own]
    if not kept:
        raise SourceCopyError("没有用户的工作表")
    drop: set[str] = set()
    drop_wb_rels = {s.rid for s in own_refs}
    if own_refs:
        graph = pkg.graph()
        own_parts = {s.part for s in own_refs}
        keep = _reach(graph, [""], own_parts)
        drop = _reach(graph, sorted(own_parts), set()) - keep
        for rel in pkg.wb_rels:
            if rel.type == "calcChain":  # it lists the removed sheets' cells
                drop.add(rel.part)
                drop_wb_rels.add(rel.id)
        drop |= {rels_name(p) for p in drop if rels_name(p) in pkg.infos}
    styles = _Styles(pkg.text(pkg.styles_part))
    plan = _Plan(pkg, kept, drop, drop_wb_rels, {}, styles)
    plan.taken = set(pkg.infos) - drop
    for ann in annotations:
        if ann.blocked:
            report.skipped.append(ann.blocked)
        elif _annotated(plan, ann.sheet) is not None:
            report.annotated.append(ann.sheet)
    return plan


def _annotated(plan: _Plan, sheet: str) -> _SheetRef | None:
    """The worksheet of the copy that gets the helper columns of ``sheet``'s tables."""
    ref = {s.name: s for s in plan.kept}.get(sheet)
    return ref if ref is not None and ref.kind == "worksheet" else None


def _prepare_edits(plan: _Plan, annotations: Sequence[AnnotationPlan]) -> None:
    """The sheet edits of the finished ``annotations`` (the same, in the same order, as
    :func:`_prepare` saw), the selected tabs, and the notes parts they change."""
    pkg, kept = plan.pkg, plan.kept
    for ann in annotations:
        ref = None if ann.blocked else _annotated(plan, ann.sheet)
        if ref is not None:
            plan.edits.setdefault(ref.part, _SheetEdit(ref)).add_plan(ann)
    for ref in kept:
        if ref.kind in _SHEET_KINDS and _selected(pkg, ref.part):
            plan.edits.setdefault(ref.part, _SheetEdit(ref)).untick = True
    for part, edit in plan.edits.items():
        if not edit.plans:
            continue
        rels = pkg.rels(part)
        comments = [r.part for r in rels if r.type == "comments" and r.part in pkg.infos]
        edit.notes = _read_notes(pkg, comments[0] if comments else None, edit.plans)
        if edit.notes.changed:
            plan.deferred.add(rels_name(part))
            plan.deferred |= {r.part for r in rels if r.type in ("comments", "vmlDrawing")}
        if edit.notes.new:
            taken_ids = {r.id for r in rels}
            edit.vml_rid = _unique_id(taken_ids, "rIdPerfsheetVml")
            plan.defaults.append(("vml", _CT_VML))
            if edit.notes.part is None:
                edit.notes.part = _unique_part(plan.taken, "xl/comments{}.xml")
                edit.notes.created = True
                plan.overrides.append((edit.notes.part, _CT_COMMENTS))
                edit.notes_rid = _unique_id(taken_ids, "rIdPerfsheetComments")
        if edit.notes.part is not None and edit.notes.render() is None:
            plan.ct_drop.add(edit.notes.part)  # every note was perfsheet's: the part goes
            plan.removed.add(edit.notes.part)


def write_with_source_copy(
    out: Path,
    source: Path,
    plan: SummaryPlan,
    spec: Any,
    result: WorkbookResult,
    annotations: Sequence[AnnotationPlan] | Sequence[AnnotationBuilder],
    report: Any,
    own: set[str] | frozenset[str] = frozenset(),
    *,
    analyses: Sequence[TableAnalysis] | None = None,
) -> None:
    """Write ``out``: the user's package ``source`` with helper columns and marks, plus the
    standard sheets of ``plan`` (see :mod:`perfsheet.io.source_copy`). Raises
    :class:`SourceCopyError` for a package this copy does not understand: before anything is
    written when it can be seen from the package's small parts, else while the sheets are copied.

    ``result`` is the analyzed input and ``annotations`` its plans; or, with ``analyses`` (the
    input analyzed project by project, nothing completed yet), ``result`` holds only their
    tables (the titles' placeholders) and ``annotations`` are their
    :class:`~perfsheet.core.annotations.AnnotationBuilder` (one per analysis, in order): each
    is fed its table's projects as their rows are written, and finished before the user's
    sheets are copied."""
    from perfsheet.io.summary_writer import _workbook, placeholders_for, source_default_font

    try:
        z = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise SourceCopyError("不是 zip 压缩包") from err
    with z:
        with _unexpected():
            prep = _prepare(z, annotations, set(own), report)
            if analyses is None:
                _prepare_edits(prep, cast("Sequence[AnnotationPlan]", annotations))
        font = source_default_font(source) or spec.default_font
        sheets_class = _shifted_sheets_class()
        builders = cast("Sequence[AnnotationBuilder]", annotations if analyses is not None else ())

        def finish(package: Path, spools: Any, path: Path) -> None:
            plans = [b.finish() for b in builders]
            with _unexpected():
                if analyses is not None:
                    _prepare_edits(prep, plans)
                _assemble(prep, package, spools, path, plan.sheet_names[SHEET_PROJECTS])

        def each(k: int, done: ProjectAnalysis) -> None:
            builders[k].add_project(
                done.unit, done.project, done.indicator_findings, done.audit_findings
            )

        with _workbook(
            out, constant_memory=True, font=font, when=plan.generated_at, finish=finish
        ) as book:
            sheets = sheets_class(
                book.wb,
                plan,
                spec,
                spools=book.spools,
                placeholders=placeholders_for(plan, [result]),
                xf_offset=prep.styles.xf_offset,
            )
            if analyses is None:
                sheets.add(result, source.name)
            else:
                sheets.add_tables(analyses, source.name, each=each)
            sheets.finish()


@contextlib.contextmanager
def _unexpected() -> Iterator[None]:
    """Anything a package we do not understand can make this code raise becomes a
    :class:`SourceCopyError` (the caller rebuilds the sheets from their values): the input passed
    the reader's checks, so it is a workbook, only not one this copy can handle. Not the
    failures that must reach the user as they are: a full disk, memory, the time limit."""
    try:
        yield
    except (SourceCopyError, OSError, MemoryError, PerfsheetError):
        raise
    except Exception as err:
        raise SourceCopyError(f"{type(err).__name__}") from err


def _assemble(prep: _Plan, package: Path, spools: Any, path: Path, active: str) -> None:
    pkg = prep.pkg
    with zipfile.ZipFile(package) as sz, open(path, "wb") as fp:
        std = _Standard.read(sz, prep.taken)
        prep.styles.add_standard(std.styles)
        rids: list[str] = []
        taken_ids = {r.id for r in pkg.wb_rels}
        for _ in std.sheets:
            rids.append(_unique_id(taken_ids, "rIdPerfsheet"))
        wb_xml = _workbook_xml(pkg, prep.kept, std, rids, active)
        wb_rels = _rels_xml(
            pkg.text(pkg.wb_rels_part),
            prep.drop_wb_rels,
            [
                (rid, f"{_OFFICE_REL}/worksheet", std.rename[part])
                for rid, (_n, _t, part) in zip(rids, std.sheets, strict=True)
            ],
        )
        overrides = list(prep.overrides)
        overrides += [(new, std.content_type(part)) for part, new in std.rename.items()]
        defaults = list(prep.defaults)
        for m in re.finditer(r"<Default\b[^>]*>", std.ct):
            ext, ct = _get(m.group(0), "Extension"), _get(m.group(0), "ContentType")
            if ext and ct:
                defaults.append((ext, ct))
        ct = _content_types(pkg, prep.drop | prep.ct_drop, overrides, defaults)
        worksheets = [s.name for s in prep.kept if s.kind == "worksheet"]
        app = _app_props(pkg, worksheets + [n for n, _, _ in std.sheets])

        out = ZipOut(fp)
        for info in pkg.z.infolist():
            name = info.filename
            if name in prep.drop or name in prep.deferred or name == pkg.styles_part:
                continue
            if name == "[Content_Types].xml":
                out.add_bytes(name, ct.encode("utf-8"))
            elif name == pkg.workbook:
                out.add_bytes(name, wb_xml.encode("utf-8"))
            elif name == pkg.wb_rels_part:
                out.add_bytes(name, wb_rels.encode("utf-8"))
            elif app is not None and name == app[0]:
                out.add_bytes(name, app[1])
            elif name in prep.edits:
                _write_sheet(prep, prep.edits[name], out)
            else:
                out.add_raw(name, pkg.z, info)
        written = set(out.names)
        for name in sorted(prep.deferred - written - prep.removed):
            if name in pkg.infos and name not in out.names:
                out.add_raw(name, pkg.z, pkg.infos[name])
        std.write(out, spools, prep.styles)
        out.add_bytes(pkg.styles_part, prep.styles.render().encode("utf-8"))
        out.close()


def _write_sheet(prep: _Plan, edit: _SheetEdit, out: ZipOut) -> None:
    """Stream one sheet part into ``out``, then its notes and relationships when they change."""
    pkg = prep.pkg
    part = edit.ref.part
    try:
        with pkg.z.open(part) as src, out.open(part) as dst:
            if edit.ref.kind != "worksheet":  # a chart sheet: only its selection changes
                xml = _text(src.read(), "工作表")
                xml = re.sub(
                    r"<(?:[\w.-]+:)?sheetView\b" + _ATTRS + r"\s*/?>",
                    lambda m: _drop(m.group(0), "tabSelected"),
                    xml,
                )
                dst.write(xml.encode("utf-8"))
                return
            legacy = _SheetWriter(edit, prep.styles, src, dst).run()
    except SourceCopyError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise SourceCopyError(f"无法读取部件 {part}") from err
    except Exception as err:
        import zlib

        if isinstance(err, zlib.error):
            raise SourceCopyError(f"无法读取部件 {part}") from err
        raise
    notes = edit.notes
    if notes is None or not notes.changed:
        return
    rels = pkg.rels(part)
    by_id = {r.id: r for r in rels}
    drop_ids: set[str] = set()
    add: list[tuple[str, str, str]] = []
    # the comments part
    body = notes.render()
    comment_rels = [r for r in rels if r.type == "comments"]
    if body is None:
        drop_ids |= {r.id for r in comment_rels}
    else:
        assert notes.part is not None
        out.add_bytes(notes.part, body.encode("utf-8"))
        if not comment_rels:
            assert edit.notes_rid is not None
            add.append((edit.notes_rid, f"{_OFFICE_REL}/comments", notes.part))
    # the drawing of the notes
    vml_rel = by_id.get(legacy) if legacy is not None else None
    if notes.new and prep.vml_blocks is None:  # the shape-id blocks of every drawing
        prep.vml_blocks = set()
        for name in pkg.infos:
            if name.lower().endswith(".vml") and name not in prep.drop:
                prep.vml_blocks |= _vml_blocks(pkg.read(name))
    taken_blocks = prep.vml_blocks if prep.vml_blocks is not None else set()
    new_cells = sorted(notes.new)
    if vml_rel is not None and vml_rel.part in pkg.infos:
        data = _vml(pkg.read(vml_rel.part), notes.removed, new_cells, taken_blocks)
        out.add_bytes(vml_rel.part, data)
    elif new_cells:
        assert edit.vml_rid is not None
        name = _unique_part(prep.taken, "xl/drawings/vmlDrawing{}.vml")
        out.add_bytes(name, _vml(None, set(), new_cells, taken_blocks))
        add.append((edit.vml_rid, f"{_OFFICE_REL}/vmlDrawing", name))
    for r in rels:  # other drawings of the sheet (header/footer pictures…) as they are
        other = vml_rel is None or r.part != vml_rel.part
        if r.type == "vmlDrawing" and r.part in pkg.infos and r.part not in out.names and other:
            out.add_raw(r.part, pkg.z, pkg.infos[r.part])
    rp = rels_name(part)
    if rp in pkg.infos:
        out.add_bytes(rp, _rels_xml(pkg.text(rp), drop_ids, add).encode("utf-8"))
    elif add:
        out.add_bytes(rp, _new_rels(add).encode("utf-8"))
