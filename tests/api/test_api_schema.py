"""schemathesis against the OpenAPI document: no 5xx on any operation, with an admin token,
for both valid (positive) and schema-violating (negative) requests.

Examples per operation and mode are bounded (``MAX_EXAMPLES``) to keep the run well under two
minutes on a loaded two-core machine. The fuzzed workspace is a populated copy, and path
parameters are pinned half of the time to ids that exist (``uc``, ``default``, ``ev-1``...),
so the generator reaches past the 404s into the services.
"""

from __future__ import annotations

import dataclasses
import shutil
from typing import Any

import pytest
import schemathesis
from api_support import Workspace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

MAX_EXAMPLES = 6

KNOWN = {
    "slug": "uc",
    "name": "default",
    "monitor": "default",
    "ref": "ev-1",
    "batch_id": 1,
    "username": "ben",
    "token_id": 1,
}


@pytest.fixture(scope="module")
def api_schema(
    template: Workspace, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Workspace, Any]:
    from scalegate.api import create_app
    from scalegate.settings import Settings

    target = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    shutil.copy(template.url, target)
    ws = dataclasses.replace(template, url=str(target))
    app = create_app(Settings(db=ws.url, max_upload_mb=1))
    return ws, schemathesis.openapi.from_asgi("/openapi.json", app)


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def test_the_document_lists_every_operation(api_schema: tuple[Workspace, Any]) -> None:
    _, schema = api_schema
    labels = {op.label for op in _operations(schema)}
    assert "POST /api/v1/use-cases/{slug}/monitors/{name}/batches" in labels
    assert len(labels) >= 45


def _fuzz(op: Any, mode: GenerationMode, ws: Workspace, failures: list[str]) -> None:
    """Run ``MAX_EXAMPLES`` generated requests against ``op``; note any 5xx in ``failures``."""
    names = [p.name for p in op.iter_parameters() if p.location == "path"]
    known = {k: v for k, v in KNOWN.items() if k in names}
    strategies = [op.as_strategy(generation_mode=mode)]
    if known and mode is GenerationMode.POSITIVE:
        strategies.append(op.as_strategy(generation_mode=mode, path_parameters=known))

    @given(case=st.one_of(strategies))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        response = case.call(headers=ws.auth("admin"))
        if response.status_code >= 500:
            failures.append(f"{op.label}: {response.status_code} {response.text[:300]}")

    try:
        run()
    except Unsatisfiable:  # nothing in this operation can be made invalid (GET /me...)
        assert mode is GenerationMode.NEGATIVE, op.label


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_errors(api_schema: tuple[Workspace, Any], mode: GenerationMode) -> None:
    ws, schema = api_schema
    failures: list[str] = []
    for op in _operations(schema):
        _fuzz(op, mode, ws, failures)
    assert not failures, "\n".join(failures)
