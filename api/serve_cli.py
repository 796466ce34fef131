"""`atlas-match serve` (the HTTP API under uvicorn), `atlas-match tokens ...` (local bearer tokens) and
`atlas-match desks ...` (which regions an employer desk works for)."""
from __future__ import annotations

import json

import typer

from api.access import Role
from graph_schema.settings import settings

serve_app = typer.Typer(help="Run the HTTP API.", invoke_without_command=True)
tokens_app = typer.Typer(help="Local bearer tokens for the API (only their hashes are stored).", no_args_is_help=True)
desks_app = typer.Typer(help="Employer desks: the labour-market regions whose vacancies each works for.",
                        no_args_is_help=True)


@serve_app.callback()
def serve(host: str = typer.Option(None, "--host", help="Default: ATLAS_API_HOST."),
          port: int = typer.Option(None, "--port", help="Default: ATLAS_API_PORT."),
          workers: int = typer.Option(1, "--workers", min=1)) -> None:
    """Start the API (uvicorn + create_app); the schema is migrated on start."""
    import uvicorn

    from api.logs import uvicorn_log_config

    s = settings()
    host, port = host or s.api_host, port or s.api_port
    if workers > 1:
        fork_workers_from_here()
    typer.echo(f"API at http://{host}:{port}  (OpenAPI: http://{host}:{port}/docs)")
    # A worker that builds or maps the match index at start is busy for a while: give the
    # health check time instead of restarting it.
    uvicorn.run("api.serving:create_app", factory=True, host=host, port=port, workers=workers, log_level="info",
                timeout_worker_healthcheck=120,
                log_config=uvicorn_log_config(),  # JSON lines with the request id (api/logs.py)
                access_log=False)  # api/edge.py writes the access line, with the route template


def fork_workers_from_here() -> None:
    """uvicorn starts its workers with multiprocessing's spawn, so each imports the whole service
    again: ~150 MB of private memory a worker. Forked from a supervisor that has imported the app,
    they share those pages (100k clients, c16, 2 workers: 135-145 MB per extra worker against
    192-198 MB spawned, requests/s within the day's spread; docs/bench-api.md, session 23). uvicorn has no option for it, so the process
    context it keeps is replaced (tests/test_serve.py fails if uvicorn moves it). The supervisor
    starts no thread and runs no kernel before it forks; a worker that dies is forked again."""
    import gc
    import multiprocessing

    import uvicorn._subprocess

    import api.serving  # noqa: F401  the app and all it imports, loaded once before the fork

    gc.freeze()  # the collector never writes to what was imported, so those pages stay shared
    uvicorn._subprocess.spawn = multiprocessing.get_context("fork")


@tokens_app.command("create")
def create(role: Role = typer.Option(..., "--role"), subject: str = typer.Option(..., "--subject"),
           name: str = typer.Option("", "--name"), as_json: bool = typer.Option(False, "--json")) -> None:
    """Create a token; it is printed once and cannot be shown again."""
    from api.auth import TokenStore, tokens_file  # FastAPI: imported by the commands that need it, not by every CLI start

    token, entry = TokenStore(tokens_file(settings())).create(subject, role, name, created_by="cli")
    if as_json:
        typer.echo(json.dumps({"token": token, "token_id": entry.token_id, "subject": subject, "role": role.value}))
    else:
        typer.echo(f"{role.value} {subject}: {token}   (id {entry.token_id})")


@tokens_app.command("list")
def list_tokens() -> None:
    from api.auth import TokenStore, tokens_file

    for t in TokenStore(tokens_file(settings())).list():
        typer.echo(f"{t.token_id}  {t.role.value:<14} {t.subject}  {t.name}  {t.created_at}")


@tokens_app.command("revoke")
def revoke(token_id: str = typer.Argument(..., help="The id shown by `tokens list`.")) -> None:
    from api.auth import TokenStore, tokens_file

    if not TokenStore(tokens_file(settings())).revoke(token_id):
        typer.secho(f"no token with id {token_id}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1)
    typer.echo(f"revoked {token_id}")


@desks_app.command("set")
def set_desk(subject: str = typer.Argument(..., help="The desk's token subject."),
             regions: list[str] = typer.Argument(None, help="Region codes (AM01 ...); none: only its own vacancies.")) -> None:
    """Give a desk its regions, replacing the ones it had (as PUT /admin/desks/{subject})."""
    from api.services.desks import UnknownRegions, described, give_regions
    from graph_schema.db import connect

    s = settings()
    with connect(s) as driver:
        try:
            out = give_regions(driver, s.neo4j_database, s.data_dir, subject, regions or [], "cli")
        except UnknownRegions as exc:
            typer.secho(str(exc), err=True, fg=typer.colors.RED)
            raise typer.Exit(1) from None
    typer.echo(f"{subject}: {described(out['regions']) or 'only its own vacancies'}")


@desks_app.command("list")
def list_desk_regions() -> None:
    from api.services.desks import described, list_desks
    from graph_schema.db import connect

    s = settings()
    with connect(s) as driver:
        for d in list_desks(driver, s.neo4j_database, s.data_dir):
            typer.echo(f"{d['subject']}: {described(d['regions']) or '-'}")
