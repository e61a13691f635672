"""SQLAlchemy Core tables: the whole persistent state of scalegate."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from scalegate.store.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False, default=""),
    Column("email", String(200), nullable=False, default=""),
    Column("role", String(20), nullable=False),
    Column("domains", JSON, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    #: scrypt hash of the web login password (``scrypt$n$r$p$salt$hash``); None: no login
    Column("password_hash", String(300), nullable=True),
)

#: bearer tokens for programs; only the SHA-256 of the token is stored
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("last_used_at", UTCDateTime, nullable=True),
)

#: browser sessions of the web dashboard; only the SHA-256 of the session id is stored
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_hash", String(64), nullable=False, unique=True),
    Column("username", String(100), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)

use_cases = Table(
    "use_cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("purpose", Text, nullable=False, default=""),
    Column("strategic_objective", Text, nullable=False, default=""),
    Column("business_owner", String(100), nullable=True, index=True),
    Column("technical_owner", String(100), nullable=True, index=True),
    Column("departments", JSON, nullable=False),
    Column("integration_targets", JSON, nullable=False),
    Column("kpis", JSON, nullable=False),
    Column("risk_tier", String(20), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("stage", String(20), nullable=False, index=True),
    Column("stage_entered_at", UTCDateTime, nullable=False),
    Column("lessons_learned", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

stage_history = Table(
    "stage_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("use_case_id", ForeignKey("use_cases.id"), nullable=False, index=True),
    Column("from_stage", String(20), nullable=True),
    Column("to_stage", String(20), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("policy_version", Integer, nullable=True),
    Column("decision", JSON, nullable=True),
    Column("note", Text, nullable=False, default=""),
)

policies = Table(
    "policies",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("document", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
)

approvals = Table(
    "approvals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("use_case_id", ForeignKey("use_cases.id"), nullable=False),
    Column("gate", String(20), nullable=False),
    Column("domain", String(40), nullable=False),
    Column("approver", String(100), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("stage", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_approvals_use_case_stage", "use_case_id", "stage"),
)

waivers = Table(
    "waivers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("use_case_id", ForeignKey("use_cases.id"), nullable=False),
    Column("gate", String(20), nullable=False),
    Column("criterion", String(64), nullable=False),
    Column("justification", Text, nullable=False),
    Column("approver", String(100), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("stage", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_waivers_use_case_stage", "use_case_id", "stage"),
)

promotion_requests = Table(
    "promotion_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("use_case_id", ForeignKey("use_cases.id"), nullable=False),
    Column("gate", String(20), nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True),
    Index("ix_promotion_requests_status", "status", "use_case_id"),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("use_case_id", ForeignKey("use_cases.id"), nullable=False),
    Column("kind", String(64), nullable=False),
    #: what the record is about within its kind, e.g. the contract a data check ran
    Column("subject", String(200), nullable=True),
    Column("status", String(10), nullable=False),
    Column("summary", Text, nullable=False, default=""),
    Column("payload", JSON, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    Index("ix_evidence_use_case_kind", "use_case_id", "kind", "id"),
    Index("ix_evidence_kind_subject", "kind", "use_case_id", "subject", "id"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject_type", String(40), nullable=False),
    Column("subject_id", String(200), nullable=False),
    Column("before", Text, nullable=False),
    Column("after", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_events_subject", "subject_type", "subject_id"),
    # the audit viewer's filters, newest first by seq: one index range each, never a scan
    Index("ix_audit_events_actor_seq", "actor", "seq"),
    Index("ix_audit_events_action_seq", "action", "seq"),
    Index("ix_audit_events_at", "at"),
)

#: the last (seq, hash) of the chain, updated in the same transaction as each append, so
#: that removing trailing events is detected too
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

# ---------------------------------------------------------------------------- monitoring

#: a model version in production watched against its reference
monitors = Table(
    "monitors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("use_case_id", ForeignKey("use_cases.id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("model_name", String(200), nullable=False),
    Column("model_version", String(100), nullable=False),
    Column("artifact_uri", String(2000), nullable=False, default=""),
    Column("training_fingerprint", String(200), nullable=False, default=""),
    Column("code_revision", String(200), nullable=False, default=""),
    #: classification | regression | None (drift only)
    Column("task", String(20), nullable=True),
    #: column roles: id, timestamp, prediction, score, label
    Column("columns", JSON, nullable=False),
    #: the drift reference (profile, multivariate model, drift config)
    Column("reference", JSON, nullable=False),
    Column("reference_source", String(2000), nullable=False, default=""),
    #: label-free performance estimator fitted on the reference, if any
    Column("estimator", JSON, nullable=True),
    #: what ``performance`` criteria judge by default, and its value on the reference
    Column("primary_metric", String(40), nullable=True),
    Column("reference_metrics", JSON, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    UniqueConstraint("use_case_id", "name"),
)

#: one logged production batch: its profile, drift, estimated and (later) realised performance
monitor_batches = Table(
    "monitor_batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("monitor_id", ForeignKey("monitors.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("rows", BigInteger, nullable=False),
    #: ok | drift | critical
    Column("status", String(10), nullable=False),
    #: flat metric name -> number, what alert rules and gate criteria read
    Column("metrics", JSON, nullable=False),
    Column("summary", JSON, nullable=False),
    Column("drift", JSON, nullable=False),
    Column("estimated", JSON, nullable=True),
    Column("performance", JSON, nullable=True),
    Column("labelled_rows", BigInteger, nullable=False, default=0),
    Column("evidence_id", ForeignKey("evidence.id"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    Index("ix_monitor_batches_monitor_at", "monitor_id", "at"),
)

#: ids, predictions and scores of a batch (Parquet), kept so that later labels can be joined
batch_rows = Table(
    "batch_rows",
    metadata,
    Column("batch_id", ForeignKey("monitor_batches.id"), primary_key=True, autoincrement=False),
    Column("rows", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("monitor_id", ForeignKey("monitors.id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("metric", String(100), nullable=False),
    Column("op", String(2), nullable=False),
    Column("threshold", Float, nullable=False),
    Column("windows", Integer, nullable=False, default=1),
    Column("webhook", String(2000), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    UniqueConstraint("monitor_id", "name"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rule_id", ForeignKey("alert_rules.id"), nullable=False),
    Column("monitor_id", ForeignKey("monitors.id"), nullable=False),
    #: open | resolved
    Column("status", String(10), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("value", Float, nullable=True),
    Column("batch_ids", JSON, nullable=False),
    Column("message", Text, nullable=False, default=""),
    Index("ix_alerts_rule_status", "rule_id", "status"),
    Index("ix_alerts_monitor_status", "monitor_id", "status"),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", ForeignKey("alerts.id"), nullable=False, index=True),
    #: opened | resolved
    Column("event", String(10), nullable=False),
    Column("url", String(2000), nullable=False),
    #: pending | delivered | failed
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Index("ix_alert_deliveries_status", "status", "next_attempt_at"),
)

# ---------------------------------------------------------------------------- strategy and value

#: strategic objectives use cases serve; ``sponsor`` is free text (often an executive
#: without a login)
objectives = Table(
    "objectives",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("sponsor", String(200), nullable=False, default=""),
    Column("outcome", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
)

#: which objective a use case serves: at most one per use case (re-linking moves it)
objective_links = Table(
    "objective_links",
    metadata,
    Column("use_case_id", ForeignKey("use_cases.id"), primary_key=True, autoincrement=False),
    Column("objective_id", ForeignKey("objectives.id"), nullable=False, index=True),
    Column("linked_at", UTCDateTime, nullable=False),
    Column("linked_by", String(100), nullable=False),
)
