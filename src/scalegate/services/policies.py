"""Policy versions: the packaged default, applying new versions, reading the one in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources

from sqlalchemy import Connection

from scalegate.domain.policy import Policy
from scalegate.domain.user import Role
from scalegate.errors import ConflictError, NotFoundError
from scalegate.gates import load_policy
from scalegate.services.access import require
from scalegate.services.clock import utcnow
from scalegate.store import Store
from scalegate.store import repositories as repo
from scalegate.store.audit_log import append_event

SYSTEM_ACTOR = "system"


def default_policy_text() -> str:
    return resources.files("scalegate.policies").joinpath("default.yaml").read_text("utf-8")


@dataclass(frozen=True)
class PolicyVersion:
    version: int
    policy: Policy
    document: str


@lru_cache(maxsize=32)
def _parse(document: str, source: str) -> Policy:
    return load_policy(document, source)


def ensure_policy(store: Store) -> None:
    """Store the packaged default as version 1 if no policy exists yet."""
    with store.read() as conn:
        if repo.latest_policy(conn) is not None:
            return
    with store.write() as conn:
        if repo.latest_policy(conn) is not None:  # another process got there first
            return
        text = default_policy_text()
        policy = _parse(text, "default.yaml")
        now = utcnow()
        version = repo.insert_policy(conn, name=policy.name, document=text, at=now, by=SYSTEM_ACTOR)
        append_event(
            conn,
            actor=SYSTEM_ACTOR,
            action="policy.applied",
            subject_type="policy",
            subject_id=policy.name,
            after={"version": version, "source": "packaged default"},
        )


def active(store: Store) -> PolicyVersion:
    with store.read() as conn:
        return active_in(conn)


def active_in(conn: Connection) -> PolicyVersion:
    found = repo.latest_policy(conn)
    if found is None:
        text = default_policy_text()
        return PolicyVersion(0, _parse(text, "default.yaml"), text)
    version, text = found
    return PolicyVersion(version, _parse(text, f"policy version {version}"), text)


def get_version(store: Store, version: int) -> PolicyVersion:
    with store.read() as conn:
        text = repo.policy_version(conn, version)
    if text is None:
        raise NotFoundError.named("policy version", str(version))
    return PolicyVersion(version, _parse(text, f"policy version {version}"), text)


def history(store: Store) -> list[dict[str, object]]:
    with store.read() as conn:
        return repo.list_policies(conn)


def apply(
    store: Store, text: str, *, source: str, actor: str | None, now: datetime | None = None
) -> PolicyVersion:
    """Validate ``text`` fully, then store it as the next version (admins only)."""
    policy = load_policy(text, source)  # validate before touching the store
    with store.write() as conn:
        require(conn, actor, Role.ADMIN, doing="applying a policy")
        assert actor is not None
        previous = repo.latest_policy(conn)
        if previous is not None and previous[1] == text:
            raise ConflictError(
                f"{source} is identical to policy version {previous[0]}; nothing to apply",
                version=previous[0],
            )
        version = repo.insert_policy(
            conn, name=policy.name, document=text, at=now or utcnow(), by=actor
        )
        append_event(
            conn,
            actor=actor,
            action="policy.applied",
            subject_type="policy",
            subject_id=policy.name,
            before={"version": previous[0]} if previous else None,
            after={"version": version, "source": source},
        )
    return PolicyVersion(version, policy, text)
