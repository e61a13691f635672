"""Access control, route by route: every route x every role, and every route without a token,
with an expired token and with a revoked token, each with its exact status code.

Each route has a recipe: a valid request and the status it answers with when allowed. A
route of the app without a recipe fails ``test_every_route_has_a_recipe``. Requests that
change state run on a fresh copy of a populated SQLite workspace, so every role meets the
same state. (Role checks do not depend on the backend; the other API tests run on both.)
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from api_support import PASSWORD, ROLE_USER, ROLES, Workspace, make_client

from scalegate.domain.user import Role
from scalegate.engine.fairness import fairness_metrics

Request = dict[str, Any]


@dataclass(frozen=True)
class Recipe:
    status: int  # the answer when the caller may do it
    request: Callable[[Workspace, str], Request]  # (workspace, role) -> httpx arguments
    public: bool = False  # no token needed


def _get(**params: Any) -> Callable[[Workspace, str], Request]:
    return lambda ws, role: {"params": params} if params else {}


RECIPES: dict[tuple[str, str], Recipe] = {
    ("GET", "/healthz"): Recipe(200, _get(), public=True),
    ("GET", "/metrics"): Recipe(200, _get()),
    ("GET", "/api/v1/use-cases"): Recipe(200, _get(stage="idea")),
    ("POST", "/api/v1/use-cases"): Recipe(
        201, lambda ws, role: {"json": {"slug": f"new-{role}", "name": "New"}}
    ),
    ("GET", "/api/v1/use-cases/{slug}"): Recipe(200, _get()),
    ("PATCH", "/api/v1/use-cases/{slug}"): Recipe(
        200, lambda ws, role: {"json": {"purpose": f"edited by {role}"}}
    ),
    ("POST", "/api/v1/use-cases/{slug}/retire"): Recipe(
        200, lambda ws, role: {"json": {"lessons": "no budget for a pilot this year"}}
    ),
    ("GET", "/api/v1/use-cases/{slug}/evidence"): Recipe(200, _get()),
    ("POST", "/api/v1/use-cases/{slug}/evidence"): Recipe(
        201, lambda ws, role: {"json": {"kind": "model_card", "status": "pass"}}
    ),
    ("GET", "/api/v1/evidence/{ref}"): Recipe(200, _get()),
    ("GET", "/api/v1/use-cases/{slug}/gate"): Recipe(200, _get(to="pilot")),
    ("POST", "/api/v1/use-cases/{slug}/promote"): Recipe(
        200, lambda ws, role: {"json": {"to": "pilot"}}
    ),
    ("POST", "/api/v1/use-cases/{slug}/approvals"): Recipe(
        201, lambda ws, role: {"json": {"gate": "pilot", "domain": "risk"}}
    ),
    ("POST", "/api/v1/use-cases/{slug}/waivers"): Recipe(
        201,
        lambda ws, role: {
            "json": {
                "gate": "pilot",
                "criterion": ws.ids["criterion"],
                "justification": "charter follows next sprint",
                "expires": _in_days(30),
            }
        },
    ),
    ("GET", "/api/v1/inbox"): Recipe(200, _get()),
    ("GET", "/api/v1/policy"): Recipe(200, _get()),
    ("GET", "/api/v1/policy/history"): Recipe(200, _get()),
    ("POST", "/api/v1/policy"): Recipe(
        201, lambda ws, role: {"json": {"document": ws.ids["policy"] + "\n# v2\n"}}
    ),
    ("POST", "/api/v1/checks"): Recipe(
        200,
        lambda ws, role: {"files": {"data": ws.upload("good"), "contract": ws.upload("contract")}},
    ),
    ("POST", "/api/v1/use-cases/{slug}/checks"): Recipe(
        201, lambda ws, role: {"json": {"result": ws.ids["check_result"]}}
    ),
    ("POST", "/api/v1/use-cases/{slug}/fairness"): Recipe(
        200,
        lambda ws, role: {
            "files": {"data": ws.upload("reference")},
            "data": {"sensitive": "channel", "label": "label", "prediction": "prediction"},
        },
    ),
    ("POST", "/api/v1/use-cases/{slug}/fairness-reports"): Recipe(
        201, lambda ws, role: {"json": {"report": ws.ids["fairness_report"]}}
    ),
    ("POST", "/api/v1/drift"): Recipe(
        200,
        lambda ws, role: {
            "files": {"reference": ws.upload("reference"), "current": ws.upload("current")}
        },
    ),
    ("POST", "/api/v1/use-cases/{slug}/monitors"): Recipe(
        201,
        lambda ws, role: {
            "files": {"reference": ws.upload("reference")},
            "data": {"model_name": "m", "model_version": "2", "name": "second"},
        },
    ),
    ("GET", "/api/v1/use-cases/{slug}/monitors"): Recipe(200, _get()),
    ("GET", "/api/v1/use-cases/{slug}/monitors/{name}"): Recipe(200, _get()),
    ("GET", "/api/v1/use-cases/{slug}/monitors/{name}/batches"): Recipe(200, _get()),
    ("POST", "/api/v1/use-cases/{slug}/monitors/{name}/batches"): Recipe(
        201, lambda ws, role: {"files": {"data": ws.upload("batch")}}
    ),
    ("POST", "/api/v1/use-cases/{slug}/monitors/{name}/labels"): Recipe(
        200, lambda ws, role: {"files": {"data": ws.upload("labels")}}
    ),
    ("GET", "/api/v1/use-cases/{slug}/batches/{batch_id}"): Recipe(200, _get()),
    ("POST", "/api/v1/use-cases/{slug}/alert-rules"): Recipe(
        201,
        lambda ws, role: {
            "json": {"name": "r2", "metric": "drift_share", "op": ">", "threshold": 0.3}
        },
    ),
    ("GET", "/api/v1/use-cases/{slug}/alert-rules"): Recipe(200, _get()),
    ("POST", "/api/v1/use-cases/{slug}/alert-rules/{monitor}/{name}/disable"): Recipe(
        200, lambda ws, role: {}
    ),
    ("GET", "/api/v1/alerts"): Recipe(200, _get(status="open")),
    ("GET", "/api/v1/alerts/deliveries"): Recipe(200, _get()),
    ("GET", "/api/v1/portfolio"): Recipe(200, _get()),
    ("GET", "/api/v1/portfolio/value"): Recipe(200, _get()),
    ("GET", "/api/v1/objectives"): Recipe(200, _get()),
    ("POST", "/api/v1/objectives"): Recipe(
        201, lambda ws, role: {"json": {"slug": f"new-{role}", "name": "New"}}
    ),
    ("GET", "/api/v1/objectives/{slug}"): Recipe(200, _get()),
    ("PATCH", "/api/v1/objectives/{slug}"): Recipe(
        200, lambda ws, role: {"json": {"sponsor": f"edited by {role}"}}
    ),
    ("DELETE", "/api/v1/objectives/{slug}"): Recipe(204, lambda ws, role: {}),
    ("POST", "/api/v1/objectives/{slug}/links"): Recipe(
        200, lambda ws, role: {"json": {"use_cases": ["uc"]}}
    ),
    ("DELETE", "/api/v1/use-cases/{slug}/objective"): Recipe(200, lambda ws, role: {}),
    ("GET", "/api/v1/use-cases/{slug}/kpis"): Recipe(200, _get()),
    ("POST", "/api/v1/use-cases/{slug}/kpis"): Recipe(
        201, lambda ws, role: {"json": {"kpi": "cost", "value": 9.5, "unit": "EUR"}}
    ),
    ("GET", "/api/v1/audit/verify"): Recipe(200, _get()),
    ("GET", "/api/v1/audit/events"): Recipe(200, _get(limit=5)),
    ("GET", "/api/v1/audit/export"): Recipe(200, _get()),
    ("GET", "/api/v1/me"): Recipe(200, _get()),
    ("GET", "/api/v1/users"): Recipe(200, _get()),
    ("POST", "/api/v1/users"): Recipe(
        201, lambda ws, role: {"json": {"username": f"new-{role}", "role": "viewer"}}
    ),
    ("PATCH", "/api/v1/users/{username}"): Recipe(
        200, lambda ws, role: {"json": {"display_name": "Ben B."}}
    ),
    # one's own password: every role may
    ("PUT", "/api/v1/users/{username}/password"): Recipe(
        204, lambda ws, role: {"json": {"password": "another long one"}}
    ),
    ("GET", "/api/v1/tokens"): Recipe(200, _get()),
    ("POST", "/api/v1/tokens"): Recipe(201, lambda ws, role: {"json": {"name": "ci"}}),
    ("DELETE", "/api/v1/tokens/{token_id}"): Recipe(200, lambda ws, role: {}),
    ("POST", "/api/v1/login"): Recipe(
        201,
        lambda ws, role: {"json": {"username": ROLE_USER[role], "password": PASSWORD}},
        public=True,
    ),
}


def _in_days(days: int) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _url(ws: Workspace, path: str, role: str) -> str:
    return path.format(
        slug="uc",
        ref=ws.ids["evidence"],
        name="default" if "alert-rules" not in path else "r1",
        monitor="default",
        batch_id=ws.ids["batch"],
        username=ROLE_USER[role] if path.endswith("/password") else "ben",
        token_id=ws.spare[role],
    )


def _min_role(route: Any) -> Role | None:
    from scalegate.api.auth import min_role

    roles = [min_role(d.call) for d in route.dependant.dependencies]
    found = [r for r in roles if r is not None]
    assert len(found) <= 1, f"{route.path} depends on several role checks"
    return found[0] if found else None


@pytest.fixture(scope="module")
def routes(template: Workspace) -> dict[tuple[str, str], Role | None]:
    from fastapi.testclient import TestClient

    from scalegate.api.app import api_routes, create_app
    from scalegate.settings import Settings

    app = create_app(Settings(db=template.url))
    with TestClient(app):
        out = {
            (method, r.path): _min_role(r)
            for r in api_routes(app)
            for method in r.methods
            if method != "HEAD"
        }
    return out


@pytest.fixture(scope="module")
def check_result(template: Workspace) -> dict[str, Any]:
    from scalegate.services import data_checks

    spec = data_checks.load_contract(template.files["contract"].read_text(), "contract.yaml")
    return data_checks.run(str(template.files["good"]), spec).to_dict()


@pytest.fixture(scope="module")
def shared(template: Workspace, check_result: dict[str, Any]) -> Iterator[tuple[Workspace, Any]]:
    """One client on the template for requests that change nothing."""
    template.ids["check_result"] = check_result
    template.ids["fairness_report"] = fairness_metrics(
        str(template.files["reference"]),
        sensitive="channel",
        label="label",
        prediction="prediction",
    ).to_dict()
    yield from ((template, c) for c in make_client(template.url))


def test_every_route_has_a_recipe(routes: dict[tuple[str, str], Role | None]) -> None:
    missing = sorted(set(routes) - set(RECIPES))
    stale = sorted(set(RECIPES) - set(routes))
    assert not missing, f"routes without a recipe in RECIPES: {missing}"
    assert not stale, f"recipes for routes that do not exist: {stale}"


def test_every_route_needs_a_role_except_the_public_ones(
    routes: dict[tuple[str, str], Role | None],
) -> None:
    for key, role in routes.items():
        assert (role is None) == RECIPES[key].public, key


def _expected(recipe: Recipe, needed: Role | None, role: str) -> int:
    if needed is None or Role(role).allows(needed):
        return recipe.status
    return 403


@pytest.mark.parametrize("key", sorted(RECIPES), ids=lambda k: f"{k[0]} {k[1]}")
def test_each_role_gets_the_exact_status(
    key: tuple[str, str],
    routes: dict[tuple[str, str], Role | None],
    shared: tuple[Workspace, Any],
    tmp_path: Path,
) -> None:
    method, path = key
    recipe = RECIPES[key]
    needed = routes[key]
    got = {}
    if method == "GET":
        ws, client = shared
        for role in ROLES:
            r = client.request(
                method, _url(ws, path, role), headers=ws.auth(role), **recipe.request(ws, role)
            )
            got[role] = r.status_code
            _assert_json_error(r)
    else:
        for role in ROLES:
            ws = _copy(shared[0], tmp_path / f"{role}.db")
            for client in make_client(ws.url):
                r = client.request(
                    method, _url(ws, path, role), headers=ws.auth(role), **recipe.request(ws, role)
                )
                got[role] = r.status_code
                _assert_json_error(r)
                assert r.status_code == _expected(recipe, needed, role), (role, r.text[:500])
    assert got == {role: _expected(recipe, needed, role) for role in ROLES}


def _copy(ws: Workspace, target: Path) -> Workspace:
    """A private copy of the (closed, checkpointed) template database."""
    shutil.copy(ws.url, target)
    return Workspace(str(target), ws.tokens, ws.spare, ws.expired, ws.revoked, ws.files, ws.ids)


def _assert_json_error(r: Any) -> None:
    if r.status_code >= 400:
        body = r.json()
        assert isinstance(body["error"], str) and isinstance(body["message"], str), body


@pytest.mark.parametrize(
    ("credential", "code"),
    [
        (None, "unauthenticated"),
        ("expired", "token_expired"),
        ("revoked", "token_revoked"),
        ("sg_" + "x" * 43, "unknown_token"),
        ("not-a-token", "unknown_token"),
    ],
)
def test_bad_credentials_get_401_on_every_route(
    credential: str | None,
    code: str,
    routes: dict[tuple[str, str], Role | None],
    shared: tuple[Workspace, Any],
) -> None:
    ws, client = shared
    token = {"expired": ws.expired, "revoked": ws.revoked}.get(credential or "", credential)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for (method, path), recipe in sorted(RECIPES.items()):
        if recipe.public:
            continue
        # no body: authentication comes before the request is even read
        r = client.request(method, _url(ws, path, "admin"), headers=headers)
        assert r.status_code == 401, (method, path, r.text)
        assert r.json()["error"] == code
        assert r.headers["www-authenticate"] == "Bearer"
