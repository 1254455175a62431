"""Boundary types of batch conversion: what the parent sends to a worker (:class:`FileJob`),
what a worker sends back (:class:`FileResult`), and the report document (:class:`ConvertReport`).

A :class:`FileResult` is deliberately compact (counts and paths, never the parsed model): the
rows of the consolidated workbook travel through the per-file row cache on disk, so the parent's
memory does not grow with the size or the number of the inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from perfsheet.core.audit import AuditRules
from perfsheet.core.counts import Counts
from perfsheet.io.template import TemplateSpec

__all__ = ["Counts"]  # re-exported: the row cache stores these counts

Status = Literal["ok", "failed", "skipped"]

# Stable, machine-readable reasons (the Chinese text is in ``reason`` / ``error``).
ReasonCode = Literal[
    "up-to-date",
    "lock-file",
    "hidden",
    "not-workbook",
    "not-a-file",
    "own-output",
    "template",
    "interrupted",
    "input-error",
    "no-table",
    "timeout",
    "crashed",
    "output-error",
    "internal-error",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileJob(_Model):
    """Everything a worker needs to convert one input. Picklable; paths are absolute strings."""

    input: str  # absolute path that is read
    display: str  # the input as the user sees it (report ``input``)
    source: str  # relative path shown in the 来源文件 column
    output: str  # absolute path of ``<stem>_绩效汇总.xlsx``
    cache: str  # absolute path of the row-cache sidecar
    outdir: str  # absolute OUTDIR: the worker refuses to write anywhere else
    with_source: bool = False
    template_spec: TemplateSpec | None = None  # of --template; None: the built-in template
    rules: AuditRules | None = None  # --rules, loaded once by the parent; None: the defaults
    fingerprint: str = ""  # options that make an output stale when they change


class FileResult(_Model):
    """What a worker returns for one input (``skipped``: it is one of perfsheet's own outputs,
    recognised by its sheets)."""

    input: str
    status: Status
    output: str | None = None
    cache: str | None = None
    error: str | None = None
    reason: str | None = None  # Chinese, for skipped inputs
    reason_code: ReasonCode | None = None
    counts: Counts = Field(default_factory=Counts)
    seconds: float = 0.0


@dataclass(slots=True)
class Duplicate:
    """A table of this input that is the same as one read before it in the run (the same
    department, projects and amounts: :func:`perfsheet.batch.duplicates.table_key`)."""

    sheet: str  # this input's sheet holding the table
    department: str | None
    same_as: str  # the input holding the first copy (its report ``input``)
    same_as_sheet: str
    counted: bool  # counted in the consolidated totals anyway (``--keep-duplicates``)
    message: str  # Chinese, one line, naming both files


@dataclass(slots=True)
class FileEntry:
    """One line of the report's ``files`` list.

    A slotted dataclass rather than a pydantic model: the parent keeps one per input for the
    whole run, so it must be small (the report is written by streaming these, see
    :func:`perfsheet.batch.report.write_report`)."""

    input: str
    status: Status
    output: str | None = None
    error: str | None = None  # Chinese, for failed inputs
    reason: str | None = None  # Chinese, for skipped inputs
    reason_code: ReasonCode | None = None
    tables: int = 0
    projects: int = 0
    indicators: int = 0
    errors: int = 0
    warnings: int = 0
    seconds: float = 0.0
    # Its tables that repeat a table read before (a tuple: no list per entry when there are none)
    duplicates: tuple[Duplicate, ...] = ()

    def counts(self) -> Counts:
        return Counts(
            tables=self.tables,
            projects=self.projects,
            indicators=self.indicators,
            errors=self.errors,
            warnings=self.warnings,
        )


class Summary(_Model):
    total: int = 0  # entries in ``files``
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    up_to_date: int = 0  # skipped because the output is current (they still feed the merge)
    interrupted: bool = False
    duplicates: int = 0  # tables that repeat one read before (see FileEntry.duplicates)
    keep_duplicates: bool = False  # --keep-duplicates: they are counted all the same
    # Totals of the consolidated workbook: the inputs that feed it (ok + up to date), without
    # the duplicate tables unless keep_duplicates; warnings include one per duplicate.
    tables: int = 0
    projects: int = 0
    indicators: int = 0
    errors: int = 0
    warnings: int = 0
    seconds: float = 0.0  # wall-clock time of the whole run
    jobs: int = 1
    scheduler: str | None = None
    consolidated_error: str | None = None
    exit_code: int = 0


class ConvertReport(_Model):
    """``OUTDIR/convert-report.json`` (and ``perfsheet convert --json`` on stdout).

    The schema of the report; the document itself is written by streaming (it lists every
    input), and this model validates it (tests, consumers)."""

    files: list[FileEntry] = Field(default_factory=list)
    consolidated: str | None = None
    summary: Summary = Field(default_factory=Summary)
    # Not in the document: why the document itself could not be written (a full disk…).
    report_error: str | None = Field(default=None, exclude=True)
