"""Shared links to a ``/task`` session: what one holds, how ``open`` checks and replays it.

A link is the ``open`` event's optional fields (share.js writes them into the URL):

    seed      the network's seed (the task block's, or that of the link it came from)
    epochs    how many epochs it had trained (0–``MAX_SHARED_EPOCHS``)
    config    text tasks whose text the learner changed: {source, text?} (text: their own)
    ask       the question last asked: predict's {prefix, temperature}, analyse's
              {sentence} or translate's {text}
    generate  text tasks, the last generation if the current weights made it:
              {prefix, length, temperature, seed}

Replaying gives the same numbers because nothing else is random: the seed fixes the
first weights and the PRNG key of the first epoch, each epoch hands the next its key
(so it samples the same batches), and the task's settings come from the lesson; the
same text trained for the same epochs so ends on the same weights. The question's
answer is a function of those weights, and a generation also of its own seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from course.tasks.runs import TextRun
from course.tasks.schemas import (
    GENERATION,
    PREFIX,
    SENTENCE,
    SOURCE,
    TEMPERATURE,
    TRANSLATE_TEXT,
    USER_TEXT,
    check_text_source,
    checked_prefix,
    engine_error,
)
from course.tasks.spec import MAX_SEED
from course.web.validation import Field, PayloadError, validate

if TYPE_CHECKING:  # the session builds its link with this module: no import at run time
    from course.tasks.session import TaskSession

# A link's nested parts, checked like the events they replay (what ``link()`` writes).
CONFIG = {"source": replace(SOURCE, required=True), "text": USER_TEXT}
ASK = {
    "text": {"prefix": PREFIX, "temperature": TEMPERATURE},
    "sentiment": {"sentence": SENTENCE},
    "translation": {"text": TRANSLATE_TEXT},
}
GENERATE = GENERATION | {"seed": Field(int, required=True, minimum=0, maximum=MAX_SEED)}


def link(session: TaskSession) -> dict[str, Any]:
    """What a shared link needs to bring a fresh session to this one's numbers."""
    run = session.run
    out: dict[str, Any] = {"seed": session.spec.seed, "epochs": run.snapshot.epoch}
    if isinstance(run, TextRun) and run.config.text != session.spec.options["text"]:
        out["config"] = {"source": run.config.text}
        if run.config.text == "user":
            out["config"]["text"] = run.config.user
    out["ask"] = dict(session.asked)
    generated = session.generated
    if generated and session.generated_at == (run.generation, run.snapshot.epoch):
        out["generate"] = dict(generated)
    return out


def follow(
    session: TaskSession, data: dict[str, Any], train: Callable[[TaskSession, int], None]
) -> dict[str, Any]:
    """Bring a fresh session to the link in ``data`` (``open``'s payload): its text, its
    question, its epochs (``train`` replays them from the seed), then its generation.
    Everything is checked before the training starts; returns the generated text and
    its seed, if the link has a generation."""
    run, kind = session.run, session.spec.kind
    for name in ("config", "generate"):
        if data[name] is not None and not isinstance(run, TextRun):
            raise PayloadError("bad_value", f"{name} is for text tasks", name)
    if data["config"] is not None:
        assert isinstance(run, TextRun)
        config = _part("config", data["config"], CONFIG)
        check_text_source(config["source"], config["text"], "config.text")
        try:
            run.use_text(config["source"], config["text"])
        except ValueError as error:
            raise engine_error("config.text")(error) from None
        session.asked = session.first_question()
    if data["ask"] is not None:
        asked = _part("ask", data["ask"], ASK[kind])
        if isinstance(run, TextRun):
            asked["prefix"] = checked_prefix(run, asked["prefix"], "ask.prefix")
        session.asked = asked
        try:
            session.answer()  # a sentence or date the network cannot read fails here
        except ValueError as error:
            raise engine_error(f"ask.{next(iter(asked))}")(error) from None
    generate = None
    if data["generate"] is not None:
        assert isinstance(run, TextRun)
        generate = _part("generate", data["generate"], GENERATE)
        generate["prefix"] = checked_prefix(run, generate["prefix"], "generate.prefix")
    if data["epochs"]:
        train(session, data["epochs"])
    if generate is None:
        return {}
    return {"generated": session.generate(generate), "seed": generate["seed"]}


def _part(name: str, value: Any, schema: dict[str, Field]) -> dict[str, Any]:
    """A link's nested part checked against its schema; errors name the part."""
    try:
        return validate(value, schema)
    except PayloadError as error:
        field = f"{name}.{error.field}" if error.field else name
        raise PayloadError(error.code, f"{name}: {error.message}", field) from None
