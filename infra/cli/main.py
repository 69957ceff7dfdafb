"""The `hlm` command line: init, serve, token, demo, generate, project, maintenance..."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from infra.settings import SecretInvalide, Settings, masquer_url

app = typer.Typer(help="hlm: event-sourced social-housing allocation backend",
                  no_args_is_help=True)
console = Console()


@app.command()
def init() -> None:
    """Create the schema and every table (run once before services; they use CREATE_TABLE=n)."""
    from infra.persistence.store import init_store

    settings = Settings()
    init_store(settings).close()
    where = masquer_url(settings.database_url) if settings.uses_postgres \
        else settings.sqlite_path
    console.print(f"[green]store ready[/green] {where}")


@app.command()
def serve(host: str = typer.Option(None, help="Bind address (default HLM_HOST)"),
          port: int = typer.Option(None, help="Port (default HLM_PORT)"),
          workers: int = typer.Option(1, help="Worker processes"),
          access_log: bool = typer.Option(
              False, help="Also uvicorn's own text access log (the JSON one, hlm.access, "
              "follows HLM_ACCESS_LOG)"),
          ) -> None:
    """Serve the HTTP API."""
    import uvicorn

    settings = Settings()
    signing_secret(settings)
    uvicorn.run("api.main:app", host=host or settings.host, port=port or settings.port,
                workers=workers, loop="uvloop", http="httptools", log_level="info",
                access_log=access_log)


@app.command()
def token(role: str = typer.Option(..., help="admin, bailleur, reservataire, commune, "
                                            "auditeur or abonne"),
          org: str = typer.Option(None, help="Organisation id the caller acts for"),
          ttl: int = typer.Option(3600, help="Lifetime in seconds")) -> None:
    """Print a token signed with the configured secret."""
    from infra.tokens import make_token

    settings = Settings()
    if ttl > settings.jwt_max_ttl:
        raise typer.BadParameter(f"at most HLM_JWT_MAX_TTL = {settings.jwt_max_ttl} s",
                                 param_hint="--ttl")
    secret = signing_secret(settings)
    try:
        print(make_token(secret, role, org, ttl, audience=settings.jwt_audience,
                         issuer=settings.jwt_issuer))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def signing_secret(settings: Settings) -> str:
    """The JWT secret, or a clear message and exit code 2 (never a 500 per request)."""
    try:
        return settings.secret
    except SecretInvalide as exc:
        console.print(f"[red]refusing to start:[/red] {exc}")
        raise typer.Exit(2) from None


@app.command()
def demo(if_empty: bool = typer.Option(False, "--if-empty",
                                       help="Do nothing when the store already has events")
         ) -> None:
    """Load a realistic small territory into the store, then print tokens and example URLs."""
    from infra.persistence.store import open_application
    from infra.synthetic.demo import load_demo, print_quickstart

    settings = Settings()
    signing_secret(settings)
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

    from infra.persistence.store import init_store
    from infra.synthetic.generate import generate as generer

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
    where = (f"{masquer_url(settings.database_url)} (schema {settings.database_schema})"
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
    if settings.uses_postgres:
        # Fresh planner statistics: without them the per-aggregate position lookups of the
        # read side are planned as scans of the whole log until autovacuum comes by.
        import psycopg

        assert settings.database_url is not None
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            from psycopg.sql import SQL, Identifier

            tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s",
                                  (settings.database_schema,)).fetchall()
            for (name,) in tables:
                conn.execute(SQL("ANALYZE {}.{}").format(
                    Identifier(settings.database_schema), Identifier(name)))
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

    from infra.persistence.store import open_application
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
        vues.run(stop)  # woken by the store's commits on PostgreSQL
    finally:
        vues.lock.release()
        vues.stop()
        application.close()


@app.command()
def replay(
    as_of: str = typer.Option(..., "--as-of", help="Business date, YYYY-MM-DD"),
    known_at: str = typer.Option(None, "--known-at",
                                 help="Record time bound, ISO 8601 (default: everything; "
                                      "without an offset, local time)"),
    out: Path = typer.Option(..., "--out", help="JSON file to write", dir_okay=False),
) -> None:
    """Auditor's check: replay the log in memory up to KNOWN_AT and write every quota and
    every active demande's seniority as of AS_OF, without the read models."""
    import json
    from datetime import date, datetime

    from infra.persistence.store import open_application
    from projections.replay import rapport_audit

    try:
        jour = date.fromisoformat(as_of)
    except ValueError:
        raise typer.BadParameter(f"not a date (YYYY-MM-DD): {as_of!r}",
                                 param_hint="--as-of") from None
    try:
        moment = datetime.fromisoformat(known_at) if known_at is not None else None
    except ValueError:
        raise typer.BadParameter(f"not an ISO 8601 date-time: {known_at!r}",
                                 param_hint="--known-at") from None
    application = open_application(Settings())
    try:
        body = rapport_audit(application, jour, moment)
    finally:
        application.close()
    out.write_text(json.dumps(body, ensure_ascii=False, indent=1))
    console.print(f"[green]replayed {body['evenements']} events[/green] (position "
                  f"{body['position']}): {len(body['bailleurs'])} bailleur/territoire "
                  f"figures, {len(body['reservataires'])} réservataires, "
                  f"{len(body['demandes'])} active demandes -> {out}")


@app.command("maintenance")
def maintenance_command() -> None:
    """Delete the Idempotency-Keys older than HLM_IDEMPOTENCE_JOURS and vacuum the tables
    rewritten at every batch (PostgreSQL); safe while the services run."""
    from infra.persistence.maintenance import maintenance
    from infra.persistence.store import open_application

    settings = Settings()
    application = open_application(settings)
    try:
        bilan = maintenance(application, settings)
    finally:
        application.close()
    tables = ", ".join(bilan.tables_nettoyees) or "none (SQLite rewrites rows in place)"
    console.print(f"[green]{bilan.cles_purgees} expired idempotency keys deleted[/green] "
                  f"(older than {settings.idempotence_jours} days); vacuumed: {tables}")


projections_app = typer.Typer(help="Read models: status")
app.add_typer(projections_app, name="projections")


@projections_app.command("status")
def projections_status() -> None:
    """Each view's position, lag behind the store and error, if any."""
    from rich.table import Table

    from infra.persistence.store import open_application
    from projections.service import Projections

    settings = Settings()
    application = open_application(settings)
    vues = Projections(application, settings)
    try:
        head = application.recorder.max_notification_id() or 0
        table = Table("vue", "position", "retard", "erreur", "erreur transitoire (réessayée)")
        for s in vues.runner.statuses().values():
            table.add_row(s.nom, str(s.position), str(head - s.position), s.erreur or "",
                          s.erreur_transitoire or "")
        console.print(table)
    finally:
        vues.stop()
        application.close()


@projections_app.command("rebuild")
def projections_rebuild(
    view: list[str] = typer.Option(None, "--view",
                                   help="Rebuild only this view (repeatable; default all)"),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, help="Events per transaction"),
) -> None:
    """Build fresh view tables side by side while the live ones keep serving, then swap
    them in at once (a running projector goes on from the swapped positions)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from infra.persistence.store import open_application
    from projections.rebuild import RebuildBusy, RebuildError, rebuild, select_views

    settings = Settings()
    application = open_application(settings)
    try:
        try:
            names = [v.name for v in select_views(application, view or None)]
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--view") from None
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("events"), TimeElapsedColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as bar:
            task = bar.add_task(f"rebuilding {', '.join(names)}", total=None)

            def progress(reached: int, head: int) -> None:
                bar.update(task, completed=reached, total=head)

            try:
                result = rebuild(application, settings, names, batch_size, progress)
            except RebuildBusy as exc:
                console.print(f"[red]{exc}; exiting[/red]")
                raise typer.Exit(code=3) from None
            except RebuildError as exc:
                console.print(f"[red]{exc}[/red]")
                raise typer.Exit(code=1) from None
        rate = result.events / result.seconds if result.seconds else 0.0
        console.print(f"[green]swapped in[/green] {result.positions} — {result.events} "
                      f"events in {result.seconds:.1f} s ({rate:,.0f} events/s)")
    finally:
        application.close()


relay_app = typer.Typer(help="Publish the store's events to HLM_KAFKA_TOPIC from the relay's "
                        "last position, until stopped; `hlm relay status` shows its lag")
app.add_typer(relay_app, name="relay")


def _log_to_stderr() -> None:
    import logging

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # kafka-python repeats every refused connection; the relay says it once per retry.
    logging.getLogger("kafka").setLevel(logging.CRITICAL)


@relay_app.callback(invoke_without_command=True)
def relay(ctx: typer.Context,
          batch_size: int = typer.Option(None, "--batch-size", min=1, max=10000,
                                         help="Events per acknowledged batch "
                                              "(default HLM_RELAY_BATCH_SIZE)"),
          poll: float = typer.Option(0.5, "--poll", min=0.01,
                                     help="Seconds between looks at the store when idle "
                                          "(PostgreSQL also wakes it on each commit)"),
          max_backoff: float = typer.Option(10.0, "--max-backoff", min=0.1,
                                            help="Longest wait between retries when the "
                                                 "broker or the store is down"),
          ) -> None:
    """Publish the store's events to Kafka from the relay's last position (until stopped)."""
    if ctx.invoked_subcommand is not None:
        return
    import logging
    import signal
    import threading

    from infra.persistence.store import open_application
    from infra.stream.relay import StoreWakeup, relay_for
    from projections.service import view_db
    from projections.tracked import standby

    _log_to_stderr()
    log = logging.getLogger("hlm.relay")
    settings = Settings()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    application = open_application(settings)
    db = view_db(settings)
    relayeur = relay_for(application, settings, db, batch_size=batch_size)
    lock = settings.lock(f"relay-{relayeur.nom}")
    wakeup = None
    try:
        if not standby(lock, stop, waiting=lambda: log.info(
                "another relay works on this store; waiting as a standby")):
            return
        # Listening only once active: a standby that never reads its notifications would
        # fill the server's queue.
        wakeup = StoreWakeup(application, settings, log)
        relayeur.setup()  # the position as the previous relay left it
        status = relayeur.status()
        log.info("relay to topic %s on %s from position %d (head %d, lag %d events, "
                 "batches of %d)", settings.kafka_topic, settings.kafka_bootstrap,
                 status.position, status.tete, status.retard, relayeur.batch_size)
        relayeur.run(stop, poll=poll, max_backoff=max_backoff, wakeup=wakeup)
        log.info("relay stopped at position %d", relayeur.position)
    finally:
        relayeur.close()
        if wakeup is not None:
            wakeup.close()
        lock.release()
        db.close()
        application.close()


@relay_app.command("status")
def relay_status(max_lag: int = typer.Option(None, "--max-lag", min=0,
                                             help="Exit with code 1 when the relay is more "
                                                  "than this many events behind (health check)")
                 ) -> None:
    """The relay's position, the store's head and the lag between them."""
    from infra.persistence.store import open_application
    from infra.stream.relay import relay_for
    from projections.service import view_db

    settings = Settings()
    application = open_application(settings)
    db = view_db(settings)
    try:
        status = relay_for(application, settings, db).status()
    finally:
        db.close()
        application.close()
    console.print(f"relay {status.nom}: position {status.position}, head {status.tete}, "
                  f"lag {status.retard} events, last commit {status.mis_a_jour or 'never'}")
    if max_lag is not None and status.retard > max_lag:
        raise typer.Exit(code=1)


@app.command()
def tail(from_beginning: bool = typer.Option(False, "--from-beginning",
                                             help="Start at the topic's first message (for a "
                                                  "group: only when it has no offset yet)"),
         group: str = typer.Option(None, "--group",
                                   help="Consumer group: commits its offsets and resumes "
                                        "there next time"),
         limit: int = typer.Option(None, "--limit", min=1, help="Stop after N events"),
         idle: float = typer.Option(None, "--idle", min=0.1,
                                    help="Stop after S seconds without a message"),
         ) -> None:
    """Print the event stream of HLM_KAFKA_TOPIC, one JSON line per event, without the
    duplicates of the relay's at-least-once delivery (on ce_id)."""
    import sys

    from infra.stream.tail import tail as suivre

    settings = Settings()
    err = Console(stderr=True)

    def emit(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    try:
        dedup = suivre(settings.kafka_bootstrap, settings.kafka_topic, group=group,
                       from_beginning=from_beginning, limit=limit, idle=idle, emit=emit)
    except KeyboardInterrupt:
        return
    err.print(f"{len(dedup.versions)} aggregates, {dedup.duplicates} duplicates dropped")



@app.command()
def schemas(
    dossier: Path = typer.Option(Path("docs"), "--dossier",
                                 help="Where asyncapi.yaml and schemas/ go"),
    verifier: bool = typer.Option(False, "--verifier",
                                  help="Write nothing; exit 1 if the files are out of date"),
) -> None:
    """Generate the public event contract from its models: <dossier>/asyncapi.yaml
    (AsyncAPI 3) and <dossier>/schemas/<type>.json (a JSON Schema per public type)."""
    from infra.stream.asyncapi import ecarts, ecrire

    if verifier:
        stale = ecarts(dossier)
        for rel in stale:
            console.print(f"out of date: {dossier / rel}")
        if stale:
            raise typer.Exit(1)
        console.print("contract files up to date")
        return
    written = ecrire(dossier)
    console.print(f"{len(written)} files written under {dossier}")

if __name__ == "__main__":
    app()
