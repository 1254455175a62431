"""The per-file step: one input workbook -> its summary workbook + its row cache.

:func:`convert_file` is THE function every runner executes (the local process pool, a Dask
cluster). Contract:

- takes a :class:`~perfsheet.batch.models.FileJob` (picklable, absolute paths) and returns a
  compact :class:`~perfsheet.batch.models.FileResult` (status, counts, paths — never the model);
- never raises: every problem becomes ``status="failed"`` with a one-line Chinese ``error`` and a
  stable ``reason_code``; an input that is one of perfsheet's own outputs (all its sheets are
  ones perfsheet generated) is ``status="skipped"``, ``reason_code="own-output"``;
- writes only ``job.output`` and ``job.cache`` (both checked to lie inside ``job.outdir``), each
  atomically (temporary sibling + ``os.replace``), output first; never writes the input;
- is a module-level function of an importable module, so it runs under the ``spawn`` start method
  and on remote Dask workers; it keeps no global state and is thread-safe.
"""

from __future__ import annotations

import fnmatch
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from perfsheet.batch.cache import CACHE_FORMAT, CACHE_VERSION, CacheMeta, CacheWriter
from perfsheet.batch.duplicates import table_infos
from perfsheet.batch.layout import ConsolidatedLook
from perfsheet.batch.models import Counts, FileJob, FileResult, ReasonCode
from perfsheet.batch.naming import inside, temp_path_for
from perfsheet.batch.rows import consolidated_plan, write_rows
from perfsheet.core.counts import count_result
from perfsheet.core.models import WorkbookResult
from perfsheet.errors import (
    WRITE_ERRNOS,
    InputError,
    OutputError,
    PerfsheetError,
    TableNotFoundError,
    os_error_in,
)
from perfsheet.io.atomic import release_zip_files

if TYPE_CHECKING:
    from perfsheet.core.summary_rows import QualityScorer
    from perfsheet.io.template import TemplateSpec
    from perfsheet.summary import AnalyzedInput

# Test-only fault injection, honoured by the worker itself so that the engine around it is tested
# for real: ``"hang:*slow*.xlsx;crash:*boom*"`` makes matching inputs hang (sleep) or kill their
# worker process (``os._exit``), like a pathological file or a crashing native library would.
FAULTS_ENV = "PERFSHEET_TESTING_BATCH_FAULTS"


class NoTableError(PerfsheetError):
    """The workbook was read but holds no 绩效目标表."""


class OwnOutput(Exception):
    """The workbook is one of perfsheet's outputs: its sheets are all ones perfsheet generated
    (the test of ``perfsheet summary``: :func:`perfsheet.core.sheets.own_sheets`). Skipped."""


OWN_OUTPUT_REASON = (
    "perfsheet 生成的汇总表（只含 perfsheet 生成的工作表：其「说明」记有 perfsheet 版本和"
    "生成的工作表），不再转换，已跳过"
)


def convert_file(job: FileJob) -> FileResult:
    """Convert one input; see the module docstring for the contract."""
    started = time.perf_counter()
    code: ReasonCode
    try:
        _inject_fault(job)
        counts = _convert(job)
    except OwnOutput:
        return FileResult(
            input=job.display,
            status="skipped",
            reason=OWN_OUTPUT_REASON,
            reason_code="own-output",
            seconds=round(time.perf_counter() - started, 3),
        )
    except NoTableError as err:
        message, code = str(err), "no-table"
    except OutputError as err:
        message, code = str(err), "output-error"
    except PerfsheetError as err:
        message, code = str(err), "input-error"
    except MemoryError:
        message, code = f"无法读取 {job.display}：内存不足", "input-error"
    except RecursionError:
        message, code = f"无法读取 {job.display}：结构嵌套过深", "input-error"
    except Exception as err:  # a bug must cost one file, not the batch
        detail = " ".join(f"{type(err).__name__}: {err}".split())[:300]
        message, code = f"处理 {job.display} 时发生内部错误：{detail}", "internal-error"
    else:
        return FileResult(
            input=job.display,
            status="ok",
            output=job.output,
            cache=job.cache,
            counts=counts,
            seconds=round(time.perf_counter() - started, 3),
        )
    return FileResult(
        input=job.display,
        status="failed",
        error=message,
        reason_code=code,
        seconds=round(time.perf_counter() - started, 3),
    )


def _inject_fault(job: FileJob) -> None:
    spec = os.environ.get(FAULTS_ENV)
    if not spec:
        return
    name = Path(job.input).name
    for item in spec.split(";"):
        kind, _, pattern = item.partition(":")
        if not pattern or not fnmatch.fnmatchcase(name, pattern):
            continue
        if kind == "hang":
            deadline = time.monotonic() + 3600
            while time.monotonic() < deadline:
                time.sleep(0.05)
        elif kind == "crash":
            os._exit(86)


def _check_destination(job: FileJob) -> tuple[Path, Path]:
    outdir = Path(job.outdir)
    output = Path(job.output)
    cache = Path(job.cache)
    for target in (output, cache):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputError.from_os(target, err) from err
        if not inside(outdir, target.parent):
            raise OutputError(f"输出路径 {target} 不在输出目录内，已拒绝写入", target)
    return output, cache


def _convert(job: FileJob) -> Counts:
    """read_workbook -> analyze -> summary workbook (+ the row cache for the merge)."""
    from perfsheet.io.template import load_template
    from perfsheet.summary import OwnOutputError, audit_hooks, read_and_analyze

    output, cache = _check_destination(job)
    try:
        st = os.stat(job.input)
    except OSError as err:
        raise InputError(job.display, err.strerror or str(err)) from err
    spec = job.template_spec if job.template_spec is not None else load_template(None)
    audit_rules, scorer, quality_doc = audit_hooks(job.rules)

    # The same read as `perfsheet summary`: a perfsheet output given back as input keeps its
    # own (generated) sheets out of the analysis.
    try:
        analyzed = read_and_analyze(Path(job.input), audit_rules=audit_rules)
    except OwnOutputError as err:  # nothing but our own sheets: an output, not an input
        raise OwnOutput() from err
    except TableNotFoundError as err:  # read fine, but no table (or only our own sheets)
        raise NoTableError(str(err)) from err
    if not analyzed.result.tables:
        raise NoTableError(f"无法读取 {job.display}：未找到绩效目标表")
    result = analyzed.result.model_copy(update={"file": job.source})
    if not job.with_source:
        analyzed = None  # keep the worker's peak memory down

    counts = count_result(result)
    meta = CacheMeta(
        format=CACHE_FORMAT,
        version=CACHE_VERSION,
        fingerprint=job.fingerprint,
        source=job.source,
        input_size=st.st_size,
        input_mtime_ns=st.st_mtime_ns,
        output=output.name,
        counts=counts,
        tables=table_infos(result),  # for the parent's duplicate check
    )
    try:
        with CacheWriter(cache, meta) as rows:
            look = ConsolidatedLook(spec)
            plan = consolidated_plan(look, scorer, quality_doc)
            write_rows(result, job.source, rows, plan, look)
            write_output(job, result, output, spec, (scorer, quality_doc), analyzed)
            rows.commit()
    except PerfsheetError:
        raise
    except OSError as err:  # a full disk, a read-only folder, an output open in Excel
        release_zip_files(err)
        raise OutputError.from_os(output, err) from err
    except Exception as err:  # XlsxWriter wraps the OSError of a full disk
        release_zip_files(err)
        cause = os_error_in(err)
        if cause is None or cause.errno not in WRITE_ERRNOS:
            raise
        raise OutputError.from_os(output, cause) from err
    return counts


def write_output(
    job: FileJob,
    result: WorkbookResult,
    output: Path,
    spec: TemplateSpec,
    quality: tuple[QualityScorer, str | None],
    analyzed: AnalyzedInput | None = None,
) -> None:
    """The summary workbook of one input, written atomically (temp + rename).

    Default (fast path): the standard sheets only, from ``result`` (no second parse).
    ``--with-source``: :func:`perfsheet.summary.summarize` on the input already read and
    analyzed (``analyzed``, from :func:`perfsheet.summary.read_and_analyze`).
    """
    from perfsheet.io.summary_writer import write_standard_only
    from perfsheet.summary import summary_plan

    if job.with_source:
        from perfsheet.summary import summarize

        summarize(
            Path(job.input),
            output,
            spec=spec,
            with_source=True,
            rules=job.rules,
            analyzed=analyzed,
            render_process=False,  # the other files keep the other cores busy
        )
        return
    scorer, quality_doc = quality
    plan = summary_plan(
        spec, result, job.source, with_source=False, scorer=scorer, quality_doc=quality_doc
    )
    tmp = temp_path_for(output)
    try:
        write_standard_only(tmp, plan, spec, [(result, job.source)])
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
