"""Score a corpus of shards on Ray: a local Ray on this machine, or a cluster (``--address``).

Ray Data hands the shards to a pool of workers, each holding one ``EmotionClassifier`` (loaded once
per worker, ONNX Runtime threads = the CPUs Ray gives it). A worker streams its shard through
``scoring.score_file`` into ``OUTPUT_DIR/<shard>.parquet`` (written under a temporary name and renamed
when complete), so a rerun skips the shards already written and nothing is ever half-written.
"""

from __future__ import annotations

import glob
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..files import table_suffix
from .scoring import ScoringError, score_file

log = logging.getLogger(__name__)
SUFFIXES = (".parquet", ".jsonl", ".jsonl.zst")  # shard formats (score.py's inputs less CSV and TSV)


def shard_name(path: Path) -> str:
    """``a.jsonl.zst`` -> ``a``: the output shard's stem."""
    return path.name[: -len(table_suffix(path))]


def list_shards(source: str) -> list[Path]:
    """The input shards: every parquet / JSONL / .jsonl.zst file in a folder, or the files a glob matches."""
    folder = Path(source)
    paths = sorted(folder.iterdir()) if folder.is_dir() else sorted(Path(p) for p in glob.glob(source))
    shards = [p for p in paths if p.is_file() and p.name.endswith(SUFFIXES) and not p.name.startswith(".")]
    if not shards:
        raise ScoringError(f"No .parquet, .jsonl or .jsonl.zst shards in {source}; give a folder or a quoted glob.")
    names = [shard_name(p) for p in shards]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise ScoringError(f"Shards would write the same output ({', '.join(clash)}.parquet); rename one of each pair.")
    return shards


@dataclass(frozen=True)
class Job:
    """One scoring job; what each worker needs to build its classifier."""

    checkpoint: str
    output: str
    text_column: str = "text"
    backend: str = "auto"
    threshold: float | str | None = None  # a threshold choice (``thresholds.resolve``): a number, or "global"
    profile: str | None = None  # the path of a profile (adapt.py): its thresholds, heads and new labels
    chunk_size: int = 2048
    batch_size: int = 64

    def target(self, shard: Path) -> Path:
        return Path(self.output) / f"{shard_name(shard)}.parquet"


class ShardScorer:
    """A Ray worker: one classifier, any number of shards."""

    def __init__(self, job: Job, threads: int) -> None:
        from .predict import EmotionClassifier  # in the worker: the driver need not load a model

        self.job = job
        self.classifier = EmotionClassifier(job.checkpoint, batch_size=job.batch_size, backend=job.backend,
                                            threads=threads, profile=job.profile)

    def __call__(self, batch: dict) -> dict:
        import resource

        rows, errors, seconds, memory = [], [], [], []
        for path in batch["path"]:
            started = time.perf_counter()
            try:
                rows.append(score_file(self.classifier, path, self.job.target(Path(path)), self.job.text_column,
                                       self.job.chunk_size, self.job.threshold))
                errors.append("")
            except Exception as err:  # reported per shard by the driver; the other shards go on
                rows.append(0)
                errors.append(f"{type(err).__name__}: {err}" if not isinstance(err, ScoringError) else str(err))
            seconds.append(time.perf_counter() - started)
            memory.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # Linux: KiB
        return {"path": list(batch["path"]), "rows": rows, "error": errors, "seconds": seconds, "peak_rss_mb": memory}


@dataclass
class Report:
    scored: int = 0  # shards written by this run
    skipped: int = 0  # shards already written by an earlier run
    rows: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (shard, why)
    seconds: float = 0.0  # from Ray's start to the last shard
    peak_rss_mb: float = 0.0  # the largest worker's peak memory


def score_shards(source: str, job: Job, address: str | None = None, workers: int | None = None,
                 cpus_per_worker: int = 1, progress=None) -> Report:
    """Score every shard of ``source`` not yet written into ``job.output``; see the module docstring."""
    import ray

    shards = list_shards(source)
    Path(job.output).mkdir(parents=True, exist_ok=True)
    todo = [p for p in shards if not job.target(p).exists()]
    report = Report(skipped=len(shards) - len(todo))
    if report.skipped:
        log.info("%d of %d shards already written in %s; scoring the other %d", report.skipped, len(shards),
                 job.output, len(todo))
    if not todo:
        return report
    started = time.perf_counter()
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=(workers or 1) * cpus_per_worker, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False  # ours counts shards and rows
    size = workers or max(1, int(ray.cluster_resources().get("CPU", 1)) // cpus_per_worker)
    items = ray.data.from_items([{"path": str(p)} for p in todo], override_num_blocks=len(todo))
    results = items.map_batches(ShardScorer, fn_constructor_args=(job, cpus_per_worker), batch_size=1,
                                compute=ray.data.ActorPoolStrategy(size=min(size, len(todo))), num_cpus=cpus_per_worker)
    for row in results.iter_rows():
        if row["error"]:
            report.failed.append((row["path"], row["error"]))
            log.error("%s: %s", row["path"], row["error"])
        else:
            report.scored += 1
            report.rows += row["rows"]
        report.peak_rss_mb = max(report.peak_rss_mb, row["peak_rss_mb"])
        if progress is not None:
            progress(row)
    report.seconds = time.perf_counter() - started
    return report

