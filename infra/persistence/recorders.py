"""The library's application recorders plus the project's side tables, written in the same
transaction as the events through the recorder's `_insert_events` hook.

hlm_idempotence: one row per Idempotency-Key with the fingerprint of the request, the
response first given and when it was recorded (`cree_le`), so that a retry returns it and
records nothing new; a key older than the expiry (HLM_IDEMPOTENCE_JOURS) is unknown again:
its row is replaced, in the same transaction, by the new request's.

hlm_enregistrements: position -> record time of every event, taken after the table lock
(PostgreSQL `clock_timestamp()`; SQLite under its single writer), so record times follow
positions and a `known_at` bound becomes a position bound (ARCHITECTURE.md, Record time).

hlm_acteurs: position -> who recorded the event (sub, role, organisation, its type, request
id): the actor metadata of every act, in the inserting transaction (kwarg `acteur`).

hlm_vacances_ouvertes: logement -> its open vacancy, unique per logement, maintained from
the vacancies each save opens and closes (kwarg `vacances`, see HlmApplication.save): a
second open vacancy on a logement fails the whole transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from psycopg.sql import SQL, Identifier

# A key is remembered this long unless the application says otherwise (Settings).
IDEMPOTENCE_JOURS = 30


def _instant(moment: datetime) -> str:
    """A record time as SQLite keeps it: ISO 8601 in UTC, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _acteur(sub: str, role: str, org: str | None, type_org: str | None,
            request_id: str | None) -> dict[str, Any]:
    return {"sub": sub, "role": role, "organisation": org, "type_organisation": type_org,
            "request_id": request_id}


class _Expiry:
    """How long both recorders remember an Idempotency-Key (set by the application)."""

    idempotence_jours = IDEMPOTENCE_JOURS

    def expire_avant(self) -> datetime:
        """Keys recorded before this are expired."""
        return datetime.now(UTC) - timedelta(days=self.idempotence_jours)


class HlmSQLiteRecorder(_Expiry, SQLiteApplicationRecorder):
    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS hlm_idempotence (cle TEXT PRIMARY KEY, "
            "empreinte TEXT NOT NULL, statut INTEGER NOT NULL, reponse TEXT NOT NULL, "
            "cree_le TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS hlm_enregistrements (position INTEGER PRIMARY KEY, "
            "enregistre_le TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS hlm_enregistrements_le "
            "ON hlm_enregistrements (enregistre_le)",
            "CREATE TABLE IF NOT EXISTS hlm_acteurs (position INTEGER PRIMARY KEY, "
            "sub TEXT NOT NULL, role TEXT NOT NULL, org TEXT, type_org TEXT, request_id TEXT)",
            "CREATE TABLE IF NOT EXISTS hlm_vacances_ouvertes (logement_id TEXT PRIMARY KEY, "
            "vacance_id TEXT NOT NULL UNIQUE)",
        ]

    def _create_table(self, c: SQLiteCursor) -> None:
        super()._create_table(c)
        # Stores from before the expiry: their keys count from this upgrade.
        c.execute("SELECT 1 FROM pragma_table_info('hlm_idempotence') WHERE name = 'cree_le'")
        if c.fetchone() is None:
            c.execute("ALTER TABLE hlm_idempotence ADD COLUMN cree_le TEXT")
            c.execute("UPDATE hlm_idempotence SET cree_le = ?", (_instant(datetime.now(UTC)),))
        c.execute("CREATE INDEX IF NOT EXISTS hlm_idempotence_cree_le "
                  "ON hlm_idempotence (cree_le)")

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        record = kwargs.get("idempotence")
        if record is not None:
            c.execute("DELETE FROM hlm_idempotence WHERE cle = ? AND cree_le < ?",
                      (record[0], _instant(self.expire_avant())))
            c.execute("INSERT INTO hlm_idempotence (cle, empreinte, statut, reponse, cree_le) "
                      "VALUES (?, ?, ?, ?, ?)", (*record, _instant(datetime.now(UTC))))
        if ids:
            now = _instant(datetime.now(UTC))
            c.executemany("INSERT INTO hlm_enregistrements VALUES (?, ?)",
                          [(i, now) for i in ids])
            acteur = kwargs.get("acteur")
            if acteur is not None:
                c.executemany("INSERT INTO hlm_acteurs VALUES (?, ?, ?, ?, ?, ?)",
                              [(i, *acteur) for i in ids])
        vacances = kwargs.get("vacances")
        if vacances is not None:
            ouvertes, fermees = vacances
            c.executemany("DELETE FROM hlm_vacances_ouvertes WHERE vacance_id = ?",
                          [(v,) for v in fermees])
            c.executemany("INSERT INTO hlm_vacances_ouvertes VALUES (?, ?)",
                          [o for o in ouvertes if o[1] not in fermees])
        return ids

    def acteurs_de(self, positions: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Who recorded the events at these positions (those recorded with an actor)."""
        out: dict[int, dict[str, Any]] = {}
        wanted = list(positions)
        with self.datastore.transaction(commit=False) as c:
            for k in range(0, len(wanted), 500):  # SQLite bounds the number of parameters
                chunk = wanted[k:k + 500]
                c.execute("SELECT position, sub, role, org, type_org, request_id FROM "
                          f"hlm_acteurs WHERE position IN ({', '.join('?' * len(chunk))})",
                          chunk)
                out.update({row[0]: _acteur(*row[1:]) for row in c.fetchall()})
        return out

    def vacance_ouverte(self, logement_id: str) -> str | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT vacance_id FROM hlm_vacances_ouvertes WHERE logement_id = ?",
                      (logement_id,))
            row = c.fetchone()
        return row[0] if row else None

    def lire_idempotence(self, cle: str) -> tuple[str, int, str] | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT empreinte, statut, reponse FROM hlm_idempotence WHERE cle = ? "
                      "AND cree_le >= ?", (cle, _instant(self.expire_avant())))
            row = c.fetchone()
        return (row["empreinte"], row["statut"], row["reponse"]) if row else None

    def purger_idempotence(self, lot: int = 1000) -> int:
        """Delete up to `lot` expired keys, in one short transaction; how many."""
        with self.datastore.transaction(commit=True) as c:
            c.execute("DELETE FROM hlm_idempotence WHERE rowid IN (SELECT rowid FROM "
                      "hlm_idempotence WHERE cree_le < ? LIMIT ?)",
                      (_instant(self.expire_avant()), lot))
            return int(c.sqlite_cursor.rowcount)

    def nombre_evenements(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT COUNT(*) FROM {self.events_table_name}")
            return int(c.fetchone()[0])

    def enregistrements(self, debut: int, fin: int) -> dict[int, datetime]:
        """Record time of every position from `debut` to `fin` (inclusive), one query."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT position, enregistre_le FROM hlm_enregistrements "
                      "WHERE position BETWEEN ? AND ?", (debut, fin))
            return {row[0]: datetime.fromisoformat(row[1]) for row in c.fetchall()}

    def evenements_de(self, originator_ids: Sequence[UUID], jusqua: int
                      ) -> list[tuple[int, StoredEvent]]:
        """(position, stored event) of these aggregates up to position `jusqua`, in order."""
        out: list[tuple[int, StoredEvent]] = []
        ids = [i.hex for i in originator_ids]
        with self.datastore.transaction(commit=False) as c:
            for k in range(0, len(ids), 500):  # SQLite bounds the number of parameters
                chunk = ids[k:k + 500]
                c.execute(
                    f"SELECT rowid, originator_id, originator_version, topic, state "
                    f"FROM {self.events_table_name} WHERE originator_id IN "
                    f"({', '.join('?' * len(chunk))}) AND rowid <= ?", (*chunk, jusqua))
                out += [(row[0], StoredEvent(originator_id=UUID(row[1]),
                                             originator_version=row[2], topic=row[3],
                                             state=bytes(row[4])))
                        for row in c.fetchall()]
        return sorted(out, key=lambda pair: pair[0])

    def version_a(self, originator_id: UUID, position: int) -> int | None:
        """The aggregate's last version recorded at or before `position` (one statement on
        the aggregate's own rows)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT max(originator_version) FROM {self.events_table_name} "
                      "WHERE originator_id = ? AND rowid <= ?", (originator_id.hex, position))
            row = c.fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def positions(self, originator_id: UUID) -> dict[int, tuple[int, datetime | None]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT e.originator_version, e.rowid, r.enregistre_le "
                f"FROM {self.events_table_name} e "
                "LEFT JOIN hlm_enregistrements r ON r.position = e.rowid "
                "WHERE e.originator_id = ?",
                (originator_id.hex,),
            )
            return {row[0]: (row[1], datetime.fromisoformat(row[2]) if row[2] else None)
                    for row in c.fetchall()}


class HlmPostgresRecorder(_Expiry, PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *,
                 events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(self.datastore.schema)
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.hlm_idempotence (cle text PRIMARY KEY, "
            "empreinte text NOT NULL, statut integer NOT NULL, reponse text NOT NULL, "
            "cree_le timestamptz NOT NULL DEFAULT now())"
        ).format(schema=schema))
        # Stores from before the expiry (`hlm init` again): their keys count from then.
        self.sql_create_statements.append(SQL(
            "ALTER TABLE {schema}.hlm_idempotence ADD COLUMN IF NOT EXISTS "
            "cree_le timestamptz NOT NULL DEFAULT now()").format(schema=schema))
        self.sql_create_statements.append(SQL(
            "CREATE INDEX IF NOT EXISTS hlm_idempotence_cree_le "
            "ON {schema}.hlm_idempotence (cree_le)").format(schema=schema))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.hlm_enregistrements (position bigint PRIMARY "
            "KEY, enregistre_le timestamptz NOT NULL)").format(schema=schema))
        self.sql_create_statements.append(SQL(
            "CREATE INDEX IF NOT EXISTS hlm_enregistrements_le "
            "ON {schema}.hlm_enregistrements (enregistre_le)").format(schema=schema))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.hlm_acteurs (position bigint PRIMARY KEY, "
            "sub text NOT NULL, role text NOT NULL, org text, type_org text, request_id text)"
        ).format(schema=schema))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.hlm_vacances_ouvertes (logement_id text "
            "PRIMARY KEY, vacance_id text NOT NULL UNIQUE)").format(schema=schema))
        self._sql_insert_acteurs = SQL(
            "INSERT INTO {schema}.hlm_acteurs SELECT unnest(%s::bigint[]), %s, %s, %s, %s, %s"
        ).format(schema=schema)
        self._sql_select_acteurs = SQL(
            "SELECT position, sub, role, org, type_org, request_id FROM {schema}.hlm_acteurs "
            "WHERE position = ANY(%s)").format(schema=schema)
        self._sql_fermer_vacances = SQL(
            "DELETE FROM {schema}.hlm_vacances_ouvertes WHERE vacance_id = ANY(%s)"
        ).format(schema=schema)
        self._sql_ouvrir_vacances = SQL(
            "INSERT INTO {schema}.hlm_vacances_ouvertes SELECT * FROM unnest(%s::text[], "
            "%s::text[])").format(schema=schema)
        self._sql_vacance_ouverte = SQL(
            "SELECT vacance_id FROM {schema}.hlm_vacances_ouvertes WHERE logement_id = %s"
        ).format(schema=schema)
        self._sql_insert_times = SQL(
            "INSERT INTO {schema}.hlm_enregistrements SELECT unnest(%s::bigint[]), "
            "clock_timestamp()").format(schema=schema)
        self._sql_expire_idem = SQL(
            "DELETE FROM {schema}.hlm_idempotence WHERE cle = %s AND cree_le < %s"
        ).format(schema=schema)
        self._sql_insert_idem = SQL(
            "INSERT INTO {schema}.hlm_idempotence (cle, empreinte, statut, reponse, cree_le) "
            "VALUES (%s, %s, %s, %s, %s)").format(schema=schema)
        self._sql_select_idem = SQL(
            "SELECT empreinte, statut, reponse FROM {schema}.hlm_idempotence WHERE cle = %s "
            "AND cree_le >= %s").format(schema=schema)
        self._sql_purge_idem = SQL(
            "DELETE FROM {schema}.hlm_idempotence WHERE cle IN (SELECT cle FROM "
            "{schema}.hlm_idempotence WHERE cree_le < %s LIMIT %s)").format(schema=schema)
        # Notification ids come from a sequence: a transaction rolled back after a write
        # conflict leaves a gap, so the highest id is not the number of events.
        self._sql_count = SQL("SELECT count(*) AS n FROM {schema}.{table}").format(
            schema=schema, table=Identifier(self.events_table_name))
        self._sql_enregistrements = SQL(
            "SELECT position, enregistre_le FROM {schema}.hlm_enregistrements "
            "WHERE position BETWEEN %s AND %s").format(schema=schema)
        self._sql_evenements_de = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {schema}.{table} WHERE originator_id = ANY(%s) AND notification_id <= %s "
            "ORDER BY notification_id").format(schema=schema,
                                               table=Identifier(self.events_table_name))
        self._sql_version_a = SQL(
            "SELECT max(originator_version) AS v FROM {schema}.{table} "
            "WHERE originator_id = %s AND notification_id <= %s"
        ).format(schema=schema, table=Identifier(self.events_table_name))
        self._sql_positions = SQL(
            "SELECT e.originator_version, e.notification_id, r.enregistre_le "
            "FROM {schema}.{table} e LEFT JOIN {schema}.hlm_enregistrements r "
            "ON r.position = e.notification_id WHERE e.originator_id = %s"
        ).format(schema=schema, table=Identifier(self.events_table_name))

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        record = kwargs.get("idempotence")
        if record is not None:
            # Synced at once (nested pipeline): a twin request that committed the same key
            # first surfaces here as an IntegrityError (answered as a replay), instead of
            # aborting the rest of the pipeline, which psycopg may report later as an
            # OperationalError ("pipeline aborted") that the library retries then raises.
            # An expired row of the same key gives way first (a twin deleting it too waits
            # for this transaction, then finds the new row: IntegrityError, a replay).
            with curs.connection.pipeline():
                curs.execute(self._sql_expire_idem, (record[0], self.expire_avant()),
                             prepare=True)
                # The application's clock, as for the expiry (not the server's now()).
                curs.execute(self._sql_insert_idem, (*record, datetime.now(UTC)), prepare=True)
        vacances = kwargs.get("vacances")
        if vacances is not None:
            ouvertes, fermees = vacances
            ouvertes = [o for o in ouvertes if o[1] not in fermees]
            # Synced at once like the key above: a second open vacancy on a logement is an
            # IntegrityError here, which the application explains (VACANCE_OUVERTE).
            with curs.connection.pipeline():
                if fermees:
                    curs.execute(self._sql_fermer_vacances, (fermees,), prepare=True)
                if ouvertes:
                    curs.execute(self._sql_ouvrir_vacances, ([o[0] for o in ouvertes],
                                                             [o[1] for o in ouvertes]),
                                 prepare=True)

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if ids:
            # Still inside the transaction that holds the table lock.
            curs.execute(self._sql_insert_times, (list(ids),), prepare=True)
            acteur = kwargs.get("acteur")
            if acteur is not None:
                curs.execute(self._sql_insert_acteurs, (list(ids), *acteur), prepare=True)
        return ids

    def acteurs_de(self, positions: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Who recorded the events at these positions (those recorded with an actor)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._sql_select_acteurs, (list(positions),), prepare=True)
            return {row["position"]: _acteur(row["sub"], row["role"], row["org"],
                                             row["type_org"], row["request_id"])
                    for row in curs.fetchall()}

    def vacance_ouverte(self, logement_id: str) -> str | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._sql_vacance_ouverte, (logement_id,), prepare=True)
            row = curs.fetchone()
        return row["vacance_id"] if row else None

    def lire_idempotence(self, cle: str) -> tuple[str, int, str] | None:
        # One autocommit SELECT: no BEGIN/ROLLBACK round trips on the hot path.
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._sql_select_idem, (cle, self.expire_avant()), prepare=True)
            row = curs.fetchone()
        return (row["empreinte"], row["statut"], row["reponse"]) if row else None

    def purger_idempotence(self, lot: int = 1000) -> int:
        """Delete up to `lot` expired keys, in one short transaction; how many."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._sql_purge_idem, (self.expire_avant(), lot), prepare=True)
            return int(curs.rowcount)

    def nombre_evenements(self) -> int:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._sql_count, prepare=True)
            row = curs.fetchone()
        return int(row["n"]) if row else 0

    def enregistrements(self, debut: int, fin: int) -> dict[int, datetime]:
        """Record time of every position from `debut` to `fin` (inclusive), one query."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._sql_enregistrements, (debut, fin), prepare=True)
            return {row["position"]: row["enregistre_le"] for row in curs.fetchall()}

    def evenements_de(self, originator_ids: Sequence[UUID], jusqua: int
                      ) -> list[tuple[int, StoredEvent]]:
        """(position, stored event) of these aggregates up to position `jusqua`, in order."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._sql_evenements_de, (list(originator_ids), jusqua), prepare=True)
            return [(row["notification_id"], StoredEvent(
                originator_id=row["originator_id"], originator_version=row["originator_version"],
                topic=row["topic"], state=bytes(row["state"]))) for row in curs.fetchall()]

    def version_a(self, originator_id: UUID, position: int) -> int | None:
        """The aggregate's last version recorded at or before `position` (one statement on
        the aggregate's own rows, through the (originator_id, version) key)."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._sql_version_a, (originator_id, position), prepare=True)
            row = curs.fetchone()
        return int(row["v"]) if row and row["v"] is not None else None

    def positions(self, originator_id: UUID) -> dict[int, tuple[int, datetime | None]]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._sql_positions, (originator_id,), prepare=True)
            return {row["originator_version"]: (row["notification_id"], row["enregistre_le"])
                    for row in curs.fetchall()}
