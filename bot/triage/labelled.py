"""Reading a labelled ticket export (CSV or gzipped CSV) for training and evaluation."""

from __future__ import annotations

import csv
import gzip
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

# Ticket bodies with pasted e-mail threads exceed the csv module's 128 KiB default field limit.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class LabelledDataError(ValueError):
    """The export cannot be used; the message says which file and why."""


@dataclass(frozen=True, kw_only=True)
class LabelledTickets:
    """Texts and their labels, in file order; rows with an empty text or label are counted, not kept."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    skipped: int


def read_labelled(path: Path, *, text_column: str, label_column: str) -> LabelledTickets:
    """Read `text_column` and `label_column` from a `.csv` or `.csv.gz` file with a header row."""
    if not path.is_file():
        raise LabelledDataError(f"{path}: no such file")
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    try:
        with _open_text(path) as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            for column in (text_column, label_column):
                if column not in columns:
                    raise LabelledDataError(f"{path}: no column {column!r}; the columns are {', '.join(columns)}")
            for row in reader:
                text, label = (row.get(text_column) or "").strip(), (row.get(label_column) or "").strip()
                if not text or not label:
                    skipped += 1
                    continue
                texts.append(text)
                labels.append(label)
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError, csv.Error) as error:
        raise LabelledDataError(
            f"{path}: cannot read it as {'gzipped ' if _gzipped(path) else ''}CSV ({error})"
        ) from error
    if len(set(labels)) < 2:
        raise LabelledDataError(
            f"{path}: {len(texts)} labelled rows with {len(set(labels))} distinct labels in "
            f"{label_column!r}; training needs at least two"
        )
    return LabelledTickets(texts=tuple(texts), labels=tuple(labels), skipped=skipped)


def _gzipped(path: Path) -> bool:
    return path.name.endswith(".gz")


def _open_text(path: Path) -> TextIO:
    """The file as text; the caller closes it. utf-8-sig: spreadsheet exports often start with a byte-order
    mark, which would otherwise become part of the first column's name."""
    if _gzipped(path):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")
