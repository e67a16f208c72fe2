"""The record of each live session: its timeline of steps, epochs, changes, joins and
polls (issue 15, item 5).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "live_records",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("presenter", sa.String(length=64), nullable=False),
        sa.Column("presenter_name", sa.String(length=80), nullable=False),
        sa.Column("lesson_id", sa.String(length=64), nullable=False),
        sa.Column("lab_id", sa.String(length=64), nullable=False),
        timestamp("started_at"),
        timestamp("ended_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_records")),
    )
    op.create_index(op.f("ix_live_records_code"), "live_records", ["code"])
    op.create_index(op.f("ix_live_records_presenter"), "live_records", ["presenter"])
    op.create_table(
        "live_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        timestamp("at"),
        sa.Column("who", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("what", sa.String(length=400), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record"],
            ["live_records.id"],
            name=op.f("fk_live_events_record_live_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_events")),
    )
    op.create_index(op.f("ix_live_events_record"), "live_events", ["record"])


def downgrade() -> None:
    op.drop_table("live_events")
    op.drop_table("live_records")  # its indexes go with it
