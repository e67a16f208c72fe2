"""One learner's open ``/task`` task: its run, the question last asked, and the reply
every event sends back (state, views, the shared link)."""

from __future__ import annotations

import threading
from typing import Any

from course.tasks import links as task_links
from course.tasks import views as views_task
from course.tasks.runs import Run, SentimentRun, TextRun, TranslationRun, examples, make_run
from course.tasks.spec import TaskSpec

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
        self.lock = threading.Lock()
        self.asked: dict[str, Any] = self.first_question()  # re-asked after training
        self.draws = 0  # generate's default seeds: each click samples anew
        self.generated: dict[str, Any] | None = None  # the last generation, for the link
        self.generated_at: tuple[int, int] = (-1, -1)  # its (run generation, epoch)

    def first_question(self) -> dict[str, Any]:
        """The question a fresh network (or a new text) starts with."""
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
        link = task_links.link(self)
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
        self.generated = {k: settings[k] for k in task_links.GENERATE}
        self.generated_at = (run.generation, run.snapshot.epoch)
        return generated


def _prediction(run: TextRun, asked: dict[str, Any], p: Any) -> dict[str, Any]:
    best = int(p.argmax())
    return {
        "prefix": asked["prefix"],
        "temperature": asked["temperature"],
        "next": run.chars[best],
        "p": float(p[best]),
    }
