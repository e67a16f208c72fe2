"""Sessions belong to a class: imported roster rows, co-teachers, a member's e-mail,
and who attended each live session (issue 15, items 3 and 6).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def timestamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    name = op.f(f"fk_{table}_{column}_{target}")
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=name, ondelete="CASCADE")


def upgrade() -> None:
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
    op.create_table(
        "roster_invites",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        timestamp("added_at"),
        fk("roster_invites", "class_id", "classes"),
        sa.PrimaryKeyConstraint("class_id", "email", name=op.f("pk_roster_invites")),
    )
    op.create_table(
        "co_teachers",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("instructor_id", sa.Integer(), nullable=False),
        timestamp("added_at"),
        fk("co_teachers", "class_id", "classes"),
        fk("co_teachers", "instructor_id", "instructors"),
        sa.PrimaryKeyConstraint("class_id", "instructor_id", name=op.f("pk_co_teachers")),
    )
    op.create_index(op.f("ix_co_teachers_instructor_id"), "co_teachers", ["instructor_id"])
    op.create_table(
        "live_attendance",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("guest", sa.Boolean(), nullable=False),
        timestamp("joined_at"),
        timestamp("last_seen"),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("here", sa.Boolean(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        fk("live_attendance", "session_id", "live_sessions"),
        sa.PrimaryKeyConstraint("session_id", "learner_id", name=op.f("pk_live_attendance")),
    )
    op.create_index(op.f("ix_live_attendance_learner_id"), "live_attendance", ["learner_id"])


def downgrade() -> None:
    op.drop_table("live_attendance")
    op.drop_table("co_teachers")
    op.drop_table("roster_invites")
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_column("email")
