"""The compile budget: how many *new* compiled programs labs may cost, per learner and
for the whole server, in any window of time.

A lab whose shape (cell, layers, units, window bucket, continuation bucket, batch
size, optimiser) this process has never compiled costs up to four new XLA programs
(its window run, backward pass, weight update and training epoch: seconds of CPU
and megabytes each, see ``engine.programs``). Opening, configuring or loading such a
lab first charges those programs here; over budget, the action is refused with
``too_many_compilations`` (this learner) or ``busy`` (the server), and nothing
changes. Programs compiled before (by the warm-up or anyone) cost nothing, so the
lessons' own settings never count. Compilations are per process, so the budget is
counted in this process's memory, Redis or not.

Settings: ``LAB_COMPILE_RATE`` ("12/60": twelve new programs per learner in any 60 s),
``LAB_COMPILE_RATE_SERVER`` ("40/60"), ``MAX_COMPILED_PROGRAMS`` (24 kept in memory),
``COMPILE_WORKER`` (true: new programs are compiled in a worker process at a lower
CPU priority and loaded here, ``engine.compile_worker``, so a compiling learner does
not hold the interpreter lock that every other learner's click needs; measured during
a compile storm, a bystander's step p99 fell from 144 to 23 ms. The worker starts with
the first program after the warm-up and stops when idle).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask

from course.web.ratelimit import parse_spec
from course.web.validation import PayloadError
from engine import LabConfig
from engine.compile_worker import CompileWorker
from engine.programs import MAX_PROGRAMS, PROGRAMS, ProgramKey
from engine.window import window_programs

DEFAULTS: dict[str, Any] = {
    "LAB_COMPILE_RATE": "12/60",
    "LAB_COMPILE_RATE_SERVER": "40/60",
    "MAX_COMPILED_PROGRAMS": MAX_PROGRAMS,
    "COMPILE_WORKER": True,
}
SERVER = object()  # the key of the server-wide count


class CompileBudget:
    """Sliding windows of program counts: per key (a learner) and server-wide."""

    def __init__(
        self,
        per_learner: tuple[int, float],
        server: tuple[int, float],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for limit, window in (per_learner, server):
            if limit < 0 or window <= 0:
                raise ValueError("a compile budget needs a limit >= 0 and a window > 0")
        self.per_learner, self.server, self.clock = per_learner, server, clock
        self._spent: dict[Hashable, deque[tuple[float, int]]] = {}
        self._lock = threading.Lock()

    def charge(self, who: Hashable, programs: int, *, dry: bool = False) -> None:
        """Count ``programs`` new programs for ``who`` (and the server); PayloadError,
        counting nothing, if either budget would be exceeded. ``dry``: check only."""
        if programs <= 0:
            return
        with self._lock:
            now = self.clock()
            for key, (limit, window) in ((who, self.per_learner), (SERVER, self.server)):
                spent = self._window(key, now, window)
                used = sum(n for _, n in spent)
                if used + programs > limit:
                    raise self._refusal(key is SERVER, limit, window, spent, now)
            if not dry:
                for key in (who, SERVER):
                    self._spent[key].append((now, programs))
            self._sweep(now)

    def _window(self, key: Hashable, now: float, window: float) -> deque[tuple[float, int]]:
        spent = self._spent.setdefault(key, deque())
        while spent and spent[0][0] <= now - window:
            spent.popleft()
        return spent

    def _sweep(self, now: float) -> None:
        """Forget learners with nothing in their window: memory follows active ones."""
        window = max(self.per_learner[1], self.server[1])
        stale = [k for k, spent in self._spent.items() if not spent or spent[-1][0] <= now - window]
        for key in stale:
            del self._spent[key]

    @staticmethod
    def _refusal(
        server: bool, limit: int, window: float, spent: deque[tuple[float, int]], now: float
    ) -> PayloadError:
        wait = math.ceil(spent[0][0] + window - now) if spent else math.ceil(window)
        per = f"{limit} new network programs every {window:g} s"
        if server:
            return PayloadError(
                "busy",
                f"The server is compiling many new networks right now (at most {per}): "
                f"try these settings again in {wait} s. Settings already in use open at once.",
                "config",
            )
        return PayloadError(
            "too_many_compilations",
            f"Each learner may make the server compile {per}, and these settings need new "
            f"ones: try again in {wait} s, or choose settings you have used before.",
            "config",
        )


BUDGET = CompileBudget((12, 60.0), (40, 60.0))  # init_app sets it from the app's settings
# Programs charged to someone but maybe not compiled yet (a lab compiles its backward
# pass and epoch when first used): paid for once, whoever compiles them.
_granted: set[ProgramKey] = set()
_granted_lock = threading.Lock()


def admit(config: LabConfig, who: Hashable, *, dry: bool = False) -> None:
    """Charge the programs a lab of ``config`` would compile anew to ``who``;
    PayloadError (nothing charged, nothing changed) over budget. A lesson's own lab
    settings are not charged: callers skip them (the warm-up compiles them)."""
    with _granted_lock:
        new = [k for k in PROGRAMS.missing(window_programs(config)) if k not in _granted]
        BUDGET.charge(who, len(new), dry=dry)
        if not dry:
            _granted.update(new)


def init_app(app: Flask) -> None:
    """The budget and the program cache's bound from the app's settings."""
    global BUDGET
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    BUDGET = CompileBudget(
        parse_spec(app.config["LAB_COMPILE_RATE"]),
        parse_spec(app.config["LAB_COMPILE_RATE_SERVER"]),
    )
    PROGRAMS.resize(int(app.config["MAX_COMPILED_PROGRAMS"]))
    # One worker per process, whichever app asks first (tests build many apps).
    if app.config["COMPILE_WORKER"] and PROGRAMS.worker is None:
        PROGRAMS.use_worker(CompileWorker())
