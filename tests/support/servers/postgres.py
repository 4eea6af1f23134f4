"""A real PostgreSQL for tests: a throwaway cluster of its own, or the server HELPDESK_TEST_DATABASE_URL names.

`running_postgres()` starts one per test session: initdb + pg_ctl (the newest /usr/lib/postgresql/*/bin) in a temp
dir, on a random loopback port, with durability switched off, and removes the whole cluster afterwards. initdb
refuses to run as root, so as root the cluster belongs to the `postgres` system user (CI runs as root). With
HELPDESK_TEST_DATABASE_URL (a user allowed to create databases) nothing is started: the session's databases are
made in that server and dropped afterwards.

A test of the migrations gets a new, empty database of its own; the stores' tests share one migrated database that
is emptied before each of them. Without binaries and without the URL the PostgreSQL tests are skipped, with the
reason.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import URL, make_url

from bot.store.sql.database import Database
from bot.store.sql.schema import metadata
from tests.support.tcp import free_port

URL_VARIABLE = "HELPDESK_TEST_DATABASE_URL"
BINARIES = "/usr/lib/postgresql/*/bin"
SYSTEM_USER = "postgres"  # who owns the cluster when the tests run as root
# Nothing here has to survive a crash or live long enough to need vacuuming.
SETTINGS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off "
    "-c autovacuum=off -c max_connections=200"
)


@dataclass
class PostgresServer:
    """Hands out databases on one server; `admin_url` names the database to connect to for CREATE DATABASE."""

    admin_url: URL
    prefix: str = field(default_factory=lambda: f"helpdesk_test_{secrets.token_hex(4)}")
    _numbers: Iterator[int] = field(default_factory=count)
    _shared: str | None = None

    def url(self, database: str) -> str:
        return self.admin_url.set(database=database).render_as_string(hide_password=False)

    @contextmanager
    def fresh_database(self) -> Iterator[str]:
        """A new, empty database for one test (which runs the migrations itself); dropped afterwards."""
        name = f"{self.prefix}_{next(self._numbers)}"
        self.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        try:
            yield self.url(name)
        finally:
            self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def emptied_database(self) -> str:
        """The session's migrated database with every row deleted and the ids restarted.

        For the stores' tests: emptying takes milliseconds where creating a database takes a third of a second.
        Tests that change the schema itself take `fresh_database()`.
        """
        if self._shared is None:
            name = f"{self.prefix}_shared"
            self.execute(f"CREATE DATABASE {name} TEMPLATE template0")
            _in_thread(_migrate(self.url(name)))
            self._shared = name
        self.execute(_EMPTY_TABLES, database=self._shared)
        return self.url(self._shared)

    def drop_all(self) -> None:
        """Drop every database this session made."""

        async def drop() -> None:
            connection = await asyncpg.connect(self._dsn())
            try:
                names = await connection.fetch(
                    "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{self.prefix}%"
                )
                for row in names:
                    await connection.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
            finally:
                await connection.close()

        _in_thread(drop())

    def execute(self, statements: str, *, database: str | None = None) -> None:
        """Run SQL as the administrator (in the admin database unless `database` is given)."""

        async def execute() -> None:
            connection = await asyncpg.connect(self._dsn(database))
            try:
                await connection.execute(statements)
            finally:
                await connection.close()

        _in_thread(execute())

    def _dsn(self, database: str | None = None) -> str:
        url = self.admin_url if database is None else self.admin_url.set(database=database)
        return url.set(drivername="postgresql").render_as_string(hide_password=False)


# Children before parents (foreign keys); alembic_version and schema_info keep their rows. A lock timeout turns a
# connection some earlier test left inside a transaction into an error instead of a hang.
_EMPTY_TABLES = "; ".join(
    [
        "SET lock_timeout = '10s'",
        *(f"DELETE FROM {table.name}" for table in reversed(metadata.sorted_tables) if table.name != "schema_info"),
        "DO $$ DECLARE s record; BEGIN FOR s IN SELECT schemaname, sequencename FROM pg_sequences LOOP "
        "EXECUTE format('ALTER SEQUENCE %I.%I RESTART', s.schemaname, s.sequencename); END LOOP; END $$",
    ]
)


async def _migrate(url: str) -> None:
    database = Database(url=url)
    try:
        await database.migrate()
    finally:
        await database.close()


def _in_thread(coroutine: Coroutine[Any, Any, None]) -> None:
    # Its own thread and event loop: callers are sync fixtures, and the test's own loop must stay untouched.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result(timeout=120)


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """The session's server: the one HELPDESK_TEST_DATABASE_URL names, else a throwaway cluster."""
    external = os.environ.get(URL_VARIABLE)
    if external:
        server = PostgresServer(admin_url=make_url(external).set(drivername="postgresql+asyncpg"))
        try:
            yield server
        finally:
            server.drop_all()
        return
    binaries = _binaries()
    if binaries is None:
        pytest.skip(
            f"no PostgreSQL: neither initdb/pg_ctl under {BINARIES} (apt-get install postgresql) nor {URL_VARIABLE}"
        )
    with _cluster(binaries) as port:
        yield PostgresServer(
            admin_url=URL.create(
                "postgresql+asyncpg", username=SYSTEM_USER, host="127.0.0.1", port=port, database="postgres"
            )
        )


def _binaries() -> Path | None:
    """The newest installed major version's bin directory that has initdb and pg_ctl."""
    candidates = [
        path
        for path in Path("/").glob(BINARIES.lstrip("/"))
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file()
    ]
    return max(candidates, key=lambda path: int(path.parent.name), default=None)


@contextmanager
def _cluster(binaries: Path) -> Iterator[int]:
    """initdb, then pg_ctl start on a free port (retried: the port may be taken meanwhile); removed at the end."""
    root = Path(tempfile.mkdtemp(prefix="helpdesk-pg-"))  # not under pytest's tmp: that is private to root
    owner = _owner()
    if owner is not None:
        shutil.chown(root, user=owner.pw_uid, group=owner.pw_gid)
    data, log = root / "data", root / "server.log"
    try:
        _run(
            owner,
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                SYSTEM_USER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )
        port = None
        for _attempt in range(5):
            candidate = free_port()
            started = _run(
                owner,
                [
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(log),
                    "-w",
                    "-t",
                    "30",
                    "-o",
                    f"-p {candidate} -k {root} {SETTINGS}",
                    "start",
                ],
                check=False,
            )
            if started.returncode == 0:
                port = candidate
                break
        if port is None:
            pytest.fail(f"PostgreSQL would not start; its log:\n{_read(log)}", pytrace=False)
        try:
            yield port
        finally:
            _run(owner, [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], check=False)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _owner() -> pwd.struct_passwd | None:
    """The system user to run the cluster as: `postgres` when we are root (initdb refuses root), else nobody."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        pytest.fail(
            f"running as root, and there is no `{SYSTEM_USER}` user to own a PostgreSQL cluster "
            "(apt-get install postgresql creates it)",
            pytrace=False,
        )


def _run(
    owner: pwd.struct_passwd | None,
    command: list[str],
    *,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    as_owner: dict[str, Any] = (
        {}
        if owner is None
        else {
            "user": owner.pw_uid,
            "group": owner.pw_gid,
            "extra_groups": [],
            "cwd": "/",
            "env": {**os.environ, "HOME": owner.pw_dir, "USER": owner.pw_name, "LOGNAME": owner.pw_name},
        }
    )
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, **as_owner)
    if check and result.returncode != 0:
        pytest.fail(
            f"{Path(command[0]).name} failed ({result.returncode}):\n{result.stdout}{result.stderr}", pytrace=False
        )
    return result


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else "(no log)"
