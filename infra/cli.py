"""The `hlm` command line: init, serve, token, demo, generate, project."""

from __future__ import annotations

import typer
from rich.console import Console

from infra.settings import Settings

app = typer.Typer(help="hlm: event-sourced social-housing allocation backend",
                  no_args_is_help=True)
console = Console()


@app.command()
def init() -> None:
    """Create the schema and every table (run once before services; they use CREATE_TABLE=n)."""
    from infra.store import init_store

    settings = Settings()
    init_store(settings).close()
    where = settings.database_url if settings.uses_postgres else settings.sqlite_path
    console.print(f"[green]store ready[/green] {where}")


@app.command()
def serve(host: str = typer.Option(None, help="Bind address (default HLM_HOST)"),
          port: int = typer.Option(None, help="Port (default HLM_PORT)"),
          workers: int = typer.Option(1, help="Worker processes"),
          access_log: bool = typer.Option(False, help="Log every request (costs ~0.5 ms)"),
          ) -> None:
    """Serve the HTTP API."""
    import uvicorn

    settings = Settings()
    uvicorn.run("api.main:app", host=host or settings.host, port=port or settings.port,
                workers=workers, loop="uvloop", http="httptools", log_level="info",
                access_log=access_log)


@app.command()
def token(role: str = typer.Option(..., help="admin, bailleur, reservataire, commune, "
                                            "auditeur or abonne"),
          org: str = typer.Option(None, help="Organisation id the caller acts for"),
          ttl: int = typer.Option(3600, help="Lifetime in seconds")) -> None:
    """Print a token signed with the configured secret."""
    from api.auth import make_token

    try:
        print(make_token(Settings().secret, role, org, ttl))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def demo(if_empty: bool = typer.Option(False, "--if-empty",
                                       help="Do nothing when the store already has events")
         ) -> None:
    """Load a realistic small territory into the store, then print tokens and example URLs."""
    from infra.demo import load_demo, print_quickstart
    from infra.store import open_application

    settings = Settings()
    application = open_application(settings)
    try:
        if if_empty and application.compter_evenements() > 0:
            console.print("[yellow]store already has data: demo not loaded again[/yellow]")
        else:
            summary = load_demo(application)
            console.print(f"[green]demo loaded[/green]: {summary}")
        print_quickstart(settings, application, console)
    finally:
        application.close()


@app.command()
def generate(
    events: int = typer.Option(..., "--events", min=1000,
                               help="About how many events to write (it stops once reached)"),
    seed: int = typer.Option(0, "--seed", help="Same seed, same history"),
    database_url: str = typer.Option(
        None, "--database-url",
        help="postgresql://… to write there (default: the configured store, "
             "HLM_DATABASE_URL or the embedded SQLite of HLM_DATA_DIR)"),
    schema: str = typer.Option(None, "--schema",
                               help="PostgreSQL schema (default HLM_DATABASE_SCHEMA)"),
    batch_size: int = typer.Option(400, "--batch-size", min=10, max=2000,
                                   help="Aggregates saved per transaction"),
) -> None:
    """Write a realistic synthetic history 2012-2025 through the domain into an empty store."""
    from rich.table import Table

    from infra.generate import generate as generer
    from infra.store import init_store

    overrides: dict[str, str] = {}
    if database_url:
        if not database_url.startswith(("postgresql://", "postgres://")):
            raise typer.BadParameter("expected a postgresql:// URL", param_hint="--database-url")
        overrides["database_url"] = database_url
    if schema:
        overrides["database_schema"] = schema
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if schema and not settings.uses_postgres:
        raise typer.BadParameter("a schema needs PostgreSQL (--database-url or "
                                 "HLM_DATABASE_URL)", param_hint="--schema")
    where = (f"{settings.database_url} (schema {settings.database_schema})"
             if settings.uses_postgres else str(settings.sqlite_path))
    application = init_store(settings)
    try:
        deja = application.compter_evenements()
        if deja:
            console.print(f"[red]{where} already has {deja} events[/red]: generate into an "
                          "empty store (another --schema or HLM_DATA_DIR)")
            raise typer.Exit(code=1)
        console.print(f"generating about {events} events (seed {seed}) into {where}")
        bilan = generer(application, events, seed, taille_lot=batch_size,
                        progression=lambda n, jour: console.print(
                            f"  {n:>10} events, business date {jour.isoformat()}"))
    finally:
        application.close()
    table = Table("event", "count")
    for kind, count in bilan.par_type.items():
        table.add_row(kind, str(count))
    table.add_row("[bold]total[/bold]", f"[bold]{bilan.evenements}[/bold]")
    console.print(table)
    ind = bilan.indicateurs
    part = ind.get("refus", 0) / max(1, ind.get("attributions", 0))
    console.print(f"{ind.get('demandes', 0)} demandes, {ind.get('vacances', 0)} vacancies, "
                  f"{ind.get('attributions', 0)} attributions, {ind.get('refus', 0)} refusals "
                  f"({part:.0%}), {ind.get('baux', 0)} leases ({ind.get('baux_tardifs', 0)} "
                  f"recorded late), {ind.get('corrections_tardives', 0)} late corrections")
    console.print(f"[green]{bilan.evenements} events in {bilan.secondes:.1f} s: "
                  f"{bilan.par_seconde:,.0f} events/s[/green]")


@app.command()
def project(batch_size: int = typer.Option(1000, help="Events per transaction")) -> None:
    """Run the projection runner in the foreground (production: its own process)."""
    import signal
    import threading

    from infra.store import open_application
    from projections.service import Projections

    settings = Settings()
    application = open_application(settings)
    vues = Projections(application, settings)
    vues.runner.batch_size = batch_size
    if not vues.lock.acquire():
        console.print("[red]another projector already works on these views; exiting[/red]")
        vues.stop()
        application.close()
        raise typer.Exit(code=3)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    console.print("projector running; lag per view: "
                  f"{vues.runner.lag()}")
    try:
        vues.runner.run(stop)
    finally:
        vues.lock.release()
        vues.stop()
        application.close()


projections_app = typer.Typer(help="Read models: status")
app.add_typer(projections_app, name="projections")


@projections_app.command("status")
def projections_status() -> None:
    """Each view's position, lag behind the store and error, if any."""
    from rich.table import Table

    from infra.store import open_application
    from projections.service import Projections

    settings = Settings()
    application = open_application(settings)
    vues = Projections(application, settings)
    try:
        head = application.recorder.max_notification_id() or 0
        table = Table("vue", "position", "retard", "erreur")
        for s in vues.runner.statuses().values():
            table.add_row(s.nom, str(s.position), str(head - s.position), s.erreur or "")
        console.print(table)
    finally:
        vues.stop()
        application.close()


if __name__ == "__main__":
    app()
