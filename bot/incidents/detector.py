"""Surge detection: when several different people report similar problems within a short window.

Pure functions over reports and their sentence embeddings (unit vectors, so a dot product is the cosine
similarity). Similarity is measured against the newest report: a surge is "this, and what N other people said
in the last minutes that means the same". Reports already linked to an incident never start another one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True, kw_only=True)
class Report:
    """One person's problem report, as the detector sees it."""

    id: int
    at: datetime
    person: str
    vector: Vector
    incident: str | None = None


@dataclass(frozen=True, kw_only=True)
class OpenIncident:
    id: str
    centroid: Vector  # the normalised mean of its reports' vectors


def surge_around(
    new: Report, recent: Sequence[Report], *, window: timedelta, similarity: float, min_reporters: int
) -> list[Report] | None:
    """The unlinked reports within `window` before `new` (and `new` itself) that say the same thing, when they
    come from at least `min_reporters` different people; otherwise None."""
    since = new.at - window
    similar = [
        report
        for report in recent
        if report.id != new.id
        and report.incident is None
        and since <= report.at <= new.at
        and float(report.vector @ new.vector) >= similarity
    ]
    group = [*similar, new]
    if len({report.person for report in group}) < min_reporters:
        return None
    return sorted(group, key=lambda report: (report.at, report.id))


def closest_incident(vector: Vector, incidents: Sequence[OpenIncident], *, similarity: float) -> OpenIncident | None:
    """The open incident whose reports this one resembles most, if it resembles them enough."""
    best, best_similarity = None, similarity
    for incident in incidents:
        score = float(incident.centroid @ vector)
        if score >= best_similarity:
            best, best_similarity = incident, score
    return best


def centroid(vectors: Sequence[Vector]) -> Vector:
    """The direction the vectors share (their mean, scaled back to unit length)."""
    mean = np.mean(np.vstack(vectors), axis=0)
    norm = float(np.linalg.norm(mean))
    result: Vector = (mean / norm if norm > 0 else mean).astype(np.float32)
    return result
