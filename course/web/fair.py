"""Fair shares: what one learner, and one client address, may hold at once.

The server-wide caps (open labs, tasks, playgrounds; trainers) keep the server alive;
the caps here, below them, keep one client from taking what everyone else needs. A
learner is the signed cookie's id (``web.identity``), cheap to renew, so every cap is
also counted per client address: the connection's address after the proxies the app
trusts (``PROXIES``, the same hops ``ProxyFix`` trusts for HTTP). A classroom behind
one NAT shares an address, so the per-address caps are generous (configurable).

``FairGate`` hands out a scarce resource (a trainer): at most ``per_learner`` claims
per learner (more is refused at once, ``too_many_trainings``), at most ``per_address``
held per address and ``total`` in all (more waits, first come first served among the
waiters that fit); a long job takes it a slice at a time, so others get their turns.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import current_app, request

from course.web.validation import PayloadError

# Config keys and their defaults (app.config overrides; UNROLLED_… in the environment).
DEFAULTS = {
    "MAX_LABS_PER_LEARNER": 8,
    # Half the server's caps: a class of 30 behind one NAT on a lesson with 3 labs fits,
    # and one address leaves the other half to everyone else.
    "MAX_LABS_PER_ADDRESS": 100,
    "MAX_TASKS_PER_LEARNER": 12,
    "MAX_TASKS_PER_ADDRESS": 150,
    "MAX_PLAYGROUNDS_PER_LEARNER": 16,
    "MAX_PLAYGROUNDS_PER_ADDRESS": 1000,
    "MAX_CONNECTIONS_PER_LEARNER": 8,  # per namespace: tabs of one learner
    "MAX_CONNECTIONS_PER_ADDRESS": 120,  # per namespace: a classroom behind one NAT
    "MAX_TRAINING_PER_LEARNER": 1,  # trainings at once (a lab's or a task's)
    "MAX_TRAINING_PER_ADDRESS": 4,
}


def setting(name: str) -> int:
    """A fair-share cap from the app config (``DEFAULTS`` when unset)."""
    return int(current_app.config.get(name, DEFAULTS[name]))


def client_address() -> str:
    """The address of the client behind this request or socket, after the ``PROXIES``
    hops the app trusts. HTTP requests come through ``ProxyFix`` already; Socket.IO
    connections do not (the Socket.IO middleware wraps the app outside it), so their
    ``X-Forwarded-For`` is read here the way ``ProxyFix`` reads it."""
    return address_of(request.environ, int(current_app.config.get("PROXIES", 0) or 0))


def address_of(environ: dict[str, Any], proxies: int) -> str:
    """The client's address in a WSGI ``environ``, after ``proxies`` trusted hops."""
    if proxies and "werkzeug.proxy_fix.orig" not in environ:
        hops = [a.strip() for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [a for a in hops if a]
        if len(hops) >= proxies:
            return hops[-proxies]
    return str(environ.get("REMOTE_ADDR") or "unknown")


@dataclass(frozen=True)
class Holder:
    """Who holds something: a learner (None before their first page) and an address."""

    learner: str | None
    address: str


def holder(learner: str | None) -> Holder:
    return Holder(learner, client_address())


def refuse_past(
    what: str, plural: str, held: Holder, holders: list[Holder], prefix: str = "MAX"
) -> None:
    """PayloadError ``too_many_<plural>`` if ``held`` already holds its learner's or its
    address's share of ``what`` among ``holders`` (one entry per thing held), naming the
    limit it reached."""
    key = f"{prefix}_{what.upper()}"
    if held.learner is not None:
        limit = setting(f"{key}_PER_LEARNER")
        if sum(1 for h in holders if h.learner == held.learner) >= limit:
            raise PayloadError(
                f"too_many_{plural}",
                f"you already have {limit} {plural} open, the most one learner may; "
                "close one first",
            )
    limit = setting(f"{key}_PER_ADDRESS")
    if sum(1 for h in holders if h.address == held.address) >= limit:
        raise PayloadError(
            f"too_many_{plural}",
            f"{limit} {plural} are open from your network address, the most one address "
            "may; close one first",
        )


class FairGate:
    """A counting gate with per-learner and per-address shares (see the module doc).
    Thread-safe; ``slot`` is the way in."""

    def __init__(self, total: int, per_learner: int, per_address: int) -> None:
        self.total, self.per_learner, self.per_address = total, per_learner, per_address
        self.cond = threading.Condition()
        self.held = 0
        self.claims: Counter[str] = Counter()  # learner → held or waiting
        self.by_address: Counter[str] = Counter()  # address → held
        self.queue: deque[object] = deque()  # waiting tickets, oldest first
        self.waiting: dict[object, Holder] = {}

    def _fits(self, who: Holder) -> bool:
        return self.held < self.total and self.by_address[who.address] < self.per_address

    def claim(self, who: Holder) -> None:
        """Count a learner's claim (a job that will take slots); refused past their share."""
        with self.cond:
            if who.learner is not None and self.claims[who.learner] >= self.per_learner:
                raise PayloadError(
                    "too_many_trainings",
                    f"you are already training {self.per_learner} network"
                    f"{'s' if self.per_learner != 1 else ''}, the most one learner may at "
                    "once; wait for it to finish",
                )
            if who.learner is not None:
                self.claims[who.learner] += 1

    def unclaim(self, who: Holder) -> None:
        with self.cond:
            if who.learner is not None:
                self.claims[who.learner] -= 1
                if self.claims[who.learner] <= 0:
                    del self.claims[who.learner]

    def acquire(self, who: Holder, timeout: float | None) -> str | None:
        """Take a slot, waiting up to ``timeout`` (None: as long as it takes) behind the
        waiters before it: None once taken, else which limit kept it out ("address" or
        "total")."""
        deadline = None if timeout is None else time.monotonic() + timeout
        ticket = object()
        with self.cond:
            self.queue.append(ticket)
            self.waiting[ticket] = who
            try:
                while True:
                    first = next((t for t in self.queue if self._fits(self.waiting[t])), None)
                    if first is ticket:
                        self.held += 1
                        self.by_address[who.address] += 1
                        return None
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        full = self.by_address[who.address] >= self.per_address
                        return "address" if full else "total"
                    self.cond.wait(remaining)
            finally:
                self.queue.remove(ticket)
                del self.waiting[ticket]
                self.cond.notify_all()

    def release(self, who: Holder) -> None:
        with self.cond:
            self.held -= 1
            self.by_address[who.address] -= 1
            if self.by_address[who.address] <= 0:
                del self.by_address[who.address]
            self.cond.notify_all()

    @contextmanager
    def slot(self, who: Holder, timeout: float | None, busy: str) -> Iterator[None]:
        """Hold a slot for the block; PayloadError if none comes within ``timeout``
        (``busy``: what to tell the learner when the whole server is busy)."""
        kept_out = self.acquire(who, timeout)
        if kept_out == "address":
            raise PayloadError(
                "too_many_trainings",
                f"{self.per_address} networks are training from your network address, the "
                "most one address may at once; try again when one has finished",
            )
        if kept_out is not None:
            raise PayloadError("busy", busy)
        try:
            yield
        finally:
            self.release(who)

    @contextmanager
    def claimed(self, who: Holder) -> Iterator[None]:
        """A learner's job for the block (refused past their share)."""
        self.claim(who)
        try:
            yield
        finally:
            self.unclaim(who)
