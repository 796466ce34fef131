"""Neo4j adapter for what the API reads and writes about clients: assignments (caseload and
referrals), profiles, measurements, gates, identities and consent. Parameterised Cypher only.

Assignments: (:Coach {id})-[:COACHES]->(:Client) is a coach's caseload;
(:Client)-[:REFERRED_TO]->(:CtcAdvisor {id}) a referral to a CTC advisor.
Consent: (:Client)-[:CONSENTED {vacancy_id, at}]->(:Vacancy); withdrawals counted in
(:Client)-[:CONSENT_EPOCH {vacancy_id, epoch}]->(:Vacancy).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from neo4j import Driver, ManagedTransaction

from api.access import Assignment
from api.decision_repository import LATEST_DECISIONS, by_ref
from api.values import parsed_json, plain
from graph_schema.access_state import ACCESS_TOKEN, bump_access
from graph_schema.db import read, write_session
from matcher.profile_store import NEW_CLIENT, PROFILE_PROPERTIES, evidence_rows

# Who may see client `c` (api/access.may_see_client reads it): one fragment wherever it is read.
ASSIGNMENT_COLUMNS = ("[(co:Coach)-[:COACHES]->(c) | co.id] AS coaches, "
                      "[(c)-[:REFERRED_TO]->(a:CtcAdvisor) | a.id] AS advisors")

_ASSIGNMENTS = f"""
UNWIND $keys AS key
MATCH (c:Client {{key: key}})
RETURN key, {ASSIGNMENT_COLUMNS}
"""

_ASSIGN_COACH = f"""
MERGE (c:Client {{key: $key}})
ON CREATE SET {NEW_CLIENT}
MERGE (co:Coach {{id: $subject}})
MERGE (co)-[r:COACHES]->(c)
ON CREATE SET r.since = datetime($now)
"""

_ASSIGN_ADVISOR = f"""
MERGE (c:Client {{key: $key}})
ON CREATE SET {NEW_CLIENT}
MERGE (a:CtcAdvisor {{id: $subject}})
MERGE (c)-[r:REFERRED_TO]->(a)
ON CREATE SET r.since = datetime($now)
"""

_UNASSIGN = {
    "coach": "MATCH (:Coach {id: $subject})-[r:COACHES]->(:Client {key: $key}) DELETE r RETURN count(r) AS n",
    "ctc_advisor": "MATCH (:Client {key: $key})-[r:REFERRED_TO]->(:CtcAdvisor {id: $subject}) DELETE r RETURN count(r) AS n",
}

# A page of a held caseload, each row checked again against the caller's relation (a held
# caseload is only as fresh as its token; this costs nothing extra for a page).
_VISIBLE_TO_SUBJECT = {
    "coach": "WHERE EXISTS { (:Coach {id: $subject})-[:COACHES]->(c) }",
    "ctc_advisor": "WHERE EXISTS { (c)-[:REFERRED_TO]->(:CtcAdvisor {id: $subject}) }",
}
ROLES_WITH_CASELOADS = tuple(_VISIBLE_TO_SUBJECT)
_CLIENT_ROWS = {role: f"""
UNWIND $keys AS key
MATCH (c:Client {{key: key}}) {where}
RETURN c {{.key, .gate, .gate_measured, .municipality_code, .region_code}} AS row ORDER BY c.key
""" for role, where in _VISIBLE_TO_SUBJECT.items()}

# The caseload with the access token it was read at (the token first, so keys read with an old
# token are never older than it); the keys only when the caller does not hold them for it (`$known`).
_CASELOAD_KEYS = {
    "coach": "MATCH (:Coach {id: $subject})-[:COACHES]->(c:Client) RETURN c.key",
    "ctc_advisor": "MATCH (c:Client)-[:REFERRED_TO]->(:CtcAdvisor {id: $subject}) RETURN c.key",
}
_SCOPE = {role: f"""
OPTIONAL MATCH (s:AccessState {{id: 'access'}})
WITH {ACCESS_TOKEN} AS token
RETURN token, CASE WHEN token = $known THEN null ELSE COLLECT {{ {keys} }} END AS keys
""" for role, keys in _CASELOAD_KEYS.items()}

_LAST_MEASURED = """
UNWIND $keys AS key
MATCH (:Client {key: key})-[:HAS_MEASUREMENT]->(m:Measurement)
RETURN key, max(m.measured_at) AS last
"""

# With the assignment (whether the caller may see the client costs no read of its own) and the
# latest decisions: a profile is one read.
_PROFILE = f"""
MATCH (c:Client {{key: $key}})
OPTIONAL MATCH (i:ClientIdentity)-[:IDENTIFIES]->(c)
RETURN properties(c) AS client, i {{.name, .email, .phone}} AS identity,
       COLLECT {{ MATCH (k:Competency) WHERE k.uri IN c.profile_competencies
                 RETURN k {{.uri, .label_en, .label_nl}} }} AS labels,
       [(c)-[w:WORKED_AS]->(o:Occupation) | {{uri: o.uri, label_en: o.label_en, label_nl: o.label_nl,
         years: w.years}}] AS work_history,
       [(c)-[k:CONSENTED]->(v:Vacancy) | {{vacancy_id: v.id, at: k.at}}] AS consents,
       {ASSIGNMENT_COLUMNS}, {LATEST_DECISIONS} AS decisions
"""

# What names the evidence on a ranked page, in one read: the stored profile (its sources), the work
# history, the measurements the profile cites (not every measurement the client has: observations
# add up) and the vacancies the client consented to.
_EVIDENCE_SOURCES = f"""
MATCH (c:Client {{key: $key}})
RETURN c {{{", ".join("." + p for p in PROFILE_PROPERTIES)}}} AS profile,
       [(c)-[w:WORKED_AS]->(o:Occupation) | {{uri: o.uri, label_en: o.label_en, label_nl: o.label_nl,
         years: w.years}}] AS work_history,
       [(c)-[:CONSENTED]->(v:Vacancy) | v.id] AS consents,
       COLLECT {{ MATCH (c)-[:HAS_MEASUREMENT]->(m:Measurement) WHERE m.id IN c.profile_sources
                  RETURN m {{.id, .instrument, .measured_at}} }} AS measurements
"""

_MEASUREMENTS = """
MATCH (c:Client {key: $key})-[:HAS_MEASUREMENT]->(m:Measurement)
WITH m ORDER BY m.measured_at DESC, m.id
WITH collect(properties(m)) AS rows
RETURN size(rows) AS total, rows[$offset..$offset + $limit] AS items
"""

_MEASUREMENT_FINGERPRINT = """
MATCH (c:Client {key: $key})-[:HAS_MEASUREMENT]->(m:Measurement)
WITH m ORDER BY m.id
RETURN collect(properties(m)) AS ms
"""

# An employer desk's view of shortlisted clients for one vacancy: whether each consented, how often
# they withdrew (the pseudonym's epoch), and name and e-mail only for those who consented.
_CONSENT_STATE = """
UNWIND $keys AS key
MATCH (c:Client {key: key})
OPTIONAL MATCH (c)-[e:CONSENT_EPOCH {vacancy_id: $vacancy_id}]->(:Vacancy)
WITH c, key, coalesce(e.epoch, 0) AS epoch,
     EXISTS { (c)-[:CONSENTED {vacancy_id: $vacancy_id}]->(:Vacancy {id: $vacancy_id}) } AS agreed
OPTIONAL MATCH (i:ClientIdentity {client_key: key})-[:IDENTIFIES]->(c) WHERE agreed
RETURN key, agreed, epoch, i IS NOT NULL AS identified, i.name AS name, i.email AS email,
       COLLECT { MATCH (r:IntroductionRequest {client_key: key, vacancy_id: $vacancy_id})
                 WHERE r.status = 'open' AND coalesce(r.epoch, 0) = epoch  // asked under this pseudonym
                 RETURN toString(r.at) }[0] AS asked_at
"""

_CONSENT = """
MATCH (c:Client {key: $key}), (v:Vacancy {id: $vacancy_id})
MERGE (c)-[k:CONSENTED {vacancy_id: $vacancy_id}]->(v)
ON CREATE SET k.at = datetime($now), k.recorded_by = $subject
RETURN toString(k.at) AS at
"""

# A withdrawal also counts up the (client, vacancy) consent epoch, which changes the employer's
# pseudonym for the client (api/access.py pseudonym).
_WITHDRAW = """
MATCH (c:Client {key: $key})-[k:CONSENTED {vacancy_id: $vacancy_id}]->(v:Vacancy)
DELETE k
MERGE (c)-[e:CONSENT_EPOCH {vacancy_id: $vacancy_id}]->(v)
SET e.epoch = coalesce(e.epoch, 0) + 1
RETURN count(*) AS n
"""

# Fields of a measurement that are JSON text in the graph and data in the API.
_JSON_FIELDS = ("blocks_json", "sensitive_json", "gates_json", "work_history_json", "raw_scores_json")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def assignments(driver: Driver, database: str, keys: list[str]) -> dict[str, Assignment]:
    """The assignment of each existing client; a key without a client is absent."""
    records, _, _ = read(driver, _ASSIGNMENTS, database, keys=keys)
    return {r["key"]: Assignment(frozenset(r["coaches"]), frozenset(r["advisors"])) for r in records}


def assign(driver: Driver, database: str, key: str, role: str, subject: str) -> None:
    query = _ASSIGN_COACH if role == "coach" else _ASSIGN_ADVISOR

    def work(tx: ManagedTransaction) -> None:
        tx.run(query, key=key, subject=subject, now=_now()).consume()
        bump_access(tx)
    with write_session(driver, database) as session:
        session.execute_write(work)


def unassign(driver: Driver, database: str, key: str, role: str, subject: str) -> bool:
    def work(tx: ManagedTransaction) -> bool:
        removed = tx.run(_UNASSIGN[role], key=key, subject=subject).single()["n"] > 0
        if removed:
            bump_access(tx)
        return removed
    with write_session(driver, database) as session:
        return session.execute_write(work)


def client_rows(driver: Driver, database: str, role: str, subject: str, keys: list[str]) -> list[dict]:
    """Key, gate and place of those of `keys` the subject may see, by key (a page of a caseload)."""
    records, _, _ = read(driver, _CLIENT_ROWS[role], database, subject=subject, keys=keys)
    return [plain(r["row"]) for r in records]


def scope_keys(driver: Driver, database: str, role: str, subject: str,
               known: str | None = None) -> tuple[str | None, list[str] | None]:
    """(the access token, every key of the subject's caseload or referrals, unsorted): a ranking's
    scope. The keys are None when `known` is that token: the caller has them. The token is None
    before any write or migration drew one (graph_schema/access_state.py)."""
    records, _, _ = read(driver, _SCOPE[role], database, subject=subject, known=known)
    return records[0]["token"], records[0]["keys"]


def last_measured(driver: Driver, database: str, keys: list[str]) -> dict[str, str]:
    """The date of each client's newest measurement, for many clients in one query (a client
    without measurements is absent)."""
    if not keys:
        return {}
    records, _, _ = read(driver, _LAST_MEASURED, database, keys=keys)
    return {r["key"]: plain(r["last"]) for r in records}


def client_profile(driver: Driver, database: str, key: str) -> dict | None:
    records, _, _ = read(driver, _PROFILE, database, key=key)
    if not records:
        return None
    r = records[0]
    labels = {k["uri"]: k for k in r["labels"]}
    competencies = []
    for e in evidence_rows(r["client"]):  # sorted by URI, as stored
        uri = e.pop("competency")
        label = labels.get(uri, {})
        competencies.append({"uri": uri, "label_en": label.get("label_en"), "label_nl": label.get("label_nl"), **e})
    client = {k: v for k, v in r["client"].items() if k not in PROFILE_PROPERTIES}
    return {**plain({"client": client, "identity": r["identity"], "competencies": competencies,
                     "work_history": r["work_history"], "consents": r["consents"],
                     "decisions": by_ref(r["decisions"])}),
            "assignment": Assignment(frozenset(r["coaches"]), frozenset(r["advisors"]))}


def evidence_sources(driver: Driver, database: str, key: str, competencies: set[str]) -> dict | None:
    """What names the evidence for `competencies` on a ranked page (see _EVIDENCE_SOURCES): their
    stored evidence with its sources, the work history, the cited measurements and the consented
    vacancies; None when there is no such client."""
    records, _, _ = read(driver, _EVIDENCE_SOURCES, database, key=key)
    if not records:
        return None
    r = records[0]
    return {"evidence": {e["competency"]: e for e in evidence_rows(r["profile"], competencies)},
            "work_history": plain(r["work_history"]), "consents": set(r["consents"]),
            "measurements": [plain(m) for m in r["measurements"]]}


def measurement_view(props: dict) -> dict:
    out = plain({k: v for k, v in props.items() if k != "client_key"})
    for name in _JSON_FIELDS:
        if name in out:
            out[name.removesuffix("_json")] = parsed_json(out.pop(name))
    return out


def measurements(driver: Driver, database: str, key: str, offset: int, limit: int) -> tuple[int, list[dict]]:
    records, _, _ = read(driver, _MEASUREMENTS, database, key=key, offset=offset, limit=limit)
    return records[0]["total"], [measurement_view(m) for m in records[0]["items"]]


def measurement_snapshot(driver: Driver, database: str, key: str) -> list[dict]:
    """Every stored property of every measurement of a client (tests: decisions leave them untouched)."""
    records, _, _ = read(driver, _MEASUREMENT_FINGERPRINT, database, key=key)
    return [plain(m) for m in records[0]["ms"]]


def consent_given(tx: ManagedTransaction, key: str, vacancy_id: str, subject: str) -> str | None:
    """In the act's transaction (graph_schema.db.write_unit): when the consent was given, None when
    the client or vacancy is not there."""
    record = tx.run(_CONSENT, key=key, vacancy_id=vacancy_id, subject=subject, now=_now()).single()
    return record["at"] if record else None


def consent_withdrawn(tx: ManagedTransaction, key: str, vacancy_id: str) -> bool:
    """In the act's transaction: whether there was a consent to withdraw."""
    return tx.run(_WITHDRAW, key=key, vacancy_id=vacancy_id).single()["n"] > 0


@dataclass(frozen=True)
class ConsentState:
    agreed: bool
    epoch: int  # how often the client withdrew consent for the vacancy
    identity: dict | None  # name and e-mail, only once the client consented
    asked_at: str | None = None  # an introduction the desk asked for and the coach has not answered yet


NOT_CONSENTED = ConsentState(False, 0, None)


def consent_states(driver: Driver, database: str, vacancy_id: str, keys: list[str]) -> dict[str, ConsentState]:
    """Per client key, what an employer desk may know of them for this vacancy (one read)."""
    if not keys:
        return {}
    records, _, _ = read(driver, _CONSENT_STATE, database, vacancy_id=vacancy_id, keys=keys)
    return {r["key"]: ConsentState(r["agreed"], r["epoch"],
                                   {"name": r["name"], "email": r["email"]} if r["identified"] else None,
                                   r["asked_at"])
            for r in records}
