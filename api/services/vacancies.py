"""Vacancy ingest through the API: the CLI's pipeline (ingest.vacancy_ingest) on a request body
of JobPosting JSON-LD objects; the enricher (atlas codes, geography, skill extraction) is built
once and kept."""
from __future__ import annotations

import json
import threading
from pathlib import Path

from neo4j import Driver

from api.deps import Ctx
from api.services import desks
from ingest.report import Problem
from ingest.source_files import Unreadable, reader_for, unknown_file_type, uploaded_text
from ingest.vacancy_readers import JSON_SUFFIXES, FileProblem, read_csv_text, read_json_lines, read_json_text
from ingest.vacancy_validation import identifier_of
from graph_schema.settings import Settings

SOURCE = "request"
_lock = threading.Lock()


def _pipeline():
    """The CLI's vacancy pipeline, imported with the first vacancy posted, not with the routes: its
    skill extraction brings scipy.sparse, ~11 MB of private memory in every API worker, most of
    which serve coaches and never ingest (docs/bench-api.md)."""
    from ingest import vacancy_ingest
    return vacancy_ingest


def _enricher(cache: dict, driver: Driver, database: str, settings: Settings):
    with _lock:
        if "vacancy_enricher" not in cache:
            cache["vacancy_enricher"] = _pipeline().build_enricher(
                driver, database, settings.data_dir, settings.work_dir, settings.embedding_model,
                extract=settings.api_semantic, semantic=settings.api_semantic)
        return cache["vacancy_enricher"]


def ingest_vacancy_batch(ctx: Ctx, cache: dict, items: list) -> dict:
    return _ingest(ctx, cache, list(read_json_text(json.dumps(items), SOURCE)))


def ingest_vacancy_text(ctx: Ctx, cache: dict, text: str, filename: str) -> dict:
    """A file's content as uploaded on the employer desk's page: JSON-LD (.json), JSON Lines
    (.jsonl) or CSV (.csv, also `;`-separated as Dutch Excel writes it), by the name's ending;
    pasted text without a name by its first character. The same answer per row as POST /vacancies."""
    if not text.strip("\ufeff \t\r\n"):
        empty = Problem(filename.strip() or "-", "", "", "empty: nothing to read", "leeg: er is niets te lezen")
        return _ingest(ctx, cache, [FileProblem(empty, "json")])
    name = filename.strip() or ("pasted.json" if text.lstrip("\ufeff \t\r\n")[:1] in ("{", "[") else "pasted.csv")
    suffix = Path(name).suffix.lower()
    reader = reader_for(suffix, JSON_SUFFIXES, read_json_text, read_json_lines, read_csv_text)
    if reader is None:  # the command line's rule: an .xlsx is not read as malformed JSON
        return _ingest(ctx, cache, [unknown_file_type(name, suffix, JSON_SUFFIXES)])
    try:
        text = uploaded_text(text.lstrip("\ufeff"))
    except Unreadable as exc:
        unread = Problem(name, exc.location, "", exc.reason, exc.reason_nl)
        return _ingest(ctx, cache, [FileProblem(unread, "json")])
    return _ingest(ctx, cache, list(reader(text, name)))


def _ingest(ctx: Ctx, cache: dict, records: list) -> dict:
    """New vacancies are the sender's (added_by, when a desk sends them); a desk's records for a
    stored vacancy it does not work for are rejected (api/access.py)."""
    enricher = _enricher(cache, ctx.driver, ctx.database, ctx.settings)
    desk = desks.scope(ctx)
    report = _pipeline().ingest_records(iter(records), ctx.driver, ctx.database, enricher,
                                        added_by=desk.subject if desk else None,
                                        may_change=desk.covers if desk else None)
    rejected_at: dict[str, list] = {}
    for rejection in report.rejections:
        for p in rejection.problems:
            rejected_at.setdefault(p.location, []).append(p.as_answer())
    out = []
    for i, record in enumerate(records):
        index = _item_index(record.location, i)
        if record.location in rejected_at:
            out.append({"index": index, "status": "rejected", "id": None, "problems": rejected_at[record.location]})
        else:
            ident = identifier_of(record.data)
            status = "unchanged" if ident in report.unchanged_ids else "landed"
            out.append({"index": index, "status": status, "id": ident, "problems": []})
    return {"run_id": report.run_id, "landed": report.landed, "unchanged": report.unchanged,
            "rejected": report.rejected, "items": out, "warnings": [w.as_answer() for w in report.warnings],
            "summary": report.summary()}


def _item_index(location: str, fallback: int) -> int:
    """The request item a record came from: "/3" or "/3/@graph/1" is item 3 (a document's @graph
    may hold several postings); a file upload's "row 3" or "line 3" keeps the record's place."""
    head = location.split("/")[1] if location.startswith("/") else ""
    return int(head) if head.isdigit() else fallback
