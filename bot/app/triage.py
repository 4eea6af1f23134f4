"""The Triager: the newest trained models (or the packaged default) and triage.yml."""

from __future__ import annotations

from pathlib import Path

import structlog

from bot.handoff.routing import StaffConfig
from bot.kb.embedder import EncoderEmbedder
from bot.triage.config import TriageConfig
from bot.triage.model_versions import LoadedModel, ModelVersions, default_model
from bot.triage.triager import Triager
from knowledge.embeddings import Encoder

log = structlog.get_logger(__name__)


def build_triager(*, config: Path | None, models: Path, encoder: Encoder, staff: StaffConfig) -> Triager:
    """`config`: triage.yml (None: the packaged one); `models`: the trained models' folder.

    Raises TriageConfigError (bad triage.yml) or ValueError (an unreadable trained model).
    """
    triage_config = TriageConfig.load(config)
    versions = ModelVersions(models)
    category = versions.latest("category") or default_model(encoder, "category")
    group = versions.latest("group")
    if group is not None:
        unknown = sorted(set(group.info.labels) - set(staff.groups))
        if unknown:  # those predictions fall back to routing by category
            log.warning("triage_group_model_has_unknown_groups", groups=unknown, hint="define them in staff.yml")
    _log_model(category)
    return Triager(
        embedder=EncoderEmbedder(encoder=encoder),
        category_model=category.classifier,
        group_model=group.classifier if group else None,
        config=triage_config,
        route=lambda label: staff.route(label).name,
        default_group=staff.default_group,
        known_groups=frozenset(staff.groups),
    )


def _log_model(model: LoadedModel) -> None:
    log.info(
        "triage_model",
        target=model.info.target,
        version=model.info.version,
        source=model.info.source,
        rows=model.info.rows,
        labels=len(model.info.labels),
    )
