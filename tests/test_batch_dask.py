"""``perfsheet convert --scheduler``: the same per-file function on a Dask cluster."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from batch_workbooks import write_department
from perfsheet.batch.command import ConvertOptions
from perfsheet.batch.naming import CONSOLIDATED_NAME, REPORT_NAME
from perfsheet.batch.progress import run_convert
from perfsheet.errors import UsageError

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():  # type: ignore[no-untyped-def]
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as c:
        yield c


def test_convert_on_a_dask_cluster(cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    inbox = tmp_path / "in"
    write_department(inbox / "a.xlsx", "甲局", 4, seed=1)
    write_department(inbox / "sub" / "b.xlsx", "乙局", 6, units=2, seed=2)
    (inbox / "broken.xlsx").write_text("not a workbook", encoding="utf-8")
    (inbox / "~$a.xlsx").write_bytes(b"lock")
    out = tmp_path / "out"
    stdout = io.StringIO()
    code = run_convert(
        ConvertOptions(
            paths=[inbox],
            outdir=out,
            recursive=True,
            scheduler=cluster.scheduler_address,
        ),
        stdout=stdout,
        as_json=True,
    )
    assert code == 1
    report = json.loads(stdout.getvalue())
    assert report == json.loads((out / REPORT_NAME).read_text(encoding="utf-8"))
    files = {Path(f["input"]).name: f for f in report["files"]}
    assert files["a.xlsx"]["status"] == "ok" and files["a.xlsx"]["projects"] == 4
    assert files["b.xlsx"]["status"] == "ok" and files["b.xlsx"]["projects"] == 6
    assert Path(files["b.xlsx"]["output"]) == out / "sub" / "b_绩效汇总.xlsx"
    assert files["broken.xlsx"]["status"] == "failed"
    assert "不是 Excel 工作簿" in files["broken.xlsx"]["error"]
    assert files["~$a.xlsx"]["status"] == "skipped"
    assert report["summary"]["scheduler"] == cluster.scheduler_address
    assert report["summary"]["projects"] == 10
    assert (out / CONSOLIDATED_NAME).is_file()
    assert Path(files["a.xlsx"]["output"]).is_file()


def test_unreachable_scheduler_is_a_usage_error(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    write_department(inbox / "a.xlsx", "甲局", 2, seed=1)
    with pytest.raises(UsageError, match="无法连接 Dask 调度器"):
        run_convert(
            ConvertOptions(
                paths=[inbox],
                outdir=tmp_path / "out",
                scheduler="tcp://127.0.0.1:9",
                connect_timeout=2,
            ),
            stdout=io.StringIO(),
        )
    assert not (tmp_path / "out").exists()


def test_hung_task_times_out_and_its_worker_is_restarted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from perfsheet.batch.worker import FAULTS_ENV

    inbox = tmp_path / "in"
    for name in ("a", "hang", "z"):
        write_department(inbox / f"{name}.xlsx", name, 2, seed=len(name))
    monkeypatch.setenv(FAULTS_ENV, "hang:hang*")  # inherited by the cluster's worker process
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cl:
        stdout = io.StringIO()
        code = run_convert(
            ConvertOptions(
                paths=[inbox],
                outdir=tmp_path / "out",
                timeout=5,
                scheduler=cl.scheduler_address,
            ),
            stdout=stdout,
            as_json=True,
        )
    assert code == 1
    files = {Path(f["input"]).name: f for f in json.loads(stdout.getvalue())["files"]}
    assert files["hang.xlsx"]["reason_code"] == "timeout"
    # One worker thread: "z" could only run because the hung worker was restarted.
    assert files["a.xlsx"]["status"] == "ok"
    assert files["z.xlsx"]["status"] == "ok"
