"""Which vacancies the caller works for (api/access.py): an employer desk's regions, read per
request (one indexed node), and its own additions; every other role works for every vacancy."""
from __future__ import annotations

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
    desk = scope(ctx)
    if desk is None:
        return True
    return may_see_vacancy(desk, desk_repository.vacancy_owners(ctx.driver, ctx.database, [vacancy_id]).get(vacancy_id))


def not_theirs(ctx: Ctx, ids: list[str]) -> set[str]:
    """Among stored vacancies `ids`, those a desk may not change (new identifiers are its own)."""
    desk = scope(ctx)
    if desk is None or not ids:
        return set()
    owners = desk_repository.vacancy_owners(ctx.driver, ctx.database, ids)
    return {i for i, owner in owners.items() if not desk.covers(*owner)}


def set_regions(ctx: Ctx, subject: str, codes: list[str]) -> dict:
    """An admin gives a desk its regions (replacing the ones it had); an unknown code is refused,
    as a typo would otherwise leave the desk with no vacancies and no word why."""
    names = _region_names(ctx)
    unknown = [c for c in codes if c not in names]
    if unknown:
        raise ApiProblem(422, "Unknown labour-market region code(s).", errors=[
            {"location": "body", "pointer": f"/regions/{codes.index(c)}", "field": "regions", "type": "value_error",
             "message": f"{c!r} is not one of the labour-market region codes (arbeidsmarktregio, e.g. AM13)"} for c in unknown])
    desk_repository.set_regions(ctx.driver, ctx.database, subject, codes, ctx.principal.subject)
    audit.record_act(ctx.driver, ctx.database, ctx.principal, "desk_regions_set", ctx.endpoint,
                     target=f"employer_desk:{subject} regions {','.join(sorted(set(codes))) or '-'}")
    return {"subject": subject, "regions": [{"code": c, "name": names[c]} for c in sorted(set(codes))]}


def list_desks(ctx: Ctx) -> list[dict]:
    names = _region_names(ctx)
    return [{"subject": d["subject"], "regions": [{"code": c, "name": names.get(c, c)} for c in d["regions"]]}
            for d in desk_repository.desks(ctx.driver, ctx.database)]


def _region_names(ctx: Ctx) -> dict[str, str]:
    # imported here: the geography module brings rapidfuzz, which the serving workers otherwise skip
    from ingest.geo import region_names

    return region_names(ctx.settings.data_dir)
