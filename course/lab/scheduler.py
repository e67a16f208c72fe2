"""Who gets the cores: a learner's click before anyone's training, and training shared
fairly between learners, a short slice (one epoch) at a time.

A room of 30 learners on a 2-core server is the case this is for: when ten of them
train non-stop and each training ran to its end on its own thread, the other twenty
learners' steps and frames waited behind ten XLA programs fighting for two cores
(a step's round trip p99 went to 0.6 s). Here:

- training runs in **slices** (``slice``): at most ``slots`` at once (by default one
  fewer than the cores, so one core is left for the learners' clicks and frames);
- a slice does not start while an **interactive** event (a step, a jump, a
  configure: ``interactive``) is being handled, unless it has already waited
  ``patience`` seconds (so training is slowed by clicks, never stopped by them);
- the next slice goes to the waiting learner who has trained **least** lately (their
  slices' seconds, counted from the least of those waiting when they start to wait,
  so a learner who was idle does not come back with credit to hog the slots);
- a ``train`` request has a **budget** of seconds of slices (``train``), after which
  it stops and says so, and stops at its next slice when its learner has gone. Its
  first slice is not counted: it may compile the lab's programs, which the compile
  budget bounds (``course.lab.budget``), and one epoch is always trained.

With several server processes on one machine (docs/deployment.md), each process's
slots would add up to more than the cores: given a ``shared`` directory, a slice also
holds one of ``slots`` lock files there (``flock``), so the slots are the machine's.

The engine knows none of this: a slice is one call of ``Lab.train(1)``.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def default_slots() -> int:
    """Concurrent training slices: every core but one (one at least)."""
    return max(1, (os.cpu_count() or 1) - 1)


@dataclass(frozen=True)
class Trained:
    """What a sliced training did: epochs trained, and why it stopped early (or None)."""

    epochs: int
    stopped: str | None  # "budget" (its seconds ran out) | "gone" (its learner left) | None


class Scheduler:
    """The slots for training slices, handed out fairly, interactive events first."""

    def __init__(
        self, slots: int | None = None, *, patience: float = 0.05, shared: Path | None = None
    ) -> None:
        self.slots = slots or default_slots()
        self.shared = shared  # lock files that make the slots the machine's (see above)
        if shared is not None:
            shared.mkdir(parents=True, exist_ok=True)
        self.patience = patience  # how long a slice gives way to interactive events
        self._cond = threading.Condition()
        self._interactive = 0  # interactive events being handled
        self._running = 0  # slices holding a slot
        self._waiting: dict[int, str] = {}  # ticket → its learner
        self._used: dict[str, float] = {}  # learner → seconds of slices, while active
        self._active: dict[str, int] = {}  # learner → their tickets waiting or running
        self._tickets = itertools.count()

    @contextmanager
    def interactive(self) -> Iterator[None]:
        """Handle a learner's click: no new training slice starts meanwhile."""
        with self._cond:
            self._interactive += 1
        try:
            yield
        finally:
            with self._cond:
                self._interactive -= 1
                if not self._interactive and self._waiting:
                    self._cond.notify_all()

    @contextmanager
    def slice(self, learner: str) -> Iterator[None]:
        """Hold a training slot for one slice of ``learner``'s training, once it is
        their turn."""
        with self._cond:
            ticket = next(self._tickets)
            if not self._active.get(learner):  # starts from the least used of the others
                floor = min((self._used[a] for a in self._active), default=0.0)
                self._used[learner] = max(self._used.get(learner, 0.0), floor)
            self._active[learner] = self._active.get(learner, 0) + 1
            self._waiting[ticket] = learner
            arrived = time.monotonic()
            while not self._may_start(ticket, arrived):
                self._cond.wait(self._wait_for(arrived))
            del self._waiting[ticket]
            self._running += 1
        held = self._machine_slot() if self.shared is not None else None
        started = time.monotonic()
        try:
            yield
        finally:
            if held is not None:
                os.close(held)  # releases the lock
            with self._cond:
                self._running -= 1
                self._used[learner] += time.monotonic() - started
                self._active[learner] -= 1
                if not self._active[learner]:
                    del self._active[learner]
                    if not self._active:  # nobody training: nobody owes anybody
                        self._used.clear()
                self._cond.notify_all()

    def _machine_slot(self) -> int:
        """One of the machine's slots (an open, locked file), waiting for one if every
        slot is taken by this or another process."""
        assert self.shared is not None
        paths = [self.shared / f"training-slot-{k}.lock" for k in range(self.slots)]
        for path in paths:
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                os.close(fd)
        fd = os.open(paths[os.getpid() % len(paths)], os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)  # blocks without the GIL
        return fd

    def _may_start(self, ticket: int, arrived: float) -> bool:
        if self._running >= self.slots:
            return False
        if self._interactive and time.monotonic() - arrived < self.patience:
            return False
        first = min(self._waiting, key=lambda t: (self._used[self._waiting[t]], t))
        return first == ticket

    def _wait_for(self, arrived: float) -> float | None:
        """How long to sleep before looking again (None: until notified)."""
        if self._interactive:
            return max(0.001, arrived + self.patience - time.monotonic())
        return None

    def train(
        self,
        learner: str,
        epochs: int,
        one: Callable[[], object],
        *,
        budget: float | None,
        gone: threading.Event,
    ) -> Trained:
        """Train up to ``epochs`` epochs, calling ``one()`` for each in its own slice,
        until done, out of ``budget`` seconds of slices, or ``gone`` is set."""
        spent = 0.0
        for done in range(epochs):
            if gone.is_set():
                return Trained(done, "gone")
            if budget is not None and spent >= budget:
                return Trained(done, "budget")
            with self.slice(learner):
                started = time.monotonic()
                one()
                if done:  # the first may compile: see the module's note
                    spent += time.monotonic() - started
        return Trained(epochs, None)
