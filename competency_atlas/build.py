"""`atlas build`: reference data -> rows (pure) -> Neo4j (batched), with progress and a summary.

Release identity: version = "esco-<v>+esco-nl-<v>+onet-<v>+<12 hex of the sources checksum>", the
checksum covering every source file, the project's own mapping files and MODEL_VERSION (bumped
when the assembly logic changes what the graph holds). Same sources -> same version -> the
rebuild re-MERGEs identical values; anything else -> a new version, and the stale sweep removes
what the old release had that the new one does not.
"""
from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

from neo4j import Driver
from tqdm import tqdm

from competency_atlas import atlas_repository as repo
from competency_atlas.assemble import AtlasRows, assemble
from competency_atlas.sources import load_sources, locate, source_checksum, source_files

MODEL_VERSION = "atlas-model-1"


@dataclass(frozen=True)
class ReleaseId:
    version: str
    checksum: str
    sources: dict[str, str]


@dataclass
class BuildResult:
    release: ReleaseId
    stats: dict
    seconds: float
    peak_memory_mb: float
    removed: dict[str, int] = field(default_factory=dict)
    report: dict = field(default_factory=dict)
    labels_embedded: int = 0
    texts_encoded: int = 0
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        report = {k: (len(v) if isinstance(v, list) else v) for k, v in self.report.items()}
        return {"atlas_version": self.release.version, "seconds": round(self.seconds, 1),
                "peak_memory_mb": round(self.peak_memory_mb, 1), **self.stats,
                "labels_embedded": self.labels_embedded, "texts_encoded": self.texts_encoded,
                "removed_from_previous_release": self.removed, "stage_seconds": self.stage_seconds,
                "report": report}


def release_id(data_dir: Path) -> ReleaseId:
    folders = locate(data_dir)
    checksum = source_checksum(source_files(folders), extra=MODEL_VERSION)
    v = folders.versions
    version = f"esco-{v['esco']}+esco-nl-{v['esco_nl']}+onet-{v['onet']}+{checksum[:12]}"
    return ReleaseId(version, checksum, v)


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _writes(rows: AtlasRows) -> list[tuple[str, str, list[dict]]]:
    """(stage name, query, rows) in dependency order: nodes before the relationships between them."""
    labels = {t: [r for r in rows.labels if r["target"] == t] for t in repo.Q_LABELS}
    return [
        ("competencies", repo.Q_COMPETENCIES, rows.competencies),
        ("competency broader", repo.Q_COMPETENCY_BROADER, rows.competency_broader),
        ("skill relations", repo.Q_RELATED, rows.related),
        ("collections", repo.Q_COLLECTIONS, rows.collections),
        ("collection members", repo.Q_COLLECTION_MEMBERS, rows.collection_members),
        ("O*NET-ESCO equivalents", repo.Q_SAME_AS, rows.same_as),
        ("ISCO groups", repo.Q_ISCO, rows.isco_groups),
        ("ISCO broader", repo.Q_ISCO_BROADER, rows.isco_broader),
        ("occupations", repo.Q_OCCUPATIONS, [{k: v for k, v in o.items()} for o in rows.occupations]),
        ("occupation broader", repo.Q_OCCUPATION_BROADER, rows.occupation_broader),
        ("O*NET occupations", repo.Q_ONET, rows.onet_occupations),
        ("crosswalk", repo.Q_CROSSWALK, rows.crosswalk),
        ("ISCO crosswalk", repo.Q_ISCO_CROSSWALK, rows.isco_crosswalk),
        ("occupation labels", repo.Q_LABELS["Occupation"], labels["Occupation"]),
        ("competency labels", repo.Q_LABELS["Competency"], labels["Competency"]),
        ("requirements", repo.Q_REQUIRES, rows.requirements),
        ("similar occupations", repo.Q_SIMILAR, rows.similar),
    ]


def is_current(driver: Driver, data_dir: Path, database: str = "neo4j") -> bool:
    current = repo.AtlasRepository(driver, database).current_release()
    return bool(current) and current.get("version") == release_id(data_dir).version


def build_atlas(driver: Driver, data_dir: Path, *, database: str = "neo4j", embeddings: bool = True,
                model_name: str | None = None, work_dir: Path | None = None, similar_k: int = 10,
                show_progress: bool = True) -> BuildResult:
    started = time.perf_counter()
    release = release_id(data_dir)
    store = repo.AtlasRepository(driver, database)
    say = tqdm.write if show_progress else (lambda _msg: None)

    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(timings.get(stage, 0.0) + now - clock, 1)
        clock = now

    say(f"atlas {release.version}: reading {data_dir}")
    rows = assemble(load_sources(data_dir), similar_k=similar_k)
    lap("read and assemble")
    writes = _writes(rows)
    store.begin_release(release.version, release.checksum, release.sources)
    with tqdm(total=sum(len(r) for _, _, r in writes), unit="row", disable=not show_progress,
              desc="writing", dynamic_ncols=True) as bar:
        for stage, query, stage_rows in writes:
            bar.set_postfix_str(stage)
            store.write(query, stage_rows, release.version, progress=bar.update)
            lap(f"write {stage}")
    say("removing what other releases left behind")
    removed = store.sweep_stale(release.version)
    lap("sweep other releases")
    store.complete_release(release.version, _counts(rows), time.perf_counter() - started)

    embedded = encoded = 0
    if embeddings:
        embedded, encoded = embed_labels(store, model_name, work_dir, show_progress)
        lap("label embeddings")
    stats = store.stats()
    lap("stats")
    return BuildResult(release, stats, time.perf_counter() - started, peak_memory_mb(),
                       removed, rows.report, embedded, encoded, timings)


def embed_labels(store: repo.AtlasRepository, model_name: str | None, work_dir: Path | None,
                 show_progress: bool = True, limit: int | None = None) -> tuple[int, int]:
    """Writes Label.embedding for every atlas label that lacks one for this model; (labels, texts encoded)."""
    from competency_atlas.embedding_cache import cached_vectors
    from graph_schema.settings import settings

    model_name = model_name or settings().embedding_model
    work_dir = work_dir or settings().work_dir
    todo = store.labels_without_embedding(model_name)[:limit]
    if not todo:
        return 0, 0
    texts = [r["text"] for r in todo]
    with tqdm(total=len(set(texts)), unit="text", desc="encoding labels (new texts only)",
              disable=not show_progress, dynamic_ncols=True) as bar:
        vectors, encoded = cached_vectors(work_dir / "embeddings", texts, model_name, progress=bar.update)
    with tqdm(total=len(todo), unit="label", desc="writing embeddings", disable=not show_progress,
              dynamic_ncols=True) as bar:
        store.write_embeddings([r["key"] for r in todo], vectors, model_name, progress=bar.update)
    return len(todo), encoded


def _counts(rows: AtlasRows) -> dict[str, int]:
    return {"occupations": len(rows.occupations), "competencies": len(rows.competencies),
            "labels": len(rows.labels), "requirements": len(rows.requirements), "similar_to": len(rows.similar),
            "crosswalk": len(rows.crosswalk)}
