"""Instructors: an admin flag (only admins add instructors) and a session generation
(signing out revokes every cookie made before it) (issue 17).

Instructors made on the command line (``created_by`` empty) were the deployment's
administrators before this change, so they become admins; those another
instructor added do not.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD COLUMN, not a batch: on SQLite a batch copies the table and drops the old
# one, and with foreign keys on, that drop would cascade to every class.


def upgrade() -> None:
    op.add_column(
        "instructors",
        sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "instructors",
        sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False),
    )
    instructors = sa.table("instructors", sa.column("is_admin"), sa.column("created_by"))
    op.execute(instructors.update().where(instructors.c.created_by.is_(None)).values(is_admin=True))


def downgrade() -> None:
    op.drop_column("instructors", "session_generation")  # SQLite 3.35+: DROP COLUMN
    op.drop_column("instructors", "is_admin")
