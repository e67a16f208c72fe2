"""A class's time zone: due dates and times on teaching pages are in it (issue 15, item 4).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD COLUMN, not a batch: on SQLite a batch copies the table and drops the old
# one, and with foreign keys on, that drop would cascade to every enrollment.


def upgrade() -> None:
    op.add_column(
        "classes",
        sa.Column("time_zone", sa.String(length=64), server_default="UTC", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("classes", "time_zone")  # SQLite 3.35+: DROP COLUMN
