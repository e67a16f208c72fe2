"""Socket.IO namespace ``/task``: module 5's tasks, one per lesson block and learner.

Client events (each answered through its ack, ``{"ok": true, ...}`` or
``{"ok": false, "error": {code, message, field}}``):

    open      {lesson, task, seed?, config?, epochs? 0–50, ask?, generate?}
                                                      a fresh network; the ack carries the
                                                      figures and first views. The rest is a
                                                      shared link's state (every ack's ``link``):
                                                      train on config {source, text?}, replay
                                                      epochs, ask the question ask (predict,
                                                      analyse or translate's fields), generate
                                                      {prefix, length, temperature, seed}
    train     {task, epochs 1–20}                     pushes ``progress`` {task, epoch, of,
                                                      loss, accuracy} after every epoch
    reset     {task}                                  back to the untrained network
  text:
    predict   {task, prefix ≤ 200, temperature?}      softmax over the next character
    generate  {task, prefix, length ≤ 200, temperature 0.05–2, seed?}
    set_text  {task, source: abab|lorem|user, text?}  train on another text (from scratch)
  sentiment:
    analyse   {task, sentence ≤ 200 chars}            per-word hidden states, class
                                                      probabilities, embedding scatter
  translation:
    translate {task, text ≤ 40 chars}                 attention, context, decoder choices

Training runs in the event's own handler thread (python-socketio runs each event in a
thread of its own), under a cap of concurrent trainings for the whole server; questions
asked meanwhile read the latest epoch's weights. A bad payload changes nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask import Flask, current_app, request

from course import progress, views_task, wire
from course.sockets import LearnerNamespace, acked
from course.task_block import ID, MAX_SEED, TaskSpec
from course.task_runs import Run, SentimentRun, TextRun, TranslationRun, examples, make_run
from course.validation import Field, PayloadError, validate
from engine.text import MAX_USER_CHARS

log = logging.getLogger(__name__)

TASK = Field(str, required=True, max_length=64)
TEMPERATURE = Field(float, default=1.0, minimum=0.05, maximum=2.0)
PREFIX = Field(str, required=True, max_length=200)
MAX_SHARED_EPOCHS = 50  # share.js's MAX_EPOCHS: 50 epochs of translation replay in ~20 s
SOURCE = Field(str, default="user", choices=("abab", "lorem", "user"))
USER_TEXT = Field(str, default="", max_length=MAX_USER_CHARS)
GENERATION = {
    "prefix": PREFIX,
    "length": Field(int, default=100, minimum=1, maximum=200),
    "temperature": TEMPERATURE,
}
# A shared link's parts, checked like the events they replay (what ``link()`` writes).
LINK_CONFIG = {"source": replace(SOURCE, required=True), "text": USER_TEXT}
LINK_ASK = {
    "text": {"prefix": PREFIX, "temperature": TEMPERATURE},
    "sentiment": {"sentence": Field(str, required=True, max_length=200)},
    "translation": {"text": Field(str, required=True, max_length=40)},
}
LINK_GENERATE = GENERATION | {"seed": Field(int, required=True, minimum=0, maximum=MAX_SEED)}
SCHEMAS: dict[str, dict[str, Field]] = {
    "open": {
        "lesson": Field(str, required=True, max_length=64),
        "task": TASK,
        "seed": Field(int, minimum=0, maximum=MAX_SEED),
        "config": Field(dict),
        "epochs": Field(int, minimum=0, maximum=MAX_SHARED_EPOCHS),
        "ask": Field(dict),
        "generate": Field(dict),
    },
    "train": {"task": TASK, "epochs": Field(int, default=1, minimum=1, maximum=20)},
    "reset": {"task": TASK},
    "predict": {"task": TASK, "prefix": PREFIX, "temperature": TEMPERATURE},
    "generate": {"task": TASK, "seed": Field(int, minimum=0, maximum=MAX_SEED)} | GENERATION,
    "set_text": {"task": TASK, "source": SOURCE, "text": USER_TEXT},
    "analyse": {"task": TASK, "sentence": Field(str, required=True, max_length=200)},
    "translate": {"task": TASK, "text": Field(str, required=True, max_length=40)},
}
KINDS = {"predict": "text", "generate": "text", "set_text": "text"}
KINDS |= {"analyse": "sentiment", "translate": "translation"}
# Defaults; the app config may set MAX_TASKS_PER_CONNECTION, MAX_TASKS, MAX_TASK_TRAINING.
MAX_PER_CONNECTION, MAX_TOTAL, MAX_TRAINING = 6, 300, 2
QUEUE_SECONDS = 30  # how long a train request waits for a free trainer before "busy"
FIRST_PREFIX = {"abab": "abab", "lorem": "lorem ipsum dolo"}  # the learner's text: its start
FIRST_SENTENCE = "the movie was not very good"
# What the acks carry besides the figures' sources (the views' own numbers, for the page)
ANALYSIS_FIELDS = ("tokens", "known", "probs", "probs_per_word", "label")
TRANSLATION_FIELDS = ("source_tokens", "output_tokens", "translation", "attention")
SHOWN_TEXT = 600  # characters of the training text shown beside the widget


class TaskSession:
    """One learner's task. ``lock`` serialises what changes the run (train, reset,
    set_text); questions read the run's latest snapshot without it."""

    def __init__(self, spec: TaskSpec, lesson_id: str, learner: str | None) -> None:
        self.spec = spec
        self.run: Run = make_run(spec)
        self.lesson_id, self.learner = lesson_id, learner
        self.touched = False
        self.lock = threading.Lock()
        self.asked: dict[str, Any] = self._first_question()  # re-asked after training
        self.draws = 0  # generate's default seeds: each click samples anew
        self.generated: dict[str, Any] | None = None  # the last generation, for the link
        self.generated_at: tuple[int, int] = (-1, -1)  # its (run generation, epoch)

    def _first_question(self) -> dict[str, Any]:
        run = self.run
        if isinstance(run, TextRun):
            prefix = FIRST_PREFIX.get(run.config.text) or run.shown_text[:16]
            return {"prefix": prefix, "temperature": 1.0}
        if isinstance(run, SentimentRun):
            return {"sentence": FIRST_SENTENCE}
        return {"text": examples()[0]}

    def answer(self) -> dict[str, Any]:
        """The views for the question last asked, from the current weights."""
        run, asked = self.run, self.asked
        if isinstance(run, TextRun):
            p = run.predict(asked["prefix"], asked["temperature"])
            return {
                "prediction": _prediction(run, asked, p),
                "sources": views_task.probs_data(run.chars, p),
            }
        if isinstance(run, SentimentRun):
            analysis = run.analyse(asked["sentence"])
            return {
                "analysis": {k: analysis[k] for k in ANALYSIS_FIELDS}
                | {"sentence": asked["sentence"]},
                "sources": views_task.sentiment_data(analysis, run.projection()),
            }
        assert isinstance(run, TranslationRun)
        out = run.translate(asked["text"])
        return {
            "translation": {k: out[k] for k in TRANSLATION_FIELDS} | {"text": asked["text"]},
            "sources": views_task.translation_data(out),
        }

    def payload(self) -> dict[str, Any]:
        state = self.run.state()
        reply = self.answer()
        reply["sources"] |= views_task.loss_data(state)
        meta = {"task": self.spec.id, "kind": self.spec.kind, "state": state, "link": self.link()}
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
        """What a shared link needs to bring a fresh session to this one's numbers: the
        ``open`` event's fields (share.js writes them into the URL)."""
        run = self.run
        out: dict[str, Any] = {"seed": self.spec.seed, "epochs": run.snapshot.epoch}
        if isinstance(run, TextRun) and run.config.text != self.spec.options["text"]:
            out["config"] = {"source": run.config.text}
            if run.config.text == "user":
                out["config"]["text"] = run.config.user
        out["ask"] = dict(self.asked)
        if self.generated and self.generated_at == (run.generation, run.snapshot.epoch):
            out["generate"] = dict(self.generated)
        return out


def _prediction(run: TextRun, asked: dict[str, Any], p: Any) -> dict[str, Any]:
    best = int(p.argmax())
    return {
        "prefix": asked["prefix"],
        "temperature": asked["temperature"],
        "next": run.chars[best],
        "p": float(p[best]),
    }


handler = acked(SCHEMAS, area="task")


def _engine_error(field: str) -> Callable[[ValueError], PayloadError]:
    return lambda error: PayloadError("bad_value", str(error), field)


def _part(name: str, value: Any, schema: dict[str, Field]) -> dict[str, Any]:
    """A link's nested part checked against its schema; errors name the part."""
    try:
        return validate(value, schema)
    except PayloadError as error:
        field = f"{name}.{error.field}" if error.field else name
        raise PayloadError(error.code, f"{name}: {error.message}", field) from None


def _check_text_source(source: str, text: str, field: str = "text") -> None:
    if source == "user" and not text.strip():
        raise PayloadError("missing_field", "write a text to train on", field)
    if source != "user" and text:
        raise PayloadError("bad_value", "text is only read with source user", field)


def _prefix(run: TextRun, prefix: str, field: str = "prefix") -> str:
    try:
        return run.check_prefix(prefix)
    except ValueError as error:
        raise _engine_error(field)(error) from None


class TaskNamespace(LearnerNamespace):
    def __init__(self, namespace: str, max_training: int = MAX_TRAINING) -> None:
        super().__init__(namespace)
        self.trainers = threading.BoundedSemaphore(max_training)

    # -- connection --------------------------------------------------------------------------
    def _session(self, task_id: str) -> TaskSession:
        session = self.sessions.get(request.sid, {}).get(task_id)  # type: ignore[attr-defined]
        if session is None:
            raise PayloadError("no_task", f"task {task_id!r} is not open; send open first", "task")
        return session

    # -- events ------------------------------------------------------------------------------
    def _task(self, task_id: str, event: str) -> TaskSession:
        """This connection's open task, if it is of the kind ``event`` is for."""
        session = self._session(task_id)
        kind = KINDS.get(event)
        if kind is not None and session.spec.kind != kind:
            raise PayloadError(
                "wrong_kind",
                f"{event} is for {kind} tasks; this is a {session.spec.kind} task",
                "task",
            )
        return session

    @handler("open")
    def on_open(self, data: dict[str, Any]) -> dict[str, Any]:
        lesson = current_app.extensions["lessons"].get(data["lesson"])
        if lesson is None:
            raise PayloadError("not_found", f"no lesson {data['lesson']!r}", "lesson")
        spec = lesson.tasks.get(data["task"]) if ID.fullmatch(data["task"]) else None
        if spec is None:
            raise PayloadError("not_found", f"lesson has no task {data['task']!r}", "task")
        sid = request.sid  # type: ignore[attr-defined]
        per_connection = current_app.config.get("MAX_TASKS_PER_CONNECTION", MAX_PER_CONNECTION)
        total = current_app.config.get("MAX_TASKS", MAX_TOTAL)
        if data["seed"] is not None:
            spec = replace(spec, seed=data["seed"])
        session = TaskSession(spec, lesson.id, self.learners.get(sid))  # cheap: NumPy weights
        with self.registry_lock:
            mine = self.sessions.setdefault(sid, {})
            if spec.id not in mine and (
                len(mine) >= per_connection
                or sum(len(open_) for open_ in self.sessions.values()) >= total
            ):
                raise PayloadError("too_many_tasks", "too many tasks are open; close a tab")
        linked = self._follow_link(session, data)  # a bad link: refused before registering
        with self.registry_lock:
            self.sessions.setdefault(sid, {})[spec.id] = session  # opening again starts afresh
        extra: dict[str, Any] = {"title": spec.title, "options": spec.options} | linked
        if isinstance(session.run, TextRun):
            extra["text"] = self._text_info(session.run)
        if isinstance(session.run, TranslationRun):
            extra["examples"] = examples()
        return session.payload() | extra | {"figures": views_task.figures(spec.kind)}

    def _follow_link(self, session: TaskSession, data: dict[str, Any]) -> dict[str, Any]:
        """Bring a fresh session to a shared link's state: its text, its question, its
        epochs (replayed from the seed), then its generation. Everything is checked
        before the training starts; returns the generated text, if the link has one."""
        run, kind = session.run, session.spec.kind
        for name in ("config", "generate"):
            if data[name] is not None and not isinstance(run, TextRun):
                raise PayloadError("bad_value", f"{name} is for text tasks", name)
        if data["config"] is not None:
            assert isinstance(run, TextRun)
            config = _part("config", data["config"], LINK_CONFIG)
            _check_text_source(config["source"], config["text"], "config.text")
            try:
                run.use_text(config["source"], config["text"])
            except ValueError as error:
                raise _engine_error("config.text")(error) from None
            session.asked = session._first_question()
        if data["ask"] is not None:
            asked = _part("ask", data["ask"], LINK_ASK[kind])
            if isinstance(run, TextRun):
                asked["prefix"] = _prefix(run, asked["prefix"], "ask.prefix")
            session.asked = asked
            try:
                session.answer()  # a sentence or date the network cannot read fails here
            except ValueError as error:
                raise _engine_error(f"ask.{next(iter(asked))}")(error) from None
        generate = None
        if data["generate"] is not None:
            assert isinstance(run, TextRun)
            generate = _part("generate", data["generate"], LINK_GENERATE)
            generate["prefix"] = _prefix(run, generate["prefix"], "generate.prefix")
        if data["epochs"]:
            if not self.trainers.acquire(timeout=QUEUE_SECONDS):
                raise PayloadError("busy", "the server is training other networks; try again")
            try:
                self._train(session, data["epochs"])
            finally:
                self.trainers.release()
        if generate is None:
            return {}
        return {"generated": session.generate(generate), "seed": generate["seed"]}

    @staticmethod
    def _text_info(run: TextRun) -> dict[str, Any]:
        shown = run.shown_text
        return {
            "source": run.config.text,
            "shown": shown[:SHOWN_TEXT],
            "length": len(shown),
            "chars": run.chars,
        }

    @handler("train")
    def on_train(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._task(data["task"], "train")
        if not session.lock.acquire(blocking=False):
            raise PayloadError("busy", "this network is already training", "task")
        try:
            if not self.trainers.acquire(timeout=QUEUE_SECONDS):
                raise PayloadError("busy", "the server is training other networks; try again")
            try:
                self._train(session, data["epochs"])
            finally:
                self.trainers.release()
        finally:
            session.lock.release()
        if not session.touched and session.learner is not None:
            session.touched = True
            progress.record(session.learner, session.lesson_id, "lab", session.spec.id)
        return session.payload()

    def _train(self, session: TaskSession, epochs: int) -> None:
        run, sid = session.run, request.sid  # type: ignore[attr-defined]
        generation = run.generation
        for k in range(epochs):
            snapshot = run.train_epoch(generation)
            if snapshot is None:  # reset meanwhile
                return
            loss, accuracy = snapshot.history[-1]
            report = {"task": session.spec.id, "epoch": snapshot.epoch, "step": k + 1, "of": epochs}
            self.emit(
                "progress", wire.clean(report | {"loss": loss, "accuracy": accuracy}), room=sid
            )
        score = run.evaluate()
        if generation == run.generation:
            run.score = score

    @handler("reset")
    def on_reset(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._task(data["task"], "reset")
        session.run.reset()  # a training in progress stops after its current epoch
        return session.payload()

    @handler("predict")
    def on_predict(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._task(data["task"], "predict")
        run = session.run
        assert isinstance(run, TextRun)
        prefix = _prefix(run, data["prefix"])
        session.asked = {"prefix": prefix, "temperature": data["temperature"]}
        return session.payload()

    @handler("generate")
    def on_generate(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._task(data["task"], "generate")
        run = session.run
        assert isinstance(run, TextRun)
        prefix = _prefix(run, data["prefix"])
        seed = data["seed"]
        if seed is None:
            session.draws += 1
            seed = session.draws
        generated = session.generate(data | {"prefix": prefix, "seed": seed})
        session.asked = {"prefix": prefix, "temperature": data["temperature"]}
        return session.payload() | {"generated": generated, "seed": seed}

    @handler("set_text")
    def on_set_text(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._task(data["task"], "set_text")
        run = session.run
        assert isinstance(run, TextRun)
        _check_text_source(data["source"], data["text"])
        if not session.lock.acquire(blocking=False):
            raise PayloadError("busy", "wait until the training has finished", "task")
        try:
            try:
                run.use_text(data["source"], data["text"])
            except ValueError as error:
                raise _engine_error("text")(error) from None
            session.asked = session._first_question()
        finally:
            session.lock.release()
        return session.payload() | {"text": self._text_info(run)}

    @handler("analyse")
    def on_analyse(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._task(data["task"], "analyse")
        asked = session.asked
        session.asked = {"sentence": data["sentence"]}
        try:
            return session.payload()
        except ValueError as error:
            session.asked = asked
            raise _engine_error("sentence")(error) from None

    @handler("translate")
    def on_translate(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._task(data["task"], "translate")
        asked = session.asked
        session.asked = {"text": data["text"]}
        try:
            return session.payload()
        except ValueError as error:
            session.asked = asked
            raise _engine_error("text")(error) from None


def warm_up_tasks(app: Flask) -> None:
    """Compile every lesson task's programs (train, evaluate, the questions) and build
    its figures, so the first learner's clicks answer at once."""
    seen = set()
    for lesson in app.extensions["lessons"].lessons.values():
        for spec in lesson.tasks.values():
            key = (spec.kind, spec.settings)
            if key in seen:
                continue
            seen.add(key)
            try:
                session = TaskSession(spec, lesson.id, None)
                session.run.train_epoch(session.run.generation)
                session.run.evaluate()
                session.payload()
                if isinstance(session.run, TextRun):
                    session.run.generate(session.asked["prefix"], 200, 1.0, 0)
                views_task.figures(spec.kind)
            except Exception:  # a warm-up failure must never stop the server
                log.exception("warm-up of task %s/%s failed", lesson.slug, spec.id)
