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
    walk      {task, move?, unit?}                    tasks with ``walk``: step the letter walk
                                                      (next, back, next_char, back_char, start,
                                                      end, stay) and choose the unit shown
  sentiment:
    analyse   {task, sentence ≤ 200 chars}            per-word hidden states, class
                                                      probabilities, embedding scatter
  translation:
    translate {task, text ≤ 40 chars}                 attention, context, decoder choices
  memory:
    set_length {task, length 4–32}                    three fresh networks (RNN, LSTM, GRU)
                                                      on sequences of that many letters

Training runs in the event's own handler thread (python-socketio runs each event in a
thread of its own), under a cap of concurrent trainings for the whole server, shared
fairly (``web.fair``): one training per learner, a few per address, and a trainer is
taken an epoch at a time, so a long training lets a short one through between its
epochs. It stops when its connection closes. Questions asked meanwhile read the latest
epoch's weights. A bad payload changes nothing.

The memory task trains three networks an epoch each in turn, every one a slice of the
server's training ``scheduler`` (the one the labs share: clicks first, the cores shared
fairly between learners), and pushes ``progress`` with the accuracy curves after each
round of three.

The payloads' schemas are in ``course.tasks.schemas``, one learner's task (its reply
and its shared link included) in ``course.tasks.session``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from typing import Any, Protocol

from course.tasks import letter, memory_view
from course.tasks import views as views_task
from course.tasks.runs import MemoryRun, TextRun, TranslationRun, examples
from course.tasks.schemas import (
    KINDS,
    SCHEMAS,
    check_text_source,
    checked_prefix,
    engine_error,
)
from course.tasks.session import TaskSession
from course.tasks.spec import ID
from course.web import wire
from course.web.sockets import LearnerNamespace, Limits, acked, sid
from course.web.validation import PayloadError
from engine.model import CELL_KINDS

log = logging.getLogger(__name__)

MAX_TRAINING = 2  # trainings at once on the server; the app config may set MAX_TASK_TRAINING
QUEUE_SECONDS = 30  # how long a train request waits for a free trainer before "busy"
BUSY = "the server is training other networks; try again"
SHOWN_TEXT = 600  # characters of the training text shown beside the widget

handler = acked(SCHEMAS, area="task", touching={"train"}, id_field="task")


class Slices(Protocol):
    """The training scheduler's side the tasks use (``course.lab.scheduler``, handed over
    by ``create_app``): one slice of a learner's training at a time, in their turn."""

    def slice(self, learner: str) -> AbstractContextManager[None]: ...


class Unsliced:
    """No scheduler: every slice starts at once (a namespace built on its own)."""

    def slice(self, learner: str) -> AbstractContextManager[None]:
        return nullcontext()


class TaskNamespace(LearnerNamespace):
    widget, plural = "task", "tasks"
    limits = Limits(("MAX_TASKS_PER_CONNECTION", 6), ("MAX_TASKS", 300))

    training_total = ("MAX_TASK_TRAINING", MAX_TRAINING)

    def __init__(self, namespace: str, lessons: Any, scheduler: Slices | None = None) -> None:
        super().__init__(namespace, lessons)
        self.scheduler: Slices = scheduler or Unsliced()

    def closed(self, session: TaskSession) -> None:
        session.gone = True  # its training stops after the current epoch

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
        lesson = self._lesson(data["lesson"])
        spec = lesson.tasks.get(data["task"]) if ID.fullmatch(data["task"]) else None
        if spec is None:
            raise PayloadError("not_found", f"lesson has no task {data['task']!r}", "task")
        if data["seed"] is not None:
            spec = replace(spec, seed=data["seed"])
        self._make_room(spec.id)
        session = TaskSession(spec, lesson.id, self.learner())  # cheap: NumPy weights
        # a bad link is refused before the session is registered
        linked = session.follow(data, self._train_when_free)
        self._register(spec.id, session)  # opening again starts afresh
        extra: dict[str, Any] = {"title": spec.title, "options": spec.options} | linked
        if isinstance(session.run, TextRun):
            extra["text"] = self._text_info(session.run)
        if isinstance(session.run, TranslationRun):
            extra["examples"] = examples()
        figures = views_task.figures(spec.kind)
        if session.walks:
            figures |= letter.figures(spec.options["cell"])
        return session.payload() | extra | {"figures": figures}

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
            self._train_when_free(session, data["epochs"])
        finally:
            session.lock.release()
        return session.payload()

    def _train_when_free(self, session: TaskSession, epochs: int) -> None:
        """Train an epoch at a time, each once one of the server's trainers is free for
        this learner (waiting ``QUEUE_SECONDS`` for the first)."""
        if isinstance(session.run, MemoryRun):
            # One training per learner, a few per address, MAX_TASK_TRAINING on the server,
            # and each network's epoch a slice of the scheduler's.
            with self.training(QUEUE_SECONDS, BUSY):
                self._train_memory(session, session.run, epochs)
            return
        with self.trainers.claimed(self.holder()):
            self._train(session, epochs)

    def _train_memory(self, session: TaskSession, run: MemoryRun, epochs: int) -> None:
        to = sid()
        learner = session.learner or to
        generation = run.generation
        for k in range(epochs):
            for cell in CELL_KINDS:
                if session.gone:  # the learner closed the page
                    return
                with self.scheduler.slice(learner):
                    trained = run.train_cell(cell, generation)
                if not trained:  # reset or a new length meanwhile
                    return
            run.finish_epoch(generation)
            state = run.state()
            last = {cell: state["cells"][cell]["accuracy"][-1] for cell in CELL_KINDS}
            report = {"task": session.spec.id, "epoch": state["epoch"], "step": k + 1}
            report |= {"of": epochs, "loss": None, "accuracy": None, "accuracies": last}
            report["sources"] = memory_view.memory_data(state)
            self.push("progress", wire.encoded(report), to=to)

    def _train(self, session: TaskSession, epochs: int) -> None:
        run, to, who = session.run, sid(), self.holder()
        generation = run.generation
        for k in range(epochs):
            if session.gone:  # the learner closed the page
                return
            # The first epoch may wait QUEUE_SECONDS; a training under way waits its turn.
            wait = QUEUE_SECONDS if k == 0 else None
            with self.trainers.slot(who, wait, BUSY):
                snapshot = run.train_epoch(generation)
            if snapshot is None:  # reset meanwhile
                return
            loss, accuracy = snapshot.history[-1]
            report = {"task": session.spec.id, "epoch": snapshot.epoch, "step": k + 1, "of": epochs}
            self.push(
                "progress", wire.encoded(report | {"loss": loss, "accuracy": accuracy}), to=to
            )
        with self.trainers.slot(who, None, BUSY):
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
        prefix = checked_prefix(run, data["prefix"])
        session.asked = {"prefix": prefix, "temperature": data["temperature"]}
        return session.payload()

    @handler("generate")
    def on_generate(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._task(data["task"], "generate")
        run = session.run
        assert isinstance(run, TextRun)
        prefix = checked_prefix(run, data["prefix"])
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
        check_text_source(data["source"], data["text"])
        if not session.lock.acquire(blocking=False):
            raise PayloadError("busy", "wait until the training has finished", "task")
        try:
            try:
                run.use_text(data["source"], data["text"])
            except ValueError as error:
                raise engine_error("text")(error) from None
            session.asked = session.first_question()
        finally:
            session.lock.release()
        return session.payload() | {"text": self._text_info(run)}

    @handler("walk")
    def on_walk(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._task(data["task"], "walk")
        if not session.walks:
            raise PayloadError("no_walk", "this task has no letter walk", "task")
        hidden = session.spec.options["hidden"]
        if data["unit"] is not None and data["unit"] >= hidden:
            raise PayloadError("out_of_range", f"unit must be at most {hidden - 1}", "unit")
        session.move_walk(data["move"], data["unit"])
        return session.payload()

    @handler("set_length")
    def on_set_length(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._task(data["task"], "set_length")
        run = session.run
        assert isinstance(run, MemoryRun)
        if not session.lock.acquire(blocking=False):
            raise PayloadError("busy", "wait until the training has finished", "task")
        try:
            run.use_length(data["length"])  # the schema held it to the engine's limits
            session.asked = session.first_question()
        finally:
            session.lock.release()
        return session.payload()

    @handler("analyse")
    def on_analyse(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._task(data["task"], "analyse")
        asked = session.asked
        session.asked = {"sentence": data["sentence"]}
        try:
            return session.payload()
        except ValueError as error:
            session.asked = asked
            raise engine_error("sentence")(error) from None

    @handler("translate")
    def on_translate(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._task(data["task"], "translate")
        asked = session.asked
        session.asked = {"text": data["text"]}
        try:
            return session.payload()
        except ValueError as error:
            session.asked = asked
            raise engine_error("text")(error) from None


def warm_up_tasks(lessons: Iterable[Any]) -> None:
    """Compile every lesson task's programs (train, evaluate, the questions) and build
    its figures, so the first learner's clicks answer at once."""
    seen = set()
    for lesson in lessons:
        for spec in lesson.tasks.values():
            key = (spec.kind, spec.settings)
            if key in seen:
                continue
            seen.add(key)
            try:
                session = TaskSession(spec, lesson.id, None)
                session.run.train_epoch(session.run.generation)  # memory: all three
                session.run.evaluate()
                session.payload()
                if isinstance(session.run, TextRun):
                    session.run.generate(session.asked["prefix"], 200, 1.0, 0)
                views_task.figures(spec.kind)
                if session.walks:
                    letter.figures(spec.options["cell"])
            except Exception:  # a warm-up failure must never stop the server
                log.exception("warm-up of task %s/%s failed", lesson.slug, spec.id)
