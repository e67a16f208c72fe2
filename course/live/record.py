"""The record of a live session: a timeline of what happened (steps, epochs, changes of
the network, play and pause, polls with their distribution and every answer, who
joined), kept in the database (``live_records``, ``live_events``) for the instructor
to read and download after the session.

The namespace takes a ``snapshot`` of the state before and after each change; what
changed becomes timeline lines (``lines``), written with the seq the change produced.
A play loop's ticks are not lines of their own: only the epochs they complete are.
Reading a record back is ``live.record_view``'s.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from course.lab.spec import options_of
from course.lab.steps import STEP_LABELS
from course.lessons.plain import cut, plain
from course.live.pollstate import Poll, number_label, vote_key
from course.live.state import LiveState
from course.storage.db import transaction
from course.storage.models import Instructor, LiveEvent, LiveRecord, utcnow

PLAYER = "the server"  # a play loop's tick, or a play stopped because its process died
Line = tuple[str, str, dict[str, Any]]  # kind, what (a sentence), data


def snapshot(state: LiveState, *, viewed: bool = False) -> dict[str, Any]:
    """What a timeline line may compare: cheap to take on every change. The lab's status
    only once its view was built (``viewed``): before, reading it may run a forward pass."""
    lab = state.lab
    return {
        "epoch": lab.epoch,
        "updates": lab.updates,
        "loss": lab.losses[-1] if lab.losses else None,
        "status": lab.status if viewed else None,
        "options": options_of(lab.config),
        "unit": state.unit,
        "layer": state.layer,
        "poll": state.poll.as_dict() if state.poll else None,
        "explore": state.explore,
        "playing": state.playing,
        "ended": state.ended,
        "message": state.message,
        "presenter": state.presenter,
        "presenter_name": state.presenter_name,
    }


def _loss(loss: float | None) -> str:
    return "" if loss is None else f", loss {loss:.4g}"


def _epochs(n: int) -> str:
    return f"{n} epoch{'s' if n != 1 else ''}"


def lines(
    before: dict[str, Any], after: dict[str, Any], action: dict[str, Any] | None, frame: Any
) -> list[Line]:
    """The timeline lines of one change: the presenter's ``action`` (``{"action", ...args}``;
    None for a play loop's tick or a poll, explore or end change), and what it did."""
    out: list[Line] = []
    numbers = {"epoch": after["epoch"], "loss": after["loss"]}
    args = action or {}
    name = args.get("action")
    if name == "step":
        where = f"{frame['phase']}"
        if frame.get("t") is not None:
            where += f", t {frame['t'] + 1}"
        if frame.get("layer") is not None:
            where += f", layer {frame['layer'] + 1}"
        if frame.get("step") in STEP_LABELS:
            where += f": {STEP_LABELS[frame['step']]}"
        by = args.get("granularity") or "compute"
        out.append(("step", f"Step by {by} → {where}", numbers))
    elif name == "jump":
        t = args.get("t")
        at = f" at t {t + 1}" if t is not None else ""
        out.append(("jump", f"Jump to the {args['phase']} phase{at}", numbers))
    elif name == "train":
        trained = after["epoch"] - before["epoch"]
        what = f"Trained {_epochs(trained)} → epoch {after['epoch']}{_loss(after['loss'])}"
        out.append(("train", what, numbers))
    elif name == "reset":
        lost = f" (was epoch {before['epoch']}{_loss(before['loss'])})" if before["epoch"] else ""
        out.append(("reset", f"Reset: fresh weights{lost}", numbers))
    elif name in ("configure", "layers"):
        changed = {
            k: [before["options"][k], after["options"][k]]
            for k in after["options"]
            if before["options"][k] != after["options"][k]
        }
        said = ", ".join(f"{k} {old} → {new}" for k, (old, new) in changed.items()) or "nothing"
        rebuilt = after["epoch"] == 0 and before["epoch"] > 0 or set(changed) - {
            "learning_rate", "noise", "clip"
        }  # fmt: skip
        what = f"Changed {said}" + (" (a new network)" if rebuilt else "")
        out.append(("configure", what, numbers | {"changed": changed}))
    elif name == "select":
        layer = after["layer"]
        where = f" of layer {layer + 1}" if layer is not None else ""
        out.append(("select", f"Showing unit {after['unit']}{where}", numbers))
    elif name == "play":
        speed = args.get("speed") or 1
        by = args.get("granularity") or "compute"
        out.append(("play", f"Play by {by} at {speed:g}×", numbers))
    elif name == "pause":
        out.append(("pause", f"Pause at epoch {after['epoch']}", numbers))
    if name not in ("train", "reset", "configure", "layers") and after["epoch"] > before["epoch"]:
        what = f"Epoch {after['epoch']} trained{_loss(after['loss'])}"
        out.append(("epoch", what, numbers))
    if before["playing"] and not after["playing"] and name is None:
        why = "diverged" if after["status"] == "diverged" else after["message"] or "stopped"
        out.append(("pause", f"Playing stopped: {why}", numbers))
    out += _poll_lines(before["poll"], after["poll"])
    if before["explore"] != after["explore"]:
        allowed = "may now explore on their own" if after["explore"] else "follow the class again"
        out.append(("explore", f"Students {allowed}", {}))
    if after.get("presenter") != before.get("presenter"):
        was = before.get("presenter_name") or "the presenter"
        out.append(("takeover", f"{after['presenter_name']} took over from {was}", {}))
    if after["ended"] and not before["ended"]:
        out.append(
            ("end", f"Session ended at epoch {after['epoch']}{_loss(after['loss'])}", numbers)
        )
    return out


LABEL_LENGTH = 80


def _label(poll: dict[str, Any]) -> str:
    """How the timeline names a poll: its number and the question's words (maths kept
    whole, for the record page to typeset)."""
    return f"poll {poll['number']} (“{cut(plain(poll['prompt']), LABEL_LENGTH)}”)"


def _poll_lines(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Line]:
    out: list[Line] = []
    if after is None:
        return out
    name, data = _label(after), {"poll": after["number"], "round": after["round"]}
    if before is None or before["number"] != after["number"]:
        out.append(("poll", f"Opened {name}", data | {"quiz": after["quiz"]}))
        return out
    if after["round"] > before["round"]:
        out.append(("poll", f"Revote on {name}: round {after['round']}", data))
    elif before["open"] and not after["open"]:
        out.append(("poll", f"Closed {name}", data))
    if after["show_results"] and not before["show_results"]:
        out.append(("poll", f"Showed the results of {name}", data))
    if after["show_answer"] and not before["show_answer"]:
        out.append(("poll", f"Showed the answer of {name}", data))
    return out


def polls_to_keep(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The polls (as ``Poll.as_dict``) whose current round's answers the record keeps
    now: one closed, revealed while open, replaced by another question while open, or
    open when the session ends. A closed round was kept when it closed: its answers
    can no longer change."""
    old, new = before["poll"], after["poll"]
    if old is None or not old["open"]:
        return []
    if new is None or new["number"] != old["number"]:
        return [old]
    closed = not new["open"] or new["round"] != old["round"]
    shown = any(new[k] and not old[k] for k in ("show_results", "show_answer"))
    ending = after["ended"] and not before["ended"]
    return [old | {"open": False}] if closed or shown or ending else []


def poll_result(poll: dict[str, Any], votes: dict[str, Any], names: dict[str, str]) -> Line:
    """A round of a poll: its distribution (every option by its letter, as everyone saw
    it, with its count; or every number given) and who answered what, as a line."""
    asked = Poll.from_dict(poll)
    right = set(asked.right_labels())
    choices: list[dict[str, Any]]
    if asked.kind == "choice":
        choices = [
            {"letter": c["letter"], "text": plain(c["html"]), "correct": c["letter"] in right,
             "count": 0}
            for c in asked.choices
        ]  # fmt: skip
    else:
        given = sorted({number_label(v["value"]) for v in votes.values() if "value" in v})
        choices = [{"letter": g, "text": "", "correct": g in right, "count": 0} for g in given]
    at = {c["letter"]: c for c in choices}
    answers = []
    for learner, vote in sorted(votes.items(), key=lambda kv: names.get(kv[0], "?")):
        picked = asked.label(vote)
        if picked in at:
            at[picked]["count"] += 1
        who = str(vote.get("name") or names.get(learner, "?"))
        answers.append({"learner": learner, "name": who, "choices": [picked] if picked else []})
    spread = ", ".join(f"{c['letter']} {c['count']}" for c in choices)
    key = vote_key(poll["number"], poll["round"])
    what = f"Result of {_label(poll)}, round {poll['round']}: {len(answers)} answered ({spread})"
    data = {"quiz": key, "lesson_quiz": poll["quiz"], "poll": poll["number"],
            "round": poll["round"], "prompt": plain(poll["prompt"]), "choices": choices,
            "answers": answers}  # fmt: skip
    return ("result", what, data)


# -- the database ----------------------------------------------------------------------


def open_record(state: LiveState) -> None:
    """The record of a new session (its presenter's name looked up once)."""
    with transaction() as session:
        _ensure(session, state)


def _ensure(session: Session, state: LiveState) -> LiveRecord:
    found = session.get(LiveRecord, state.record)
    if found is not None:
        return found
    made = LiveRecord(
        id=state.record,
        code=state.code,
        presenter=state.presenter,
        presenter_name=instructor_name(session, state.presenter),
        lesson_id=state.lesson_id,
        lab_id=state.spec.id,
        class_id=state.class_id,
    )
    session.add(made)
    session.flush()
    return made


def instructor_name(session: Session, instructor: str) -> str:
    """An instructor's name, as the record says who presented."""
    found = session.get(Instructor, int(instructor)) if instructor.isdigit() else None
    return found.name if found else "the presenter"


def write(state: LiveState, who: str | None, found: list[Line]) -> None:
    """Add ``found`` to the session's timeline at its current seq, by ``who`` (None: the
    presenter, by name: the one who took the session over, once one has)."""
    if not found:
        return
    with transaction() as session:
        made = _ensure(session, state)
        by = (state.presenter_name or made.presenter_name) if who is None else who
        for kind, what, data in found:
            session.add(
                LiveEvent(
                    record=made.id,
                    seq=state.seq,
                    who=by[:80],
                    kind=kind,
                    what=what[:400],
                    data=data,
                )  # fmt: skip
            )
        if state.ended and made.ended_at is None:
            made.ended_at = utcnow()


def joined(state: LiveState, learner: str, name: str) -> None:
    """A student joined: a line the first time this learner joins (later joins of the
    same learner are reconnections), so the record knows every name."""
    with transaction() as session:
        made = _ensure(session, state)
        same_name = session.scalars(  # a reconnection is a join under the same name
            select(LiveEvent.data).where(
                LiveEvent.record == made.id, LiveEvent.kind == "join", LiveEvent.who == name[:80]
            )
        )
        if all(data.get("learner") != learner for data in same_name):
            session.add(
                LiveEvent(
                    record=made.id,
                    seq=state.seq,
                    who=name[:80],
                    kind="join",
                    what=f"{name} joined",
                    data={"learner": learner},
                )  # fmt: skip
            )


def names(session: Session, record: str) -> dict[str, str]:
    """Learner id → the name they joined under, from the record's join lines."""
    rows = session.execute(
        select(LiveEvent.data, LiveEvent.who).where(
            LiveEvent.record == record, LiveEvent.kind == "join"
        )
    )
    return {data["learner"]: who for data, who in rows}
