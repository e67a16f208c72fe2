"""A session record knows its class: its times are shown in the class's time zone, and
every teacher of the class (the one who took the session over, too) may read it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("live_records") as batch:
        batch.add_column(sa.Column("class_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_live_records_class_id"), ["class_id"])


def downgrade() -> None:
    with op.batch_alter_table("live_records") as batch:
        batch.drop_index(batch.f("ix_live_records_class_id"))
        batch.drop_column("class_id")
