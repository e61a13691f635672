"""Evidence subject: what a record is about within its kind (the contract of a data check).

Lets the ``data_contract`` criterion find the runs of one contract without reading payloads.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=200), nullable=True))
        batch_op.create_index(
            "ix_evidence_kind_subject", ["kind", "use_case_id", "subject", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_kind_subject")
        batch_op.drop_column("subject")
