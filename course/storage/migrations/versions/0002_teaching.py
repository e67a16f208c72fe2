"""Teaching: instructors, classes, enrollments, assignments, extensions and
live-session records (issue 6).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def timestamp(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "instructors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        timestamp("created_at"),
        sa.Column("created_by", sa.Integer(), nullable=True),
        fk("instructors", "created_by", "instructors", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instructors")),
        sa.UniqueConstraint("email", name=op.f("uq_instructors_email")),
    )
    op.create_table(
        "classes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instructor_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("join_code", sa.String(length=6), nullable=False),
        timestamp("created_at"),
        sa.Column("archived", sa.Boolean(), nullable=False),
        fk("classes", "instructor_id", "instructors", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classes")),
        sa.UniqueConstraint("join_code", name=op.f("uq_classes_join_code")),
    )
    op.create_index(op.f("ix_classes_instructor_id"), "classes", ["instructor_id"])
    op.create_table(
        "enrollments",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=40), nullable=False),
        timestamp("joined_at"),
        fk("enrollments", "class_id", "classes", "CASCADE"),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_enrollments_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("class_id", "learner_id", name=op.f("pk_enrollments")),
    )
    op.create_index(op.f("ix_enrollments_learner_id"), "enrollments", ["learner_id"])
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.String(length=64), nullable=False),
        timestamp("due_at"),
        timestamp("created_at"),
        fk("assignments", "class_id", "classes", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint(
            "class_id", "lesson_id", name=op.f("uq_assignments_class_id_lesson_id")
        ),
    )
    op.create_table(
        "extensions",
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.String(length=64), nullable=False),
        timestamp("due_at"),
        fk("extensions", "assignment_id", "assignments", "CASCADE"),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_extensions_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assignment_id", "learner_id", name=op.f("pk_extensions")),
    )
    op.create_table(
        "live_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("instructor_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("lesson_id", sa.String(length=64), nullable=False),
        sa.Column("lab_id", sa.String(length=64), nullable=False),
        timestamp("started_at"),
        timestamp("ended_at", nullable=True),
        sa.Column("summary", sa.JSON(none_as_null=True), nullable=True),
        fk("live_sessions", "instructor_id", "instructors", "CASCADE"),
        fk("live_sessions", "class_id", "classes", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_sessions")),
    )
    op.create_index(op.f("ix_live_sessions_code"), "live_sessions", ["code"])
    op.create_index(op.f("ix_live_sessions_instructor_id"), "live_sessions", ["instructor_id"])
    op.create_index(op.f("ix_live_sessions_class_id"), "live_sessions", ["class_id"])


def downgrade() -> None:
    op.drop_table("live_sessions")  # its indexes go with it
    op.drop_table("extensions")
    op.drop_table("assignments")
    op.drop_table("enrollments")
    op.drop_table("classes")
    op.drop_table("instructors")
