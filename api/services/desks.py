"""Which vacancies the caller works for (api/access.py): an employer desk's regions, read per
request (one indexed node), and its own additions; every other role works for every vacancy."""
from __future__ import annotations

from pathlib import Path

from neo4j import Driver

from api import audit, desk_repository
from api.access import DeskScope, Role, may_see_vacancy, vacancy_scope
from api.deps import Ctx
from api.problems import ApiProblem


def scope(ctx: Ctx) -> DeskScope | None:
    """The caller's vacancy scope; None: every vacancy."""
    if ctx.principal.role is not Role.EMPLOYER_DESK:
        return None
    return vacancy_scope(ctx.principal, desk_repository.regions(ctx.driver, ctx.database, ctx.principal.subject))


def works_for(ctx: Ctx, vacancy_id: str) -> bool:
    """False when the caller is a desk and the vacancy is outside its scope (or absent): the caller
    then answers as for a vacancy that does not exist. Other roles: True, without a read."""
    if ctx.principal.role is not Role.EMPLOYER_DESK:
        return True
    regions, owner = desk_repository.regions_and_owner(ctx.driver, ctx.database, ctx.principal.subject, vacancy_id)
    return may_see_vacancy(vacancy_scope(ctx.principal, regions), owner)


class UnknownRegions(ValueError):
    """Codes that are not labour-market regions, with their places in the list given."""

    def __init__(self, unknown: list[tuple[int, str]]):
        super().__init__(", ".join(code for _, code in unknown)
                         + ": not a labour-market region code (arbeidsmarktregio, e.g. AM13)")
        self.unknown = unknown


def give_regions(driver: Driver, database: str, data_dir: Path, subject: str, codes: list[str], by: str) -> dict:
    """A desk's regions replaced (the API's admin and `atlas-match desks set` alike); an unknown
    code is refused, as a typo would otherwise leave the desk with no vacancies and no word why."""
    names = _region_names(data_dir)
    unknown = [(i, c) for i, c in enumerate(codes) if c not in names]
    if unknown:
        raise UnknownRegions(unknown)
    desk_repository.set_regions(driver, database, subject, codes, by)
    return {"subject": subject, "regions": named(sorted(set(codes)), data_dir)}


def set_regions(ctx: Ctx, subject: str, codes: list[str]) -> dict:
    """PUT /admin/desks/{subject}: give_regions, audited with the admin's name."""
    try:
        out = give_regions(ctx.driver, ctx.database, ctx.settings.data_dir, subject, codes, ctx.principal.subject)
    except UnknownRegions as exc:
        raise ApiProblem(422, "Unknown labour-market region code(s).", errors=[
            {"location": "body", "pointer": f"/regions/{i}", "field": "regions", "type": "value_error",
             "message": f"{c!r} is not one of the labour-market region codes (arbeidsmarktregio, e.g. AM13)"}
            for i, c in exc.unknown]) from None
    audit.record_act(ctx.driver, ctx.database, ctx.principal, "desk_regions_set", ctx.endpoint,
                     target=f"employer_desk:{subject} regions {','.join(r['code'] for r in out['regions']) or '-'}")
    return out


def list_desks(driver: Driver, database: str, data_dir: Path) -> list[dict]:
    return [{"subject": d["subject"], "regions": named(d["regions"], data_dir)}
            for d in desk_repository.desks(driver, database)]


def named(codes: list[str], data_dir: Path) -> list[dict]:
    """Region codes with their CBS names, as the API answers and the command line prints them."""
    names = _region_names(data_dir)
    return [{"code": c, "name": names.get(c, c)} for c in codes]


def described(regions: list[dict]) -> str:
    """"AM01 Groningen, AM02 Friesland" for a terminal line."""
    return ", ".join(f"{r['code']} {r['name']}" for r in regions)


def _region_names(data_dir: Path) -> dict[str, str]:
    # imported here: the geography module brings rapidfuzz, which the serving workers otherwise skip
    from ingest.geo import region_names

    return region_names(data_dir)
