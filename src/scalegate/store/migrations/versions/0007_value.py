"""Strategy and value: strategic objectives and the use cases linked to them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from scalegate.store.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "objectives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sponsor", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objectives")),
        sa.UniqueConstraint("slug", name=op.f("uq_objectives_slug")),
    )
    op.create_table(
        "objective_links",
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", UTCDateTime(), nullable=False),
        sa.Column("linked_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["objectives.id"],
            name=op.f("fk_objective_links_objective_id_objectives"),
        ),
        sa.ForeignKeyConstraint(
            ["use_case_id"],
            ["use_cases.id"],
            name=op.f("fk_objective_links_use_case_id_use_cases"),
        ),
        sa.PrimaryKeyConstraint("use_case_id", name=op.f("pk_objective_links")),
    )
    with op.batch_alter_table("objective_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_objective_links_objective_id"), ["objective_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("objective_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objective_links_objective_id"))
    op.drop_table("objective_links")
    op.drop_table("objectives")
