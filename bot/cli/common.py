"""What every command does the same way: load settings (or exit 2 saying why), set up logging, and end with a
one-line reason (exit 1) instead of a traceback when a known failure stops the work."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterator
from typing import Any, NoReturn, TypeVar, overload

import typer

from bot.actions.policy import PolicyError
from bot.handoff.routing import StaffConfigError
from bot.identity.secrets import SecretKeyError
from bot.ops.logging import configure_logging
from bot.settings import CommonSettings, Settings, SettingsError, load_settings
from bot.store.sql.migrate import SchemaTooNewError
from bot.triage.config import TriageConfigError
from knowledge.chroma_store import KnowledgeStoreUnavailable

S = TypeVar("S", bound=CommonSettings)
T = TypeVar("T")

# Failures whose message already says what is wrong and what to do: the Chroma server is down, the database was
# written by a newer release, a configuration file or the secret key is invalid.
KNOWN_ERRORS: tuple[type[Exception], ...] = (
    SettingsError,
    SchemaTooNewError,
    KnowledgeStoreUnavailable,
    PolicyError,
    StaffConfigError,
    TriageConfigError,
    SecretKeyError,
)


@overload
def settings(*, quiet: bool = True) -> Settings: ...
@overload
def settings(model: type[S], *, quiet: bool = True) -> S: ...


def settings(model: type[CommonSettings] = Settings, *, quiet: bool = True) -> CommonSettings:
    """Load settings or exit 2 with the reason, then configure logging.

    Args:
        model: Settings, or CommonSettings for commands that only need where the data lives (`kb`).
        quiet: log only warnings, readably, unless HELPDESK_LOG_LEVEL asks for more, so a command's own output
            is not buried under JSON lines; False (the server) logs as configured.
    """
    try:
        loaded = load_settings(model)
    except SettingsError as error:
        fail(str(error), code=2)
    if quiet and "log_level" not in loaded.model_fields_set:
        configure_logging(level="warning", fmt="console")
    else:
        configure_logging(level=loaded.log_level, fmt=loaded.log_format)
    return loaded


@contextlib.contextmanager
def reported_errors() -> Iterator[None]:
    """Turn a known failure into its message on stderr and exit 1."""
    try:
        yield
    except KNOWN_ERRORS as error:
        fail(str(error))


def run(work: Coroutine[Any, Any, T]) -> T:
    """asyncio.run(work), with known failures reported as one line (exit 1)."""
    with reported_errors():
        return asyncio.run(work)


def fail(message: str, *, code: int = 1) -> NoReturn:
    """End the command with `message` on stderr."""
    typer.echo(message, err=True)
    raise typer.Exit(code)
