"""`atlas-match bench api`: the service as a coach in session meets it, over HTTP on loopback.

One run: a generated population of N clients and M vacancies in the graph (`matcher.bench_match`,
key prefix BENCH_PREFIX; reused when the graph already holds one of that size), assigned to bench
coaches; a token per coach in a temporary token file; the real service (`atlas-match serve
--workers W`, JSON access log, ATLAS_API_WARM_INDEX=1) in a subprocess on a free loopback port,
timed only once its index is warm; then C threads, each a coach's browser signed in to the pages
and holding a bearer token, drive a mixed load for S seconds (or until a request cap): rankings,
gap, what-if, profile, the coach's pages, and 5 % writes (coach observations and decisions). Beside
the load a probe records a coach observation for a client it alone touches and polls that client's
vacancies until the fit moves (write to visible). At the end: per endpoint p50/p95/p99 and errors,
throughput, memory per worker (VmRSS and PSS of the uvicorn worker processes), CPU seconds of
server and bench, load averages; the server is stopped. Prints one JSON object.

The figures are client-side wall times on one machine: the bench's own threads share the cores
with the server and Neo4j (its CPU seconds are in the output, so a reader can tell).
"""
from __future__ import annotations

import http.client
import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

_dumps = json.dumps  # LoadConnection.request's `json` argument hides the module

COACH_PREFIX = "bench-coach-"
WRITE_SHARE = 0.05
# name -> (kind, weight); weights sum to 100 (writes 5 %). Reads are what a coach does in session.
MIX: dict[str, tuple[str, int]] = {
    "vacancy_candidates": ("read", 14), "client_vacancies": ("read", 14), "client_occupations": ("read", 10),
    "client_gap": ("read", 10), "client_what_if": ("read", 10), "client_profile": ("read", 10),
    "page_caseload": ("page", 6), "page_client": ("page", 8), "page_vacancies": ("page", 8),
    "page_occupation": ("page", 5),
    "observation_post": ("write", 3), "decision_post": ("write", 2),
}
PROBE_TRIES = 5  # observations the write probe tries per client before it skips it
POOL_PER_COACH = 300  # clients per coach the load draws from (matchable or needs_support)
VACANCY_SAMPLE = 400  # open bench vacancies the load draws from (with their requirements)
WAARNEMING = Path(__file__).resolve().parents[1] / "competency_atlas" / "instruments" / "waarneming.yaml"


# ---------------------------------------------------------------- pure figures

def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between closest ranks (NumPy's default)."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _r(x: float | None, nd: int = 1) -> float | None:
    return None if x is None else round(x, nd)


@dataclass(frozen=True)
class Sample:
    name: str
    kind: str  # read | page | write
    ms: float
    status: int  # HTTP status; 0: no answer (timeout, connection error)


def figures(ms: list[float], errors: int) -> dict:
    return {"n": len(ms), "p50_ms": _r(percentile(ms, 50)), "p95_ms": _r(percentile(ms, 95)),
            "p99_ms": _r(percentile(ms, 99)), "max_ms": _r(max(ms) if ms else None), "errors": errors}


def is_error(status: int) -> bool:
    return status == 0 or status >= 400


def summarise(samples: list[Sample], wall_s: float) -> dict:
    """Per endpoint figures, split into API endpoints and pages, with the worst read and page p95,
    throughput and errors. Errors are timed too (a slow 500 is still a slow answer)."""
    by_name: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_name[s.name].append(s)
    endpoints, pages = {}, {}
    worst_read = worst_page = None
    for name in sorted(by_name):
        group = by_name[name]
        f = figures([s.ms for s in group], sum(is_error(s.status) for s in group))
        kind = group[0].kind
        (pages if kind == "page" else endpoints)[name] = {**f, "kind": kind}
        if f["p95_ms"] is not None and kind == "read":
            worst_read = max(worst_read or 0.0, f["p95_ms"])
        if f["p95_ms"] is not None and kind == "page":
            worst_page = max(worst_page or 0.0, f["p95_ms"])
    statuses = Counter(s.status for s in samples if is_error(s.status))
    return {"read_p95_ms": worst_read, "pages_p95_ms": worst_page, "endpoints": endpoints, "pages": pages,
            "requests": len(samples), "throughput_rps": round(len(samples) / wall_s, 1) if wall_s > 0 else None,
            "errors": sum(statuses.values()), "errors_by_status": {str(k): v for k, v in sorted(statuses.items())}}


def extra_worker_mb(rss_mb: list[float], pss_mb: list[float]) -> float | None:
    """What each worker beyond the first adds: all workers' proportional set size (shared pages
    split between the processes sharing them) less one whole worker, per extra worker. Private
    indexes give about one worker's RSS; an index shared through mmap or shared memory gives only
    each worker's private part."""
    if len(rss_mb) < 2 or len(pss_mb) != len(rss_mb):
        return None
    return round((sum(pss_mb) - max(rss_mb)) / (len(rss_mb) - 1), 1)


def memory_growth(samples: list[dict], key: str, warmup_s: float) -> dict:
    """RSS of one process group at the load's start, once warmed up (the first sample at or after
    `warmup_s`) and at the end, and the growth from warmed-up to end in percent: what a leak shows."""
    series = [(x["t_s"], x[key]) for x in samples if x.get(key)]
    if not series:
        return {}
    warm = next((v for t, v in series if t >= warmup_s), series[-1][1])
    end = series[-1][1]
    return {"start": series[0][1], "after_warmup": warm, "end": end, "peak": max(v for _, v in series),
            "growth_pct": round(100 * (end - warm) / warm, 1) if warm else None}


# ---------------------------------------------------------------- processes

def _proc_status_kb(pid: int, field_name: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def _pss_kb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def _cpu_s(pid: int) -> float:
    try:
        parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            out.append(int(entry.name))
    return sorted(out)


def cmdline(pid: int) -> str | None:
    """A process's command line, arguments joined by spaces; None once it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None


def worker_pids(server_pid: int) -> list[int]:
    """The uvicorn worker processes: the supervisor's children forked from it (its own command
    line; api/serve_cli.py) or spawned; with one worker uvicorn serves in the supervisor itself."""
    supervisor = cmdline(server_pid)
    kids = []
    for pid in children(server_pid):
        cmd = cmdline(pid)
        if cmd is not None and (cmd == supervisor or "spawn_main" in cmd or "uvicorn" in cmd or "atlas-match" in cmd):
            kids.append(pid)
    return kids or [server_pid]


def memory(server_pid: int) -> dict:
    pids = worker_pids(server_pid)
    rss = [(_proc_status_kb(p, "VmRSS") or 0) / 1024 for p in pids]
    hwm = [(_proc_status_kb(p, "VmHWM") or 0) / 1024 for p in pids]
    pss = [(_pss_kb(p) or 0) / 1024 for p in pids]
    out = {"rss_per_worker_mb": [round(x, 1) for x in rss], "peak_rss_per_worker_mb": [round(x, 1) for x in hwm],
           "pss_per_worker_mb": [round(x, 1) for x in pss],
           "rss_workers_total_mb": round(sum(rss), 1), "pss_workers_total_mb": round(sum(pss), 1)}
    if pids != [server_pid]:
        out["supervisor_rss_mb"] = round((_proc_status_kb(server_pid, "VmRSS") or 0) / 1024, 1)
    extra = extra_worker_mb(rss, pss)
    if extra is not None:
        out["rss_per_extra_worker_mb"] = extra
    return out


def server_cpu_s(server_pid: int) -> float:
    return sum(_cpu_s(p) for p in {server_pid, *worker_pids(server_pid)})


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    log: Path

    def stop(self) -> None:
        """SIGTERM to the process group this bench started (supervisor and workers), then SIGKILL."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def start_server(workdir: Path, tokens: Path, workers: int, port: int | None = None) -> Server:
    port = port or free_port()
    env = {**os.environ, "ATLAS_API_TOKENS_FILE": str(tokens), "ATLAS_API_WARM_INDEX": "1",
           "ATLAS_API_HOST": "127.0.0.1", "ATLAS_API_PORT": str(port),
           # a 404 costs a throttle token; none is expected, but one must not cascade into 429s
           "ATLAS_API_THROTTLE_BURST": "1000000"}
    log = workdir / "server.log"
    cmd = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=Path(__file__).resolve().parents[1])
    return Server(proc, f"http://127.0.0.1:{port}", log)


def index_state(url: str) -> dict | None:
    """/readyz's view of one worker's index (generation, rebuilds, patches)."""
    try:
        with httpx.Client(base_url=url, timeout=10) as c:
            return c.get("/readyz").json().get("index")
    except (httpx.HTTPError, ValueError):
        return None


def wait_warm(server: Server, token: str, probe_path: str, workers: int, timeout_s: float,
              fast_ms: float = 500.0) -> float:
    """Until every worker's index is built: /readyz says `built` and a ranking answers under
    `fast_ms` on 2*W fresh connections in a row (each may land on another worker)."""
    began = time.perf_counter()
    in_a_row = 0
    need = 2 * workers
    while time.perf_counter() - began < timeout_s:
        if server.proc.poll() is not None:
            raise RuntimeError(f"the server exited ({server.proc.returncode}); see {server.log}")
        try:
            with httpx.Client(base_url=server.url, timeout=60) as c:
                ready = c.get("/readyz")
                built = ready.status_code == 200 and ready.json()["index"]["state"] == "built"
                ok = False
                if built:
                    t = time.perf_counter()
                    r = c.get(probe_path, headers={"Authorization": f"Bearer {token}"})
                    ok = r.status_code == 200 and (time.perf_counter() - t) * 1000 < fast_ms
        except (httpx.HTTPError, ValueError, KeyError):
            ok = False
        in_a_row = in_a_row + 1 if ok else 0
        if in_a_row >= need:
            return time.perf_counter() - began
        time.sleep(0.2 if ok else 1.0)
    raise TimeoutError(f"the index was not warm after {timeout_s:.0f} s; see {server.log}")


# ---------------------------------------------------------------- population

Q_ASSIGNED = """
MATCH (co:Coach)-[:COACHES]->(c:Client)
WHERE co.id STARTS WITH $coach_prefix AND c.key STARTS WITH $p
RETURN count(*) AS links,
       sum(CASE WHEN co.id = $coach_prefix + toString(toInteger(substring(c.key, size($p) + 1)) / $k) THEN 1 ELSE 0 END)
         AS right
"""
Q_UNASSIGN = """
MATCH (co:Coach)-[r:COACHES]->(:Client) WHERE co.id STARTS WITH $coach_prefix
CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS
"""
Q_COACHES = "UNWIND $ids AS id MERGE (:Coach {id: id})"
Q_ASSIGN = """
MATCH (c:Client) WHERE c.key STARTS WITH $p
CALL (c) {
  MATCH (co:Coach {id: $coach_prefix + toString(toInteger(substring(c.key, size($p) + 1)) / $k)})
  MERGE (co)-[r:COACHES]->(c) ON CREATE SET r.since = datetime()
} IN TRANSACTIONS OF 10000 ROWS
"""
Q_POOL = """
UNWIND $keys AS key MATCH (c:Client {key: key})
WHERE c.gate IN ['matchable', 'needs_support']
RETURN c.key AS key
"""
Q_VACANCIES = """
MATCH (v:Vacancy) WHERE v.id STARTS WITH $p AND v.status = 'open'
WITH v ORDER BY v.id SKIP $skip LIMIT $n
MATCH (v)-[:FOR_OCCUPATION]->(o:Occupation)
OPTIONAL MATCH (v)-[:REQUIRES]->(k:Competency)
RETURN v.id AS id, o.uri AS occupation, collect(k.uri)[..20] AS requirements
"""
Q_CLEAN_MEASUREMENTS = """
MATCH (m:Measurement) WHERE m.client_key STARTS WITH $p
CALL (m) { DETACH DELETE m } IN TRANSACTIONS OF 5000 ROWS
"""
# The clients a run may write to, as they were before it: an observation re-derives a client's
# profile from its stored measurements and work history, which the generated population does not
# write, so a touched client would keep only what was observed (after a dozen runs 776 clients held
# 1.6 competencies on average, the untouched 93.4) and each run would rank thinner profiles.
Q_SNAPSHOT = """
UNWIND $keys AS key MATCH (c:Client {key: key})
RETURN c.key AS key, properties(c) AS props
"""
Q_RESTORE = """
UNWIND $rows AS row MATCH (c:Client {key: row.key})
CALL (c) { MATCH (c)-[:HAS_MEASUREMENT]->(m:Measurement) DETACH DELETE m }
SET c = row.props
"""
Q_TOUCHED = "MATCH (m:Measurement) WHERE m.client_key STARTS WITH $p RETURN count(m) > 0 AS touched"
Q_CLEAN_DECISIONS = """
MATCH (d:Decision)-[:ABOUT]->(c:Client) WHERE c.key STARTS WITH $p
CALL (d) { DETACH DELETE d } IN TRANSACTIONS OF 5000 ROWS
"""


def coach_id(i: int) -> str:
    return f"{COACH_PREFIX}{i}"


def ensure_population(driver, database: str, data_dir: Path, clients: int, vacancies: int, seed: int,
                      caseload: int) -> dict:
    """The bench population of this size (kept by an earlier run, or written now through
    `bench_match.prepare(reuse=True)`), every client on the caseload of bench coach i // caseload."""
    from graph_schema.access_state import bump_access_after_bulk
    from matcher.bench_match import BENCH_PREFIX, Q_BENCH_COUNTS, prepare

    began = time.perf_counter()
    held = driver.execute_query(Q_BENCH_COUNTS, p=BENCH_PREFIX, database_=database).records[0]
    touched = driver.execute_query(Q_TOUCHED, p=BENCH_PREFIX, database_=database).records[0]["touched"]
    # measurements on bench clients: a run that did not put its clients back (see Q_SNAPSHOT)
    reused = (held["clients"], held["vacancies"]) == (clients, vacancies) and not touched
    if not reused:
        if touched:
            clean_bench_writes(driver, database)
        # prepare also loads the whole index twice (for its own timings); skipped when reusing
        prepare(driver, database, data_dir, clients, vacancies, seed, reuse=True)
    written = time.perf_counter()
    n_coaches = -(-clients // caseload)
    links = driver.execute_query(Q_ASSIGNED, coach_prefix=COACH_PREFIX, p=BENCH_PREFIX, k=caseload,
                                 database_=database).records[0]
    if not (links["links"] == clients and links["right"] == clients):
        try:
            with driver.session(database=database) as session:
                session.run(Q_UNASSIGN, coach_prefix=COACH_PREFIX).consume()
                for lo in range(0, n_coaches, 10_000):
                    session.run(Q_COACHES, ids=[coach_id(i) for i in range(lo, min(n_coaches, lo + 10_000))]).consume()
                session.run(Q_ASSIGN, p=BENCH_PREFIX, coach_prefix=COACH_PREFIX, k=caseload).consume()
        finally:  # held caseloads follow, also when a batch failed half-way
            bump_access_after_bulk(driver, database)
    return {"population": "reused" if reused else "written", "write_s": round(written - began, 1),
            "assign_s": round(time.perf_counter() - written, 1), "coaches": n_coaches, "caseload": caseload}


def sample_work(driver, database: str, clients: int, caseload: int, coaches: int, rnd: random.Random) -> dict:
    """Per coach in use: clients the load draws from; vacancies with their requirements; probe clients."""
    from matcher.bench_match import BENCH_PREFIX

    pools = {}
    for j in range(coaches):
        lo, hi = j * caseload, min(clients, (j + 1) * caseload)
        idx = rnd.sample(range(lo, hi), min(POOL_PER_COACH + 60, hi - lo))
        keys = [f"{BENCH_PREFIX}c{i:07d}" for i in idx]
        found = {r["key"] for r in driver.execute_query(Q_POOL, keys=keys, database_=database).records}
        pools[coach_id(j)] = [k for k in keys if k in found]
    total_open = driver.execute_query("MATCH (v:Vacancy) WHERE v.id STARTS WITH $p AND v.status = 'open' "
                                      "RETURN count(v) AS n", p=BENCH_PREFIX, database_=database).records[0]["n"]
    skip = rnd.randrange(max(1, total_open - VACANCY_SAMPLE))
    vac = [dict(r) for r in driver.execute_query(Q_VACANCIES, p=BENCH_PREFIX, skip=skip, n=VACANCY_SAMPLE,
                                                 database_=database).records if r["requirements"]]
    # the probe owns the last clients of coach 0's pool: the load never touches them
    probe_coach = coach_id(0)
    probe = pools[probe_coach][-40:]
    pools[probe_coach] = pools[probe_coach][:-40]
    return {"pools": pools, "vacancies": vac, "probe_coach": probe_coach, "probe_clients": probe}


def snapshot_clients(driver, database: str, keys: list[str]) -> list[dict]:
    """The clients as they are (every property), for `restore_clients` after the run."""
    return [dict(r) for r in driver.execute_query(Q_SNAPSHOT, keys=keys, database_=database).records]


def restore_clients(driver, database: str, rows: list[dict]) -> None:
    """The clients as snapshot: what the run measured on them gone, their properties (the stored
    profile) back; the generation moves, so an index holding them patches them again."""
    from matcher.freshness import bump_generation

    def work(tx):
        tx.run(Q_RESTORE, rows=rows).consume()
        bump_generation(tx, [r["key"] for r in rows])

    with driver.session(database=database) as session:
        session.execute_write(work)


def waarneming_scales() -> dict[str, str]:
    """Atlas competency URI -> the waarneming (coach observation) scale that maps onto it."""
    import yaml

    doc = yaml.safe_load(WAARNEMING.read_text())
    out = {}
    for scale in doc["scales"]:
        for m in scale.get("maps_to") or []:
            out.setdefault(m["competency"], scale["id"])
    return out


def clean_bench_writes(driver, database: str) -> None:
    """What the load wrote on bench clients (measurements, decisions), then the population itself."""
    from matcher.bench_match import BENCH_PREFIX, clear_bench_data

    with driver.session(database=database) as session:
        session.run(Q_CLEAN_MEASUREMENTS, p=BENCH_PREFIX).consume()
        session.run(Q_CLEAN_DECISIONS, p=BENCH_PREFIX).consume()
        session.run("MATCH (co:Coach) WHERE co.id STARTS WITH $c "
                    "CALL (co) { DETACH DELETE co } IN TRANSACTIONS OF 5000 ROWS", c=COACH_PREFIX).consume()
    clear_bench_data(driver, database)  # draws a new access token: the coaches' links are gone too


# ---------------------------------------------------------------- load

CSRF_MARK = 'name="csrf" value="'


def sign_in(client, token: str) -> None:
    """Into the pages' session cookie, as a browser does (GET the form for its CSRF token, POST).
    `client`: an httpx.Client or a LoadConnection."""
    form = client.get("/aanmelden").text
    start = form.index(CSRF_MARK) + len(CSRF_MARK)
    csrf = form[start:form.index('"', start)]
    r = client.post("/aanmelden", data={"token": token, "csrf": csrf, "next": ""})
    if r.status_code != 303:
        raise RuntimeError(f"page sign-in failed: {r.status_code}")


# How a request fails on a kept-alive connection the server has closed meanwhile (uvicorn closes
# idle ones after 5 s): the request never reached a handler, so sending it again is safe.
_IDLE_CLOSED = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class LoadConnection:
    """One load thread's keep-alive HTTP/1.1 connection, its headers and its session cookie.
    The load generator runs on the server's own two cores: through httpx a request cost it ~1.2 ms
    of CPU, time the server then did not have; http.client does the same for a fraction of it.
    Redirects are not followed (a page's 303 is its answer); a timeout counts as an error."""

    def __init__(self, url: str, headers: dict[str, str], timeout_s: float):
        parts = urlsplit(url)
        self.host, self.port, self.timeout_s = parts.hostname, parts.port, timeout_s
        self.headers, self.cookies = dict(headers), {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, json: dict | None = None, data: dict | None = None) -> "LoadResponse":
        headers = dict(self.headers)
        body = None
        if json is not None:
            body, headers["Content-Type"] = _dumps(json).encode(), "application/json"
        elif data is not None:
            body, headers["Content-Type"] = urlencode(data).encode(), "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        while True:
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                content = r.read()
                break
            except _IDLE_CLOSED:
                self.close()
                if not reused:  # the server dropped a kept-alive connection: once more on a new one
                    raise
            except (http.client.HTTPException, OSError):  # a timeout among them: an error, never resent
                self.close()
                raise
        for value in r.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if r.headers.get("Connection", "").lower() == "close":
            self.close()
        return LoadResponse(r.status, content)

    def get(self, path: str) -> "LoadResponse":
        return self.request("GET", path)

    def post(self, path: str, json: dict | None = None, data: dict | None = None) -> "LoadResponse":
        return self.request("POST", path, json=json, data=data)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass(frozen=True)
class LoadResponse:
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")


def build_request(rnd: random.Random, pool: list[str], vacancies: list[dict], scale_ids: list[str],
                  name: str) -> tuple[str, str, dict | None]:
    """(method, path, JSON body) of one request of kind `name` (MIX) on a client from `pool`."""
    key = rnd.choice(pool)
    v = rnd.choice(vacancies)
    paths = {
        "vacancy_candidates": f"/vacancies/{v['id']}/candidates?limit=20",
        "client_vacancies": f"/clients/{key}/vacancies?limit=20",
        "client_occupations": f"/clients/{key}/occupations?limit=20",
        "client_gap": f"/clients/{key}/gap?vacancy_id={v['id']}",
        "client_profile": f"/clients/{key}",
        "page_caseload": "/klanten",
        "page_client": f"/klanten/{key}",
        "page_vacancies": f"/klanten/{key}/vacatures",
        "page_occupation": "/beroepen/profiel?" + urlencode({"uri": v["occupation"]}),
    }
    if name in paths:
        return "GET", paths[name], None
    if name == "client_what_if":
        moved = rnd.sample(v["requirements"], min(2, len(v["requirements"])))
        return "POST", f"/clients/{key}/what-if", {
            "vacancy_id": v["id"], "changes": [{"competency": u, "level": round(rnd.uniform(0.5, 1.0), 2)}
                                               for u in moved]}
    if name == "observation_post":
        return "POST", f"/clients/{key}/observations", {"scale": rnd.choice(scale_ids), "score": rnd.randint(1, 5)}
    if name == "decision_post":
        return "POST", f"/clients/{key}/decisions", {"kind": "vacancy", "target": v["id"], "choice": "follow",
                                                      "reason_code": "agrees_with_advice", "reason_text": ""}
    raise ValueError(f"unknown request kind {name}")


class MemorySampler:
    """RSS of the API's workers and of Neo4j every `every_s` seconds while the load runs."""

    def __init__(self, server_pid: int, neo4j_pid, every_s: float):
        self.server_pid, self.neo4j_pid, self.every_s = server_pid, neo4j_pid, every_s
        self.samples: list[dict] = []
        self.stop = threading.Event()

    def sample(self, began: float) -> None:
        pids = {self.server_pid, *worker_pids(self.server_pid)}
        api_kb = sum((_proc_status_kb(p, "VmRSS") or 0) for p in pids)
        # RssAnon: private memory, where a leak shows; the rest of RSS is the index files' mapped pages
        anon_kb = sum((_proc_status_kb(p, "RssAnon") or 0) for p in pids)
        pid = self.neo4j_pid() if self.neo4j_pid else None
        neo4j_kb = _proc_status_kb(pid, "VmRSS") if pid else None
        self.samples.append({"t_s": round(time.perf_counter() - began, 1), "api_rss_mb": round(api_kb / 1024, 1),
                             "api_anon_mb": round(anon_kb / 1024, 1),
                             "neo4j_rss_mb": round(neo4j_kb / 1024, 1) if neo4j_kb else None})

    def run(self, began: float) -> None:
        while not self.stop.wait(0 if not self.samples else self.every_s):
            self.sample(began)


class Load:
    """C threads, each a coach at a screen: bearer token for the API, session cookie for the pages."""

    def __init__(self, url: str, tokens: dict[str, str], work: dict, seconds: float, max_requests: int,
                 seed: int, timeout_s: float = 30.0, counted_from: float = 0.0):
        self.url, self.tokens, self.work = url, tokens, work
        self.seconds, self.max_requests, self.timeout_s = seconds, max_requests, timeout_s
        self.counted_from = counted_from  # perf_counter: requests sent before it warm up, uncounted
        self.seed = seed
        self.samples: list[Sample] = []
        self.lock = threading.Lock()
        self.issued = 0
        self.stop = threading.Event()
        self.names = list(MIX)
        self.weights = [MIX[n][1] for n in self.names]
        self.scales = waarneming_scales()
        self.scale_ids = sorted(set(self.scales.values()))

    def _take(self) -> bool:
        with self.lock:
            if self.issued >= self.max_requests:
                return False
            self.issued += 1
            return True

    def worker(self, i: int, deadline: float) -> None:
        coach = sorted(self.work["pools"])[i % len(self.work["pools"])]
        rnd = random.Random(self.seed * 1000 + i)
        token = self.tokens[coach]
        pool = self.work["pools"][coach]
        local: list[Sample] = []
        c = LoadConnection(self.url, {"Authorization": f"Bearer {token}"}, self.timeout_s)
        try:
            try:
                sign_in(c, token)
            except (http.client.HTTPException, OSError, RuntimeError, ValueError):
                with self.lock:
                    self.samples.append(Sample("page_sign_in", "page", 0.0, 0))
                return
            while time.perf_counter() < deadline and not self.stop.is_set():
                name = rnd.choices(self.names, self.weights)[0]
                method, path, body = build_request(rnd, pool, self.work["vacancies"], self.scale_ids, name)
                t = time.perf_counter()
                counted = t >= self.counted_from
                if counted and not self._take():
                    break
                try:
                    status = c.request(method, path, json=body).status_code
                except (http.client.HTTPException, OSError):
                    status = 0
                if counted:
                    local.append(Sample(name, MIX[name][0], (time.perf_counter() - t) * 1000, status))
        finally:
            c.close()
        with self.lock:
            self.samples.extend(local)


class Probe:
    """Write to visible: an observation for a client only the probe touches, on a competency its
    best vacancies require, then that client's vacancies polled (fresh connections, so any worker
    may answer) until the vacancy's fit moves."""

    def __init__(self, url: str, token: str, clients: list[str], timeout_s: float = 10.0, poll_s: float = 0.05,
                 pause_s: float = 2.0):
        self.url, self.token, self.clients = url, token, list(clients)
        self.timeout_s, self.poll_s, self.pause_s = timeout_s, poll_s, pause_s
        self.requests = 0  # the probe's own, not in the load's figures
        self.scales = waarneming_scales()
        self.visible_ms: list[float] = []
        self.visible_incl_post_ms: list[float] = []
        self.timeouts = 0
        self.skipped = 0
        self.stop = threading.Event()
        self.rnd = random.Random()

    def _get(self, path: str) -> httpx.Response:
        self.requests += 1
        with httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {self.token}"}) as c:
            return c.get(path)

    @staticmethod
    def _fit(items: list[dict], vacancy_id: str) -> float | None:
        for item in items:
            if item["vacancy"]["id"] == vacancy_id:
                return item["fit"]
        return None

    def one(self, key: str) -> None:
        path = f"/clients/{key}/vacancies?limit=10"
        r = self._get(path)
        if r.status_code != 200:
            self.skipped += 1
            return
        candidates = [(item["vacancy"]["id"], item["fit"], ref["uri"], status) for item in r.json()["items"]
                      for status in ("met", "partly_met", "missing", "unknown")
                      for ref in item.get(status) or [] if ref["uri"] in self.scales]
        # A random one of them, and another when the observation is one the client already has
        # today (a kept population is probed again by every run: the same first pick would be
        # "unchanged" and move nothing).
        self.rnd.shuffle(candidates)
        for vacancy_id, before, uri, status in candidates[:PROBE_TRIES]:
            score = 1 if status == "met" else 5
            self.requests += 1
            with httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {self.token}"}) as c:
                sent = time.perf_counter()
                w = c.post(f"/clients/{key}/observations", json={"scale": self.scales[uri], "score": score})
            landed = time.perf_counter()
            if w.status_code == 200 and w.json().get("landed") == 1:
                break
        else:
            self.skipped += 1
            return
        while time.perf_counter() - landed < self.timeout_s:
            r = self._get(path)
            if r.status_code == 200 and self._fit(r.json()["items"], vacancy_id) != before:
                now = time.perf_counter()
                self.visible_ms.append((now - landed) * 1000)
                self.visible_incl_post_ms.append((now - sent) * 1000)
                return
            time.sleep(self.poll_s)
        self.timeouts += 1

    def run(self, deadline: float) -> None:
        for key in self.clients:
            if self.stop.is_set() or time.perf_counter() >= deadline:
                return
            try:
                self.one(key)
            except (httpx.HTTPError, ValueError, KeyError):
                self.skipped += 1
            self.stop.wait(self.pause_s)

    def figures(self) -> dict:
        return {"write_visible_p50_ms": _r(percentile(self.visible_ms, 50)),
                "write_visible_p95_ms": _r(percentile(self.visible_ms, 95)),
                "write_visible_max_ms": _r(max(self.visible_ms) if self.visible_ms else None),
                "write_visible_incl_post_p95_ms": _r(percentile(self.visible_incl_post_ms, 95)),
                "write_visible_n": len(self.visible_ms), "write_visible_timeouts": self.timeouts,
                "write_visible_skipped": self.skipped, "write_visible_timeout_s": self.timeout_s,
                "write_visible_poll_ms": round(self.poll_s * 1000), "probe_requests": self.requests}


# ---------------------------------------------------------------- the run

def run(driver, database: str, data_dir: Path, *, clients: int, vacancies: int, concurrency: int, workers: int,
        seconds: float, max_requests: int, caseload: int | None, seed: int, keep: bool, warmup_s: float = 0.0,
        warm_timeout_s: float = 900.0, visible_timeout_s: float = 10.0, progress=None, neo4j_cpu=None,
        neo4j_pid=None) -> dict:
    from api.access import Role
    from api.auth import TokenStore

    say = progress or (lambda msg: None)
    load_before = os.getloadavg()
    caseload = min(caseload or clients, clients)
    say(f"population: {clients} clients, {vacancies} vacancies (caseload {caseload})")
    setup = ensure_population(driver, database, data_dir, clients, vacancies, seed, caseload)
    rnd = random.Random(time.time_ns())  # other clients each run: earlier runs' probes left observations
    coaches = min(concurrency, setup["coaches"])
    work = sample_work(driver, database, clients, caseload, coaches, rnd)
    touchable = sorted({k for pool in work["pools"].values() for k in pool} | set(work["probe_clients"]))
    before = snapshot_clients(driver, database, touchable)
    workdir = Path(tempfile.mkdtemp(prefix="atlas-bench-api-"))
    store = TokenStore(workdir / "tokens.json")
    tokens = {coach: store.create(coach, Role.COACH, "bench", created_by="bench")[0] for coach in work["pools"]}
    say(f"server: {workers} worker(s), log {workdir / 'server.log'}")
    server = start_server(workdir, workdir / "tokens.json", workers)
    result: dict = {}
    try:
        probe_key = work["pools"][work["probe_coach"]][0]
        warm_s = wait_warm(server, tokens[work["probe_coach"]], f"/clients/{probe_key}/vacancies?limit=5", workers,
                           warm_timeout_s)
        say(f"warm after {warm_s:.1f} s; load: {concurrency} threads, {warmup_s:.0f} s uncounted, {seconds:.0f} s")
        began = time.perf_counter() + warmup_s
        deadline = began + seconds
        load = Load(server.url, tokens, work, seconds, max_requests, seed, counted_from=began)
        threads = [threading.Thread(target=load.worker, args=(i, deadline), daemon=True) for i in range(concurrency)]
        for t in threads:
            t.start()
        # The same load first warms what a running service has warm: Neo4j's JIT compiler spent
        # ~18 s of CPU in the first 20 s of a run after the bench's own population reads and writes
        # (`jstat -compiler`), time the service then did not have (docs/bench-api.md "Session 33").
        time.sleep(max(0.0, began - time.perf_counter()))
        cpu_before, bench_before = server_cpu_s(server.proc.pid), _self_cpu_s()
        neo4j_before = neo4j_cpu() if neo4j_cpu else None
        probe = Probe(server.url, tokens[work["probe_coach"]], work["probe_clients"], visible_timeout_s)
        sampler = MemorySampler(server.proc.pid, neo4j_pid, max(5.0, seconds / 40))
        sampling = threading.Thread(target=sampler.run, args=(began,), daemon=True)
        sampling.start()
        probing = threading.Thread(target=probe.run, args=(deadline,), daemon=True)
        probing.start()
        threads.append(probing)
        for t in threads:
            t.join(seconds + 120)
        load.stop.set()
        probe.stop.set()
        sampler.stop.set()
        sampling.join(30)
        sampler.sample(began)  # the last sample, after the load
        wall = time.perf_counter() - began
        mem = memory(server.proc.pid)
        index = index_state(server.url)
        cpu = server_cpu_s(server.proc.pid) - cpu_before
        neo4j_after = neo4j_cpu() if neo4j_cpu else None
        result = {"clients": clients, "vacancies": vacancies, "concurrency": concurrency, "workers": workers,
                  "seconds": seconds, "load_warmup_s": warmup_s, "max_requests": max_requests, "wall_s": round(wall, 1),
                  **summarise(load.samples, wall), **probe.figures(), **mem,
                  "server_cpu_s": round(cpu, 1), "bench_cpu_s": round(_self_cpu_s() - bench_before, 1),
                  "neo4j_cpu_s": round(neo4j_after - neo4j_before, 1) if neo4j_before is not None and neo4j_after
                  is not None else None,
                  "warm_s": round(warm_s, 1), "index_at_end": index, **setup, "write_share": WRITE_SHARE,
                  "memory_samples": sampler.samples,
                  "loadavg_before": [round(x, 2) for x in load_before]}
        if result["requests"]:
            result["server_cpu_ms_per_request"] = round(1000 * cpu / result["requests"], 1)
    finally:
        server.stop()
        (workdir / "tokens.json").unlink(missing_ok=True)
        restore_clients(driver, database, before)  # the next run ranks the same population
    # another process may have wiped the graph meanwhile (a test run against this server): say so
    from matcher.bench_match import BENCH_PREFIX, Q_BENCH_COUNTS
    held = driver.execute_query(Q_BENCH_COUNTS, p=BENCH_PREFIX, database_=database).records[0]
    result["population_intact_after"] = (held["clients"], held["vacancies"]) == (clients, vacancies)
    if not keep:
        say("removing the bench population (--keep leaves it)")
        clean_bench_writes(driver, database)
    result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    result["server_log"] = str(server.log)
    return result


def _self_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def soak_figures(result: dict) -> dict:
    """`bench soak`: what a long run must show. Memory from the first sample after the warm-up (a
    fifth of the run: the index files' pages mapped in, caches and the JVM heap filled) to the end;
    the API's RSS and its private part (RssAnon) apart, since mapped index pages are shared and
    reclaimable while a leak grows the private part."""
    warmup_s = result["seconds"] / 5
    growth = {key: memory_growth(result["memory_samples"], key, warmup_s)
              for key in ("api_rss_mb", "api_anon_mb", "neo4j_rss_mb")}
    met = {f"{key}_growth_le_10_pct": g["growth_pct"] <= 10.0 for key, g in growth.items()
           if g.get("growth_pct") is not None}
    return {"minutes": round(result["seconds"] / 60, 1), "warmup_s": warmup_s, **growth,
            "p95_ms": {name: e["p95_ms"] for name, e in {**result["endpoints"], **result["pages"]}.items()},
            "goals_met": {"errors": result["errors"] == 0, **met}}


def command(clients: int, vacancies: int, concurrency: int, workers: int, seconds: float, max_requests: int,
            caseload: int | None, seed: int, keep: bool, warm_timeout_s: float, visible_timeout_s: float,
            as_json: bool, soak: bool = False, warmup_s: float = 0.0) -> None:
    from graph_schema.db import connect
    from graph_schema.migrate import migrate
    from graph_schema.settings import settings

    s = settings()
    neo4j_cpu = neo4j_pid = None
    if s.provisions_local_server:  # the local server's CPU seconds (Neo4j's share of each request) and memory
        from graph_schema.server import LocalServer
        neo4j_cpu, neo4j_pid = LocalServer(s).cpu_seconds, LocalServer(s).pid
    progress = None if as_json else (lambda msg: print(f"bench api: {msg}", file=sys.stderr, flush=True))
    with connect(s) as driver:
        migrate(driver, s.neo4j_database)
        result = run(driver, s.neo4j_database, s.data_dir, clients=clients, vacancies=vacancies,
                     concurrency=concurrency, workers=workers, seconds=seconds, max_requests=max_requests,
                     caseload=caseload, seed=seed, keep=keep, warmup_s=warmup_s, warm_timeout_s=warm_timeout_s,
                     visible_timeout_s=visible_timeout_s, progress=progress, neo4j_cpu=neo4j_cpu,
                     neo4j_pid=neo4j_pid)
    print(json.dumps({**soak_figures(result), **result} if soak else result))
