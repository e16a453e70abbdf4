"""How the CLI prints: Rich for people, JSON for machines, and the shared conventions.

Conventions of human output: ids meant to be copied into the next command are printed
whole and never wrapped; times are ISO 8601 in UTC (``2026-11-30T09:15:00Z``); standards
are shown as their names (``ISO/ASTM 52920``); counts agree with their nouns. JSON output
keeps Unix seconds and adds ``*_iso`` companions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from rich.table import Table

PIPE_WIDTH = 200
"""Width of output that goes to a pipe or file: rows are not wrapped at 80 columns."""


class _Console(Console):
    """A Rich console that does not squeeze tables to 80 columns when not on a terminal."""

    @property
    def size(self) -> ConsoleDimensions:
        dimensions = super().size
        if not self.is_terminal and self._width is None and "COLUMNS" not in os.environ:
            return ConsoleDimensions(max(dimensions.width, PIPE_WIDTH), dimensions.height)
        return dimensions

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


console = _Console()
err = _Console(stderr=True)


class Output:
    """Human (Rich) or machine (``--json``) output, chosen once per invocation."""

    json_mode = False

    @classmethod
    def show(cls, data: Any, human: Callable[[], None] | None = None) -> None:
        if cls.json_mode or human is None:
            console.print_json(json.dumps(plain(data)))
        else:
            human()


def plain(value: Any) -> Any:
    """JSON-ready: dataclasses as dicts, bytes as 0x hex."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def fail(message: str, code: int, hint: str = "") -> NoReturn:
    """Print a human error (reason and what to do) and exit with ``code``."""
    if Output.json_mode:
        err.print_json(json.dumps({"error": message, "hint": hint, "exit_code": code}))
    else:  # not hard-wrapped: ids and hashes in a message stay whole for copying
        err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
        if hint:
            err.print(f"[yellow]hint:[/] {escape(hint)}", soft_wrap=True)
    raise typer.Exit(code)


def say(text: str) -> None:
    """One line of human output (never wrapped; markup in ``text`` is kept)."""
    console.print(text, soft_wrap=True, highlight=False)


# -- values ------------------------------------------------------------------------------
def iso(seconds: int | None) -> str:
    """Unix seconds as ISO 8601 UTC (``-`` for none)."""
    if seconds is None:
        return "-"
    try:
        moment = datetime.fromtimestamp(int(seconds), UTC)
    except (OverflowError, OSError, ValueError):
        return str(seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def with_iso(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``data`` plus ``<key>_iso`` next to each Unix-seconds ``key`` (JSON output)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        out[key] = value
        if key in keys:
            out[f"{key}_iso"] = iso(value) if value is not None else None
    return out


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 confirmation``, ``2 confirmations``."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def short(value: str | None, keep: int = 6) -> str:
    """``0x1b090f…9ddb0`` for a long hex id in a crowded table (full ids elsewhere)."""
    if not value:
        return "-"
    if len(value) <= 2 + 2 * keep + 1:
        return value
    return f"{value[: 2 + keep]}…{value[-keep:]}"


# -- layouts -----------------------------------------------------------------------------
def show_fields(title: str, rows: Sequence[tuple[str, Any]]) -> None:
    """A titled key/value listing; values print whole (ids are never wrapped)."""
    say(f"[bold]{escape(title)}[/]")
    width = max((len(key) for key, _ in rows), default=0)
    for key, value in rows:
        say(f"  {escape(key).ljust(width)}  {escape(str(value))}")


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A table whose first column (the id to copy) never wraps or shortens."""
    out = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        out.add_column(column, no_wrap=i == 0, overflow="fold" if i else "ignore")
    for row in rows:
        out.add_row(*(escape(str(v)) for v in row))
    return out
