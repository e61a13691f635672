"""Audit viewer filters: events by actor, by action (newest first) and by time.

The web audit log pages through a million events with keyset paging on ``seq``; a filter on
actor or action without an index would scan the table whenever the matches are rare.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_events_actor_seq"), ["actor", "seq"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_events_action_seq"), ["action", "seq"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_at"))
        batch_op.drop_index(batch_op.f("ix_audit_events_action_seq"))
        batch_op.drop_index(batch_op.f("ix_audit_events_actor_seq"))
