"""The `hlm` command line: init, serve, token, demo."""

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
