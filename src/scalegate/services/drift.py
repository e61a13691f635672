"""Standalone drift: compare a current batch with a reference, without any use case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scalegate.services.files import read_text

if TYPE_CHECKING:
    from scalegate.engine.drift import DriftConfig, DriftReference, DriftReport

#: JSON files larger than this are read as data, never as a stored profile
PROFILE_BYTES = 256 * 1024 * 1024


def stored_profile(path: str | Path) -> dict[str, Any] | None:
    """The JSON of ``path`` if it is a stored profile, check output or drift reference."""
    file = Path(path)
    if file.suffix.lower() != ".json" or not file.is_file():
        return None
    if file.stat().st_size > PROFILE_BYTES:
        return None
    text = read_text(file, what="reference")
    if not text.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None  # e.g. NDJSON data: read as data
    if isinstance(data, dict) and (
        isinstance(data.get("profile"), dict) or {"row_count", "columns"} <= set(data)
    ):
        return data
    return None


def reference(
    path: str | Path, config: DriftConfig | None = None, prediction: str | None = None
) -> DriftReference:
    """The reference at ``path`` (data, a profile JSON or a saved drift reference) with
    ``config`` (None: a saved reference's own, else the defaults) and ``prediction`` applied."""
    from scalegate.engine.drift import DriftConfig, DriftReference, build_reference
    from scalegate.engine.profile import DatasetProfile

    def adjusted(cfg: DriftConfig) -> DriftConfig:
        return cfg if prediction is None else cfg.model_copy(update={"prediction": prediction})

    stored = stored_profile(path)
    if stored is None:
        return build_reference(str(path), config=adjusted(config or DriftConfig()))
    if "model" in stored and "config" in stored:  # a saved DriftReference
        saved = DriftReference.from_dict(stored)
        cfg = adjusted(config or saved.config)
        return DriftReference(saved.profile, cfg, saved.model, saved.model_reason)
    data = stored["profile"] if isinstance(stored.get("profile"), dict) else stored
    profile = DatasetProfile.from_dict(data)
    return DriftReference.from_profile(profile, config=adjusted(config or DriftConfig()))


def compare(
    reference_path: str | Path,
    current_path: str | Path,
    *,
    config_text: str | None = None,
    config_source: str = "drift config",
    prediction: str | None = None,
) -> DriftReport:
    """Compare the data at ``current_path`` with the reference at ``reference_path``."""
    from scalegate.engine.drift import compare as compare_
    from scalegate.engine.drift import load_config, summarize

    cfg = load_config(config_text, config_source) if config_text is not None else None
    ref = reference(reference_path, cfg, prediction)
    return compare_(ref, summarize(str(current_path), ref))
