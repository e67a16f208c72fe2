"""Learners, progress marks, quiz attempts and reveals (issue 5).

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def timestamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def learner_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["learner_id"],
        ["learners.id"],
        name=op.f(f"fk_{table}_learner_id_learners"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "learners",
        sa.Column("id", sa.String(length=64), nullable=False),
        timestamp("created_at"),
        timestamp("last_seen"),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learners")),
    )
    op.create_index(op.f("ix_learners_account_id"), "learners", ["account_id"])
    op.create_table(
        "progress_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.String(length=64), nullable=False),
        sa.Column("lesson_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.JSON(none_as_null=True), nullable=True),
        timestamp("created_at"),
        sa.CheckConstraint(
            "kind IN ('section', 'lab', 'predict')", name=op.f("ck_progress_marks_kind")
        ),
        learner_fk("progress_marks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_marks")),
        sa.UniqueConstraint(
            "learner_id",
            "lesson_id",
            "kind",
            "key",
            name=op.f("uq_progress_marks_learner_id_lesson_id_kind_key"),
        ),
    )
    op.create_table(
        "quiz_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.String(length=64), nullable=False),
        sa.Column("lesson_id", sa.String(length=64), nullable=False),
        sa.Column("quiz_id", sa.String(length=64), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("graded", sa.JSON(), nullable=False),
        timestamp("created_at"),
        sa.CheckConstraint("attempt_no >= 1", name=op.f("ck_quiz_attempts_attempt_no")),
        sa.CheckConstraint("score >= 0 AND score <= 1", name=op.f("ck_quiz_attempts_score")),
        learner_fk("quiz_attempts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_attempts")),
        sa.UniqueConstraint(
            "learner_id",
            "lesson_id",
            "quiz_id",
            "attempt_no",
            name=op.f("uq_quiz_attempts_learner_id_lesson_id_quiz_id_attempt_no"),
        ),
        sa.UniqueConstraint(
            "learner_id",
            "submission_id",
            name=op.f("uq_quiz_attempts_learner_id_submission_id"),
        ),
    )
    op.create_table(
        "quiz_reveals",
        sa.Column("learner_id", sa.String(length=64), nullable=False),
        sa.Column("lesson_id", sa.String(length=64), nullable=False),
        sa.Column("quiz_id", sa.String(length=64), nullable=False),
        timestamp("created_at"),
        learner_fk("quiz_reveals"),
        sa.PrimaryKeyConstraint("learner_id", "lesson_id", "quiz_id", name=op.f("pk_quiz_reveals")),
    )


def downgrade() -> None:
    op.drop_table("quiz_reveals")
    op.drop_table("quiz_attempts")
    op.drop_table("progress_marks")
    op.drop_index(op.f("ix_learners_account_id"), table_name="learners")
    op.drop_table("learners")
