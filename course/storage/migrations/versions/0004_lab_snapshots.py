"""Labs kept between page loads: shared-link snapshots and resumable labs (issue 13).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def timestamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def lab_columns() -> list[sa.Column[object]]:
    """What both tables keep of a lab: what the cell view showed, the snapshot, its size."""
    return [
        sa.Column("unit", sa.Integer(), nullable=False),
        sa.Column("layer", sa.Integer(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "lab_snapshots",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("lesson_id", sa.String(length=64), nullable=False),
        sa.Column("lab_id", sa.String(length=64), nullable=False),
        *lab_columns(),
        sa.Column("creator", sa.String(length=64), nullable=True),
        timestamp("created_at"),
        timestamp("expires_at"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_lab_snapshots")),
    )
    op.create_index(op.f("ix_lab_snapshots_expires_at"), "lab_snapshots", ["expires_at"])
    op.create_table(
        "lab_resumes",
        sa.Column("learner_id", sa.String(length=64), nullable=False),
        sa.Column("tab", sa.String(length=64), nullable=False),
        sa.Column("lesson_id", sa.String(length=64), nullable=False),
        sa.Column("lab_id", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=64), nullable=True),
        *lab_columns(),
        timestamp("saved_at"),
        timestamp("expires_at"),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_lab_resumes_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "learner_id", "tab", "lesson_id", "lab_id", name=op.f("pk_lab_resumes")
        ),
    )
    op.create_index(op.f("ix_lab_resumes_expires_at"), "lab_resumes", ["expires_at"])


def downgrade() -> None:
    op.drop_table("lab_resumes")  # its indexes go with it
    op.drop_table("lab_snapshots")
