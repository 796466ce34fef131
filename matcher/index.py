"""The compiled in-memory match index: the hot path for ranking at a million clients.

Neo4j stays the system of record. This index is a read-only projection of it — every client's
competency levels and confidences, every vacancy's and occupation's requirements, gates and
positions — laid out as compressed columns (one column per competency), so that ranking walks the
few columns a vacancy or a client touches instead of traversing the graph per candidate. It is
built from the graph (`matcher/index_repository.py`) on start and rebuilt when the graph changed
(see README, "Architecture for speed").

Scores are the ones `matcher/scoring.py` defines. `requirements_of` and `profile_of` hand the very
numbers held here to that pure function for explanations, so an explanation always adds up to
the score it explains.
"""
from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from matcher import kernels
from matcher.lru import LruMap
from matcher.rows import Names, RowTarget, row_target, score_rows
from matcher.scoring import (DEFAULT_RADIUS_KM, PRIOR, SHORTFALL_PENALTY, Constraints, DistancePolicy, Evidence, Requirement,
                             partly_margin, prior_of, requirement_weight)

ROW_BLOCK = 1 << 16  # client rows per thread block: the block's slice of the output stays in cache
N_PARTS = 8  # independent top-k heaps in the final pass, merged afterwards
# A caseload smaller than 1/SCOPED_SCORING of all clients is scored client by client and its top
# chosen from its rows only; a larger one, or none, by the all-clients kernels.
SCOPED_SCORING = 20
SCOPES_KEPT = 256  # caseloads whose rows a Clients keeps (int64 rows: 0.8 MB for 100k clients)
FIELDS_KEPT = 8  # targets whose clients' scores a what-if keeps for ranks (0.8 MB each at 100k clients)


@dataclass(frozen=True)
class Columns:
    """A sparse matrix by column: the entries of column c are [indptr[c], indptr[c + 1])."""
    indptr: np.ndarray  # int64 [n_cols + 1]
    rows: np.ndarray  # int32 [nnz], ascending within each column
    a: np.ndarray  # float32 [nnz]: a client's level, or a requirement's required level
    b: np.ndarray  # float32 [nnz]: a client's confidence, or a requirement's share of the total weight

    @staticmethod
    def compress(cols: np.ndarray, rows: np.ndarray, a: np.ndarray, b: np.ndarray, n_cols: int) -> "Columns":
        return Columns.compress_carrying(cols, rows, a, b, n_cols)[0]

    @staticmethod
    def compress_carrying(cols: np.ndarray, rows: np.ndarray, a: np.ndarray, b: np.ndarray, n_cols: int,
                          carried: np.ndarray | None = None) -> tuple["Columns", np.ndarray | None]:
        """compress, and a per-entry array put in the same order (one sort for both)."""
        order = np.lexsort((rows, cols))
        indptr = np.zeros(n_cols + 1, dtype=np.int64)
        np.cumsum(np.bincount(cols, minlength=n_cols), out=indptr[1:])
        return (Columns(indptr, rows[order].astype(np.int32), a[order].astype(np.float32), b[order].astype(np.float32)),
                None if carried is None else carried[order])

    def column(self, c: int) -> slice:
        return slice(int(self.indptr[c]), int(self.indptr[c + 1]))

    def block_pointers(self, n_rows: int, block: int = ROW_BLOCK) -> np.ndarray:
        """blockptr[c, k]: offset of column c's first entry with row >= k * block."""
        bounds = np.minimum(np.arange(0, n_rows + block, block, dtype=np.int64), n_rows)
        if len(bounds) < 2:
            bounds = np.array([0, n_rows], dtype=np.int64)
        out = np.empty((len(self.indptr) - 1, len(bounds)), dtype=np.int64)
        for c in range(len(self.indptr) - 1):
            s = self.column(c)
            out[c] = s.start + np.searchsorted(self.rows[s], bounds)
        return out


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Positions as unit vectors (NaN where unknown): distances become cheap vector arithmetic."""
    la, lo = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=1).reshape(-1, 3)


@dataclass(frozen=True)
class ClientEntries:
    """Client evidence as parallel arrays, the form the repository streams out of the graph."""
    client: np.ndarray  # row of the client
    competency: np.ndarray  # column of the competency
    level: np.ndarray
    confidence: np.ndarray  # age decay applied
    inferred: np.ndarray | None = None  # bool: from work history or a certificate, not measured (None: none is)


@dataclass(frozen=True)
class RequirementEntries:
    target: np.ndarray  # row of the vacancy or occupation
    competency: np.ndarray
    required_level: np.ndarray
    importance: np.ndarray
    essential: np.ndarray  # bool


def _facts_columns(facts: Sequence[dict] | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's facts as JSON in one byte array, with where each starts: saved and mapped like
    the other arrays, so every worker reads one copy from the page cache (kept per worker, a
    vacancy's facts cost ~1 KB each; read per page, ~4 ms of CPU for 20 of them, service and Neo4j).
    A value JSON cannot hold (a date stored as a title) is shown as its text: never a failed build."""
    texts = [b"" if f is None else json.dumps(f, separators=(",", ":"), default=str).encode()
             for f in facts or [None] * n]
    at = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.array([len(t) for t in texts], dtype=np.int64), out=at[1:])
    return np.frombuffer(b"".join(texts), dtype=np.uint8).copy(), at


def _values(values, n: int) -> np.ndarray:
    """A per-row float array (NaN = unknown); None means unknown everywhere."""
    return np.full(n, np.nan) if values is None else np.asarray(values, dtype=np.float64).reshape(n)


@dataclass(frozen=True)
class ClientPatch:
    """A client's row as the graph holds it now: replaces the compiled row in a running index."""
    key: str
    columns: np.ndarray  # int32, ascending
    levels: np.ndarray
    confidences: np.ndarray  # age decay applied
    excluded: bool
    xyz: np.ndarray
    hours: float
    education: float
    radius: float = float("nan")  # travel radius in km (NaN: not known, scoring.DEFAULT_RADIUS_KM holds)
    inferred: np.ndarray | None = None  # bool per column: not measured (None: all measured)


class Clients:
    """Every client's evidence as compressed columns, compiled once; clients whose profile changed
    since are PATCHED (their new rows kept apart and scored one by one), and new clients take one
    of the spare rows, so a landed measurement shows in the next ranking without a rebuild."""

    def __init__(self, keys: list[str], entries: ClientEntries, excluded: np.ndarray, xyz: np.ndarray, n_comp: int,
                 hours=None, education=None, radius=None, spare: int = 0):
        n = len(keys)
        self.keys = list(keys) + [""] * spare
        self.row = {k: i for i, k in enumerate(keys)}
        e = entries
        self.by_competency = Columns.compress(e.competency, e.client, e.level, e.confidence, n_comp)
        self.blocks = self.by_competency.block_pointers(n + spare)
        inferred = np.zeros(len(e.client), dtype=np.bool_) if e.inferred is None else np.asarray(e.inferred, np.bool_)
        # per entry of by_client: the evidence came from work history or a certificate (not the kernels' business;
        # a row's explanation tells measured from inferred with it)
        self.by_client, self.inferred = Columns.compress_carrying(e.client, e.competency, e.level, e.confidence,
                                                                  n + spare, inferred)
        self.excluded = np.concatenate([np.asarray(excluded, dtype=np.bool_), np.ones(spare, dtype=np.bool_)])
        self.xyz = np.vstack([np.asarray(xyz, dtype=np.float64).reshape(-1, 3), np.full((spare, 3), np.nan)])
        self.hours = np.concatenate([_values(hours, n), np.full(spare, np.nan)])  # hours per week available
        self.education = np.concatenate([_values(education, n), np.full(spare, np.nan)])  # NLQF level reached
        self.radius = np.concatenate([_values(radius, n), np.full(spare, np.nan)])  # own travel radius, km
        self.start_live_state(list(range(n, n + spare)))

    def start_live_state(self, free: list[int]) -> None:
        """What live updates change, fresh (also for an index mapped from disk)."""
        self.patched: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}  # cols, levels, confs, inferred
        self.live_state = object()  # this start's identity: what was kept from an earlier one does not hold
        self.free = free
        self.layout = 0  # moves when a key takes a row: rows held for a scope are then stale
        self._patched_evidence: tuple[dict, PatchedEvidence] | None = None
        self._scopes: dict[Hashable, tuple[Hashable, int, np.ndarray]] = {}  # holder -> version, layout, rows

    def scope_rows(self, scope: Scope) -> np.ndarray:
        """The rows of the scope's clients that are in the index, kept per holder."""
        kept = scope.holder is not None and scope.version is not None
        if kept:
            held = self._scopes.get(scope.holder)
            if held is not None and held[0] == scope.version and held[1] == self.layout:
                return held[2]
        layout = self.layout  # read first: a row taken meanwhile makes this entry stale, never wrong
        rows = np.fromiter((self.row.get(k, -1) for k in scope.keys), dtype=np.int64, count=len(scope.keys))
        rows = rows[rows >= 0]
        if kept:
            scopes = {h: v for h, v in self._scopes.items() if h != scope.holder}  # copy-on-write
            while len(scopes) >= SCOPES_KEPT:
                scopes.pop(next(iter(scopes)))  # the holder whose rows were (re)computed longest ago
            scopes[scope.holder] = (scope.version, layout, rows)
            self._scopes = scopes
        return rows

    def patched_evidence(self) -> "PatchedEvidence":
        """The live-updated clients' rows as one matrix, built once per version of `patched`:
        scoring them is one kernel call, not one per client (they add up until the next rebuild)."""
        patched, held = self.patched, self._patched_evidence
        if held is None or held[0] is not patched:
            held = self._patched_evidence = (patched, PatchedEvidence.of(patched))
        return held[1]

    def evidence(self, row: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(competency columns, levels, confidences) of one client."""
        return self.entries(row)[:3]

    def entries(self, row: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """evidence(row) and, per entry, whether it was inferred (work history, certificate), read
        from one version of the row (a patch meanwhile replaces all four together)."""
        held = self.patched.get(row)
        if held is not None:
            return held
        s = self.by_client.column(row)
        return self.by_client.rows[s], self.by_client.a[s], self.by_client.b[s], self.inferred[s]

    def patch(self, p: ClientPatch) -> bool:
        """Replace (or add) one client's row; False when no spare row is left for a new client."""
        row = self.row.get(p.key)
        if row is None:
            if not self.free:
                return False
            row = self.free.pop(0)
            self.keys[row] = p.key
        self.xyz[row], self.hours[row], self.education[row], self.radius[row] = p.xyz, p.hours, p.education, p.radius
        self.excluded[row] = p.excluded
        # copy-on-write: a request iterating the patches never sees the dict change under it.
        # Replaced last: what is kept per `patched` dict (MatchIndex.ranks) then never holds a
        # gate from before this patch under the dict that carries it.
        inferred = np.zeros(len(p.columns), np.bool_) if p.inferred is None else np.asarray(p.inferred, np.bool_)
        self.patched = {**self.patched, row: (p.columns, p.levels, p.confidences, inferred)}
        if p.key not in self.row:
            self.row[p.key] = row
            self.layout += 1
        return True

    def remove(self, key: str) -> None:
        """An erased client: never ranked again by this index."""
        row = self.row.pop(key, None)
        if row is not None:
            self.excluded[row] = True
            empty = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.float32),
                     np.zeros(0, dtype=np.bool_))
            self.patched = {**self.patched, row: empty}


@dataclass(frozen=True)
class PatchedEvidence:
    """Client rows with the span of each one's evidence in cols / levels / confs."""
    rows: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    cols: np.ndarray
    levels: np.ndarray
    confs: np.ndarray

    @classmethod
    def of(cls, patched: dict[int, tuple]) -> "PatchedEvidence":
        parts = list(patched.values())
        lengths = np.array([len(p[0]) for p in parts], dtype=np.int64)
        ends = np.cumsum(lengths)
        joined = [np.concatenate([np.asarray(p[i], dtype=t) for p in parts]) if parts else np.zeros(0, dtype=t)
                  for i, t in ((0, np.int32), (1, np.float32), (2, np.float32))]
        return cls(np.fromiter(patched, dtype=np.int64, count=len(parts)), ends - lengths, ends, *joined)


class Targets:
    """Vacancies or occupations: rows with weighted requirements, open or closed, located or not."""

    def __init__(self, keys: list[str], entries: RequirementEntries, is_open: np.ndarray, xyz: np.ndarray, n_comp: int,
                 hours=None, education=None, facts: Sequence[dict] | None = None):
        self.keys = keys
        self.row = {k: i for i, k in enumerate(keys)}
        e = entries
        weight = requirement_weight(e.importance, e.essential)
        total = np.bincount(e.target, weights=weight, minlength=len(keys))
        share = weight / np.where(total > 0, total, 1.0)[e.target]
        self.by_competency = Columns.compress(e.competency, e.target, e.required_level, share, n_comp)
        order = np.lexsort((e.competency, e.target))
        self.indptr = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(np.bincount(e.target, minlength=len(keys)), out=self.indptr[1:])
        self.competency = e.competency[order].astype(np.int32)
        self.required = e.required_level[order].astype(np.float32)
        self.share = share[order].astype(np.float32)
        self.importance = e.importance[order].astype(np.float32)
        self.essential = e.essential[order].astype(np.bool_)
        self.is_open = np.ascontiguousarray(is_open, dtype=np.bool_)
        self.xyz = np.ascontiguousarray(xyz, dtype=np.float64).reshape(-1, 3)
        self.hours = _values(hours, len(keys))  # hours per week asked
        self.education = _values(education, len(keys))  # education level asked
        self.facts_text, self.facts_at = _facts_columns(facts, len(keys))

    def span(self, row: int) -> slice:
        return slice(int(self.indptr[row]), int(self.indptr[row + 1]))

    def facts_of(self, key: str) -> dict | None:
        """What a row shows about the target (a vacancy's title, employer, place, ...) as read at
        the build, a new dict each call; None when the index holds none for it."""
        row = self.row.get(key)
        if row is None:
            return None
        start, stop = int(self.facts_at[row]), int(self.facts_at[row + 1])
        return json.loads(self.facts_text[start:stop].tobytes()) if stop > start else None

    def set_base(self, prior: np.ndarray) -> None:
        """The fit of a target with no evidence at all: its requirements' priors, weighted."""
        rows = np.repeat(np.arange(len(self.keys)), np.diff(self.indptr))
        self.base = np.bincount(rows, weights=self.share * prior[self.competency], minlength=len(self.keys))
        self.base[np.diff(self.indptr) == 0] = PRIOR  # no requirements: as matcher/scoring.py scores them


@dataclass(frozen=True, eq=False)
class Scope:
    """The clients a caller may see (a caseload). `holder` (the caller) and `version` (the access
    token it was read at) name this very set when it comes back, so the index keeps its rows
    between requests, one set per holder; without them nothing is kept."""
    keys: Sequence[str]
    holder: Hashable | None = None
    version: Hashable | None = None


@dataclass(frozen=True)
class Ranked:
    keys: list[str]
    scores: np.ndarray  # after the constraint penalties, best first
    total: int  # how many rows were eligible (not gated, closed, filtered or out of scope)


class MatchIndex:
    def __init__(self, competencies: list[str], clients: Clients, vacancies: Targets, occupations: Targets):
        self.competencies = competencies
        self.column = {uri: i for i, uri in enumerate(competencies)}
        self.prior = np.array([prior_of(uri) for uri in competencies], dtype=np.float64)  # per column
        self.clients = clients
        self.vacancies = vacancies
        self.occupations = occupations
        for targets in (vacancies, occupations):
            targets.set_base(self.prior)
        # (targets, row) -> (the clients' patches then, every client's score, the matchable ones' scores)
        self._fields: LruMap[tuple] = LruMap(FIELDS_KEPT)

    # ---- scores ---------------------------------------------------------------------------
    def client_scores(self, targets: Targets, row: int, rows: np.ndarray | None = None) -> np.ndarray:
        """Every client's expected fit for one vacancy or occupation (no gates, no distance). With
        `rows` (a caseload) a small enough set is scored alone: the other entries keep the base,
        and the caller leaves them out."""
        s = targets.span(row)
        base = float(targets.base[row])
        out = np.full(len(self.clients.keys), base, dtype=np.float32)
        req = (targets.competency[s], targets.required[s], targets.share[s])
        p = self.clients.patched_evidence()
        if rows is not None and _scored_alone(rows, len(out)):
            e = self.clients.by_client
            kernels.score_spans(rows, e.indptr[rows], e.indptr[rows + 1], base, *req, e.rows, e.a, e.b, self.prior,
                                kernels.CREDIT_TABLE, out)
        else:
            c = self.clients.by_competency
            kernels.score_clients(self.clients.blocks, c.rows, c.a, c.b, *req, self.prior, kernels.CREDIT_TABLE, out)
        # the live-updated clients: their rows in the matrices are stale
        kernels.score_spans(p.rows, p.start, p.stop, base, *req, p.cols, p.levels, p.confs, self.prior,
                            kernels.CREDIT_TABLE, out)
        return out

    def ranks(self, targets: Targets, row: int, client_row: int, gains: Sequence[float]) -> list[int] | None:
        """The client's place among the matchable clients for one target (1: nobody scores higher;
        clients scoring the same share a place) with their score as held plus each of `gains` (0:
        as they are), or None for a client not matchable. On a vacancy the scores are its candidate
        list's (distance, hours and education taken off). Gains, not fits: the client's own score is
        the one the others are held against, so a tie is never lost to rounding. A what-if asks this
        at each move of a slider, on the same target: the others' scores are kept, and a client
        patched meanwhile is scored again alone (scoring all clients is most of a what-if's time,
        ~12 ms of CPU at 100k clients)."""
        if self.clients.excluded[client_row]:
            return None
        scores, matchable = self._field(targets, row)
        own = scores[client_row]  # among the matchable too: not counted against itself
        # A count, not a sort kept for binary search: sorting 100k scores took longer (~7 ms)
        # than the few what-ifs of one sitting would save with it
        return [int((matchable > f).sum()) - int(own > f) + 1
                for f in own + np.asarray(gains, dtype=np.float32)]  # compared as the scores are held

    def _field(self, targets: Targets, row: int) -> tuple[np.ndarray, np.ndarray]:
        live = self.clients.live_state  # read first, then the patches: a change meanwhile makes this entry
        patched = self.clients.patched  # stale, never wrong
        held = self._fields.get((id(targets), row))
        if held is not None and held[0] is targets and held[1] is patched:
            return held[2], held[3]
        same_state = held is not None and held[0] is targets and held[4] is live
        changed = _changed_rows(held[1], patched) if same_state else None
        if changed is None:
            scores = self.client_scores(targets, row)
            self._finish_field(targets, row, scores, slice(None))
        else:  # only the clients patched since: a slider's next move while other coaches record observations
            scores = held[2].copy()  # never changed in place: another request may be counting in it
            self._rescore(targets, row, scores, {r: patched[r] for r in changed})
        matchable = scores[~self.clients.excluded]
        self._fields.put((id(targets), row), (targets, patched, scores, matchable, live))
        return scores, matchable

    def _rescore(self, targets: Targets, row: int, scores: np.ndarray, rows: dict[int, tuple]) -> None:
        """`scores[rows]` as `client_scores` and `_finish_field` make them, for patched rows
        (row -> its patched evidence)."""
        p = PatchedEvidence.of(rows)
        s = targets.span(row)
        kernels.score_spans(p.rows, p.start, p.stop, float(targets.base[row]), targets.competency[s],
                            targets.required[s], targets.share[s], p.cols, p.levels, p.confs, self.prior,
                            kernels.CREDIT_TABLE, scores)
        self._finish_field(targets, row, scores, p.rows)

    def _finish_field(self, targets: Targets, row: int, scores: np.ndarray, rows) -> None:
        """On a vacancy, as its candidate list ranks them: distance, hours, education taken off `scores[rows]`."""
        if targets is not self.vacancies:
            return
        c = self.clients
        part = scores[rows]  # a view for a slice, a copy for an index array
        _finish(part, c.xyz[rows], targets.xyz[row], c.radius[rows], c.hours[rows], targets.hours[row:row + 1],
                c.education[rows], targets.education[row:row + 1], c.excluded[rows], 1, Constraints())
        if not isinstance(rows, slice):
            scores[rows] = part

    def target_scores(self, targets: Targets, client_row: int, overrides: dict[int, float] | None = None) -> np.ndarray:
        """Every vacancy's or occupation's expected fit for one client.

        `overrides` (column -> (level, confidence)) replaces evidence for a what-if.
        """
        cols, levels, confs = self.clients.evidence(client_row)
        if overrides:
            cols, levels, confs = _override(cols, levels, confs, overrides)
        return evidence_scores(targets, cols, levels, confs, self.prior)

    # ---- ranking --------------------------------------------------------------------------
    def candidates(self, vacancy: str, n: int, constraints: Constraints = Constraints(),
                   scope: Scope | Sequence[str] | None = None) -> Ranked:
        """The n best matchable clients for a vacancy; constraints lower scores unless they filter.
        `scope`: only these clients (a coach's caseload); None: everybody."""
        v, c = self.vacancies.row[vacancy], self.clients
        t = self.vacancies
        if scope is None:
            return _top(self.client_scores(t, v), c.keys, c.xyz, t.xyz[v], c.radius, c.hours, t.hours[v:v + 1],
                        c.education, t.education[v:v + 1], c.excluded, n, constraints)
        rows = c.scope_rows(scope if isinstance(scope, Scope) else Scope(scope))
        scores = self.client_scores(t, v, rows)
        if _scored_alone(rows, len(c.keys)):  # only the caseload's rows go through the selection too
            return _top(scores[rows], [c.keys[r] for r in rows.tolist()], c.xyz[rows], t.xyz[v], c.radius[rows], c.hours[rows],
                        t.hours[v:v + 1], c.education[rows], t.education[v:v + 1], c.excluded[rows], n, constraints)
        excluded = np.ones(len(c.keys), dtype=np.bool_)
        excluded[rows] = False
        excluded |= c.excluded
        return _top(scores, c.keys, c.xyz, t.xyz[v], c.radius, c.hours, t.hours[v:v + 1], c.education,
                    t.education[v:v + 1], excluded, n, constraints)

    def vacancies_for(self, client: str, n: int,
                      constraints: Constraints = Constraints(DistancePolicy(hard=True))) -> Ranked:
        """The n best open vacancies for a client, by default only within the radius."""
        i, c, t = self.clients.row[client], self.clients, self.vacancies
        return _top(self.target_scores(t, i), t.keys, t.xyz, c.xyz[i], c.radius[i:i + 1], c.hours[i:i + 1], t.hours,
                    c.education[i:i + 1], t.education, ~t.is_open, n, constraints)

    def occupations_for(self, client: str, n: int, excluded: np.ndarray | None = None) -> Ranked:
        """The n best occupations for a client (no place, no hours: an occupation is not a job),
        without the `excluded` rows."""
        i, t = self.clients.row[client], self.occupations
        unknown = np.full(1, np.nan)
        return _top(self.target_scores(t, i), t.keys, t.xyz, np.full(3, np.nan), unknown, unknown, unknown,
                    unknown, unknown, np.zeros(len(t.keys), dtype=np.bool_) if excluded is None else excluded,
                    n, Constraints())

    def warm(self) -> None:
        """Runs every kernel once on this index's own arrays, so that numba compiles it (or loads it
        from its cache) for their exact types before a coach's first request: a first compile takes
        seconds. Pure: no database, nothing changes."""
        client = next(iter(self.clients.row), None)
        if len(self.vacancies.keys):
            self.candidates(self.vacancies.keys[0], 1)
            if client is not None:
                self.candidates(self.vacancies.keys[0], 1, scope=[client])  # the caseload kernel
        if client is None:
            return
        self.vacancies_for(client, 1)
        self.occupations_for(client, 1)
        row = self.clients.row[client]
        if len(self.vacancies.keys) and len(self.competencies):
            scores = self.target_scores(self.vacancies, row)
            near = kernels.open_within(self.vacancies.xyz, self.clients.xyz[row], 25.0, self.vacancies.is_open)
            self.reached_changes(self.vacancies, scores, near, row, [[(0, 0.5, 0.5)]], 0.5)
        # A patched client's row comes as fresh arrays, not mapped ones: another type for numba.
        cols, levels, confs = (np.array(a) for a in self.clients.evidence(row))
        evidence_scores(self.occupations, cols, levels, confs, self.prior)
        if len(self.vacancies.keys):
            target = self.row_target(self.vacancies, self.vacancies.keys[0], Names.of(self.competencies, {}))
            score_rows([(target, self.clients.entries(row))])  # a ranked page's rows
            s, p = self.vacancies.span(0), PatchedEvidence.of({row: (cols, levels, confs)})
            kernels.score_spans(p.rows, p.start, p.stop, 0.0, self.vacancies.competency[s], self.vacancies.required[s],
                                self.vacancies.share[s], p.cols, p.levels, p.confs, self.prior, kernels.CREDIT_TABLE,
                                np.zeros(row + 1, dtype=np.float32))

    def ranked_scores(self, client_row: int, overrides: dict[int, tuple[float, float]] | None = None) -> np.ndarray:
        """Every vacancy's fit for one client as its ranked row shows it: target_scores less what
        distance (beyond the client's own radius), hours and education take off; a closed one -inf."""
        t, c, i = self.vacancies, self.clients, client_row
        scores = self.target_scores(t, i, overrides)
        _finish(scores, t.xyz, c.xyz[i], c.radius[i:i + 1], c.hours[i:i + 1], t.hours, c.education[i:i + 1],
                t.education, ~t.is_open, 1, Constraints())
        return scores

    def open_within(self, client_row: int, radius_km: float) -> np.ndarray:
        """Open vacancies within radius_km of the client, as a mask (every open one when the client's
        position is unknown; a vacancy without one counts as near)."""
        t, centre = self.vacancies, self.clients.xyz[client_row]
        if np.isnan(centre).any():
            return t.is_open.copy()
        return kernels.open_within(t.xyz, centre, float(radius_km), t.is_open)

    def reached_changes(self, targets: Targets, scores: np.ndarray, counted: np.ndarray, client_row: int,
                        items: Sequence[Sequence[tuple[int, float, float]]], threshold: float) -> list[int]:
        """Per item, how many more `counted` targets reach `threshold` (their scores for the client:
        `scores`) with its competencies' evidence replaced: each item a list of (column, level,
        confidence), a column in one item at most. A gap's unlocks (one competency an item), a
        what-if's vacancies within reach (all its changes one item): no rescore."""
        changes = [change for item in items for change in item]
        if len({column for column, _, _ in changes}) < len(changes):
            raise ValueError("a competency changed twice")
        change_of = np.full(len(self.competencies), -1, dtype=np.int64)
        change_of[[column for column, _, _ in changes]] = np.arange(len(changes))
        cols, levels, confs = self.clients.evidence(client_row)
        held = [_held(cols, column) for column, _, _ in changes]
        as_f64 = lambda xs: np.array(xs, dtype=np.float64)  # noqa: E731
        counts = kernels.reached_changes(
            len(items), np.repeat(np.arange(len(items), dtype=np.int64), [len(item) for item in items]), change_of,
            as_f64([self.prior[column] for column, _, _ in changes]),
            as_f64([levels[i] if i is not None else 0.0 for i in held]),
            as_f64([confs[i] if i is not None else 0.0 for i in held]),
            as_f64([level for _, level, _ in changes]), as_f64([conf for _, _, conf in changes]),
            np.flatnonzero(counted), targets.indptr, targets.competency, targets.required, targets.share,
            kernels.CREDIT_TABLE, scores, threshold)
        return counts.tolist()

    def sole_shortfalls(self, targets: Targets, key: str) -> tuple[dict[str, int], int]:
        """Per essential requirement of a target: how many matchable clients miss THAT one only
        (every other essential one met, partly met or unknown) — the candidates it alone excludes —
        and how many matchable clients have evidence on any of its requirements. "Missing" is
        matcher/scoring.py's status rule. A walk over the target's columns: milliseconds."""
        s = targets.span(targets.row[key])
        c, n = self.clients.by_competency, len(self.clients.keys)
        patched = np.zeros(n, dtype=np.bool_)
        patched[list(self.clients.patched)] = True
        missing, evidence, misses = np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.bool_), {}
        for col, required, essential in zip(targets.competency[s], targets.required[s], targets.essential[s]):
            below = required - partly_margin(self.prior[col])
            cells = c.column(int(col))
            rows, levels = c.rows[cells], c.a[cells]
            keep = ~patched[rows]  # a patched client's compiled row is stale: counted below
            evidence[rows[keep]] = True
            if essential:
                misses[int(col)] = rows[keep & (levels < below)]
        for row, (cols, levels, *_) in self.clients.patched.items():
            have = dict(zip(cols.tolist(), levels.tolist()))
            for col, required, essential in zip(targets.competency[s], targets.required[s], targets.essential[s]):
                if int(col) in have:
                    evidence[row] = True
                    if essential and have[int(col)] < required - partly_margin(self.prior[col]):
                        misses[int(col)] = np.append(misses[int(col)], row)
        for rows in misses.values():
            missing[rows] += 1
        eligible = ~self.clients.excluded
        sole = {self.competencies[col]: int((eligible[rows] & (missing[rows] == 1)).sum())
                for col, rows in misses.items()}
        return sole, int((evidence & eligible).sum())

    # ---- the numbers behind a score, for explanations --------------------------------------
    def requirements_of(self, targets: Targets, key: str,
                        labels: dict[str, tuple[str, str] | None] | None = None) -> list[Requirement]:
        """The requirements as ranked, labelled from `labels` (uri -> (label, language); missing or
        None: the uri stands in for its label)."""
        s = targets.span(targets.row[key])
        cols = targets.competency[s]
        uris = [self.competencies[c] for c in cols.tolist()]
        labels = labels or {}
        return Requirement.columns(uris, [labels.get(u) or (u, None) for u in uris], targets.required[s],
                                   targets.importance[s], targets.essential[s], self.prior[cols])

    def row_target(self, targets: Targets, key: str, names: Names) -> RowTarget:
        """What a page's ranked rows need of one target's requirements (matcher/rows.py)."""
        s = targets.span(targets.row[key])
        return row_target(targets.competency[s], targets.required[s], targets.importance[s], targets.essential[s],
                          self.prior, names)

    def profile_of(self, client: str) -> dict[str, Evidence]:
        """The client's evidence by competency (a gap, a what-if, the CLI's rows; a page's ranked
        rows read the arrays themselves: row_target)."""
        cols, levels, confs, inferred = self.clients.entries(self.clients.row[client])
        return {self.competencies[c]: Evidence(l, k, "profile", None, f)
                for c, l, k, f in zip(cols.tolist(), levels.tolist(), confs.tolist(), inferred.tolist())}


def evidence_scores(targets: Targets, cols: np.ndarray, levels: np.ndarray, confs: np.ndarray,
                    prior: np.ndarray) -> np.ndarray:
    """Every target's expected fit for one set of evidence (columns ascending, as a client's)."""
    out = targets.base.astype(np.float32)
    t = targets.by_competency
    kernels.score_vacancies(t.indptr, t.rows, t.a, t.b, cols, levels, confs, prior, kernels.CREDIT_TABLE, out)
    return out


def _held(cols: np.ndarray, column: int) -> int | None:
    """Where the client's evidence (columns ascending) holds `column`, or None."""
    i = int(np.searchsorted(cols, column))
    return i if i < len(cols) and cols[i] == column else None


def _override(cols, levels, confs, overrides: dict[int, tuple[float, float]]):
    merged = {int(c): (float(l), float(k)) for c, l, k in zip(cols, levels, confs)}
    merged.update(overrides)
    keys = np.array(sorted(merged), dtype=np.int32)
    return (keys, np.array([merged[c][0] for c in keys], dtype=np.float32),
            np.array([merged[c][1] for c in keys], dtype=np.float32))


def _changed_rows(then: dict[int, tuple], now: dict[int, tuple]) -> list[int] | None:
    """The rows patched since `then` (each patch replaces a row's tuple, none is ever dropped
    within one live state), or None when `now` is not `then` grown by patches."""
    if any(r not in now for r in then):
        return None
    return [r for r, entry in now.items() if then.get(r) is not entry]


def _scored_alone(rows: np.ndarray, clients: int) -> bool:
    """A caseload small enough to score, and select from, row by row (see SCOPED_SCORING)."""
    return len(rows) * SCOPED_SCORING < clients


def _top(scores, keys, xyz, centre, own_radius, hours_have, hours_need, edu_have, edu_need, excluded, n,
         constraints: Constraints) -> Ranked:
    """`own_radius`: the clients' travel radii, one per row or one for all (NaN: not known), used
    where the policy names no radius of its own."""
    part_s, part_i = _finish(scores, xyz, centre, own_radius, hours_have, hours_need, edu_have, edu_need, excluded,
                             max(n, 1), constraints)
    keep = (part_i >= 0) & np.isfinite(part_s)
    part_s, part_i = part_s[keep], part_i[keep]
    order = sorted(range(len(part_i)), key=lambda j: (-part_s[j], keys[part_i[j]]))[:n]
    # finish_top marked every ineligible row -inf in place, so what is finite is what could rank
    return Ranked([keys[part_i[j]] for j in order], part_s[order], int(np.isfinite(scores).sum()))


def _finish(scores, xyz, centre, own_radius, hours_have, hours_need, edu_have, edu_need, excluded, k,
            constraints: Constraints):
    """The kernel with the policy's arguments: takes what the constraints cost off `scores` in place
    (an ineligible row becomes -inf) and returns each part's k best."""
    d = constraints.distance
    use_distance = not np.isnan(centre).any()
    radius = own_radius if d.radius_km is None else np.full(1, d.radius_km)
    return kernels.finish_top(
        scores, xyz, np.nan_to_num(centre), use_distance, radius, DEFAULT_RADIUS_KM,
        np.inf if d.max_km is None else float(d.max_km), d.penalty_per_km, d.max_penalty,
        d.hard, hours_have, hours_need, edu_have, edu_need, SHORTFALL_PENALTY, constraints.filter_hours,
        constraints.filter_education, excluded, k, N_PARTS)


def distance_km(a: np.ndarray, b: np.ndarray) -> float | None:
    """The distance the kernel uses (chord length), None when either position is unknown."""
    if np.isnan(a).any() or np.isnan(b).any():
        return None
    return float(kernels.EARTH_RADIUS_KM * np.sqrt(((a - b) ** 2).sum()))
