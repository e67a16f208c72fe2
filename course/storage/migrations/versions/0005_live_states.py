"""The durable state of running live sessions and their votes (issue 15, item 1).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def timestamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "live_states",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("view", sa.JSON(), nullable=False),
        sa.Column("lab", sa.LargeBinary(), nullable=False),
        timestamp("started_at"),
        timestamp("updated_at"),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_live_states")),
    )
    op.create_index(op.f("ix_live_states_updated_at"), "live_states", ["updated_at"])
    op.create_table(
        "live_votes",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("poll", sa.String(length=64), nullable=False),
        sa.Column("learner", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        timestamp("updated_at"),
        sa.ForeignKeyConstraint(
            ["code"],
            ["live_states.code"],
            name=op.f("fk_live_votes_code_live_states"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code", "poll", "learner", name=op.f("pk_live_votes")),
    )


def downgrade() -> None:
    op.drop_table("live_votes")
    op.drop_table("live_states")  # its index goes with it
