"""One learner's open ``/task`` task: its run, the question last asked, the reply
every event sends back (state, views, the shared link), and how ``open`` follows a
shared link.

A link is the ``open`` event's optional fields (share.js writes them into the URL):

    seed      the network's seed (the task block's, or that of the link it came from)
    epochs    how many epochs it had trained (0–``MAX_SHARED_EPOCHS``)
    config    text tasks whose text the learner changed: {source, text?} (text: their own)
    ask       the question last asked: predict's {prefix, temperature}, analyse's
              {sentence} or translate's {text}; memory's {length}, the length trained on
    generate  text tasks, the last generation if the current weights made it:
              {prefix, length, temperature, seed}

Replaying gives the same numbers because nothing else is random: the seed fixes the
first weights and the PRNG key of the first epoch, each epoch hands the next its key
(so it samples the same batches), and the task's settings come from the lesson; the
same text trained for the same epochs so ends on the same weights. The question's
answer is a function of those weights, and a generation also of its own seed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from course.tasks import letter, memory_view
from course.tasks import views as views_task
from course.tasks.runs import (
    MemoryRun,
    Run,
    SentimentRun,
    TextRun,
    TranslationRun,
    examples,
    make_run,
)
from course.tasks.schemas import (
    LINK_ASK,
    LINK_CONFIG,
    LINK_GENERATE,
    check_text_source,
    checked_prefix,
    engine_error,
    link_part,
)
from course.tasks.spec import TaskSpec
from course.web.validation import PayloadError
from engine.letter import LetterWalk

FIRST_PREFIX = {"abab": "abab", "lorem": "lorem ipsum dolo"}  # the learner's text: its start
FIRST_SENTENCE = "the movie was not very good"
# What the acks carry besides the figures' sources (the views' own numbers, for the page)
ANALYSIS_FIELDS = ("tokens", "known", "probs", "probs_per_word", "label")
TRANSLATION_FIELDS = ("source_tokens", "output_tokens", "translation", "attention")


class TaskSession:
    """One learner's task. ``lock`` serialises what changes the run (train, reset,
    set_text); questions read the run's latest snapshot without it."""

    def __init__(self, spec: TaskSpec, lesson_id: str, learner: str | None) -> None:
        self.spec = spec
        self.run: Run = make_run(spec)
        self.lesson_id, self.learner = lesson_id, learner
        self.touched = False
        self.gone = False  # its connection closed: a training under way stops
        self.lock = threading.Lock()
        self.asked: dict[str, Any] = self.first_question()  # re-asked after training
        self.draws = 0  # generate's default seeds: each click samples anew
        self.generated: dict[str, Any] | None = None  # the last generation, for the link
        self.generated_at: tuple[int, int] = (-1, -1)  # its (run generation, epoch)
        # The letter walk (text tasks with ``walk``): through the question last asked, on
        # the weights it was built from (held by identity), with the unit it shows.
        self.walk: LetterWalk | None = None
        self.walk_of: tuple[Any, str, float] | None = None
        self.walk_unit = 0
        self.walk_lock = threading.Lock()

    @property
    def walks(self) -> bool:
        """Whether this task shows a letter walking through the cell."""
        return self.spec.kind == "text" and bool(self.spec.options.get("walk"))

    def letter_walk(self) -> LetterWalk:
        """The walk through the start last asked, on the current weights (call it under
        ``walk_lock``). New weights or a new temperature keep its cursor; a new start
        begins at its first character."""
        run = self.run
        assert isinstance(run, TextRun)
        snapshot, prefix = run.snapshot, self.asked["prefix"]
        temperature = self.asked["temperature"]
        old, of = self.walk, self.walk_of
        if old is None or of is None or of[0] is not snapshot or of[1:] != (prefix, temperature):
            walk = LetterWalk(snapshot.params, run.config, prefix, temperature)
            if old is not None and of is not None and of[1] == prefix:
                walk.seek(old.position)
            self.walk, self.walk_of = walk, (snapshot, prefix, temperature)
        assert self.walk is not None
        return self.walk

    def move_walk(self, move: str, unit: int | None) -> None:
        """Move the walk's cursor (``schemas.WALK_MOVES``) and choose the unit shown."""
        with self.walk_lock:
            walk = self.letter_walk()
            if move in ("next", "back"):
                walk.move("compute", back=move == "back")
            elif move in ("next_char", "back_char"):
                walk.move("character", back=move == "back_char")
            elif move in ("start", "end"):
                walk.seek(0 if move == "start" else walk.total - 1)
            if unit is not None:
                self.walk_unit = unit

    def first_question(self) -> dict[str, Any]:
        """The question a fresh network (or a new text) starts with."""
        run = self.run
        if isinstance(run, TextRun):
            prefix = FIRST_PREFIX.get(run.config.text) or run.shown_text[:16]
            return {"prefix": prefix, "temperature": 1.0}
        if isinstance(run, SentimentRun):
            return {"sentence": FIRST_SENTENCE}
        if isinstance(run, MemoryRun):
            return {"length": run.length}
        return {"text": examples()[0]}

    def answer(self) -> dict[str, Any]:
        """The views for the question last asked, from the current weights."""
        run, asked = self.run, self.asked
        if isinstance(run, TextRun):
            p = run.predict(asked["prefix"], asked["temperature"])
            out = {
                "prediction": _prediction(run, asked, p),
                "sources": views_task.probs_data(run.chars, p),
            }
            if self.walks:
                with self.walk_lock:
                    walked = letter.walk_data(self.letter_walk(), self.walk_unit)
                out["sources"] |= walked["sources"]
                out["walk"] = walked["walk"]
            return out
        if isinstance(run, SentimentRun):
            analysis = run.analyse(asked["sentence"])
            return {
                "analysis": {k: analysis[k] for k in ANALYSIS_FIELDS}
                | {"sentence": asked["sentence"]},
                "sources": views_task.sentiment_data(analysis, run.projection()),
            }
        if isinstance(run, MemoryRun):
            state = run.state()
            return {"example": run.example(), "sources": memory_view.memory_data(state)}
        assert isinstance(run, TranslationRun)
        out = run.translate(asked["text"])
        return {
            "translation": {k: out[k] for k in TRANSLATION_FIELDS} | {"text": asked["text"]},
            "sources": views_task.translation_data(out),
        }

    def payload(self) -> dict[str, Any]:
        state = self.run.state()
        reply = self.answer()
        if not isinstance(self.run, MemoryRun):  # memory draws a loss per network
            reply["sources"] |= views_task.loss_data(state)
        link = self.link()
        meta = {"task": self.spec.id, "kind": self.spec.kind, "state": state, "link": link}
        return meta | reply

    def generate(self, settings: dict[str, Any]) -> str:
        """Generated text from ``settings`` {prefix, length, temperature, seed}, kept for
        the link while the weights it came from are the current ones."""
        run = self.run
        assert isinstance(run, TextRun)
        generated = run.generate(
            settings["prefix"], settings["length"], settings["temperature"], settings["seed"]
        )
        self.generated = {k: settings[k] for k in LINK_GENERATE}
        self.generated_at = (run.generation, run.snapshot.epoch)
        return generated

    def link(self) -> dict[str, Any]:
        """What a shared link needs to bring a fresh session to this one's numbers."""
        run = self.run
        out: dict[str, Any] = {"seed": self.spec.seed, "epochs": run.snapshot.epoch}
        if isinstance(run, TextRun) and run.config.text != self.spec.options["text"]:
            out["config"] = {"source": run.config.text}
            if run.config.text == "user":
                out["config"]["text"] = run.config.user
        out["ask"] = dict(self.asked)
        generated = self.generated
        if generated and self.generated_at == (run.generation, run.snapshot.epoch):
            out["generate"] = dict(generated)
        return out

    def follow(
        self, data: dict[str, Any], train: Callable[[TaskSession, int], None]
    ) -> dict[str, Any]:
        """Bring this fresh session to the link in ``data`` (``open``'s payload): its
        text, its question, its epochs (``train`` replays them from the seed), then its
        generation. Everything is checked before the training starts; returns the
        generated text and its seed, if the link has a generation."""
        run, kind = self.run, self.spec.kind
        for name in ("config", "generate"):
            if data[name] is not None and not isinstance(run, TextRun):
                raise PayloadError("bad_value", f"{name} is for text tasks", name)
        if data["config"] is not None:
            assert isinstance(run, TextRun)
            config = link_part("config", data["config"], LINK_CONFIG)
            check_text_source(config["source"], config["text"], "config.text")
            try:
                run.use_text(config["source"], config["text"])
            except ValueError as error:
                raise engine_error("config.text")(error) from None
            self.asked = self.first_question()
        if data["ask"] is not None:
            asked = link_part("ask", data["ask"], LINK_ASK[kind])
            if isinstance(run, TextRun):
                asked["prefix"] = checked_prefix(run, asked["prefix"], "ask.prefix")
            if isinstance(run, MemoryRun):
                run.use_length(asked["length"])  # the schema held it to the limits
            self.asked = asked
            try:
                self.answer()  # a sentence or date the network cannot read fails here
            except ValueError as error:
                raise engine_error(f"ask.{next(iter(asked))}")(error) from None
        generate = None
        if data["generate"] is not None:
            assert isinstance(run, TextRun)
            generate = link_part("generate", data["generate"], LINK_GENERATE)
            generate["prefix"] = checked_prefix(run, generate["prefix"], "generate.prefix")
        if data["epochs"]:
            train(self, data["epochs"])
        if generate is None:
            return {}
        return {"generated": self.generate(generate), "seed": generate["seed"]}


def _prediction(run: TextRun, asked: dict[str, Any], p: Any) -> dict[str, Any]:
    best = int(p.argmax())
    return {
        "prefix": asked["prefix"],
        "temperature": asked["temperature"],
        "next": run.chars[best],
        "p": float(p[best]),
    }
