"""Playing a live session: the presenter's process advances the shared lab on a fixed
cadence, each advance a change like any other (seq, store, broadcast), until paused,
reset, ended or diverged. A mixin of ``LiveNamespace``, which holds ``players`` and
``guard`` and makes the changes (``change``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import current_app

from course.lab.pacing import Player
from course.lab.spec import ticks
from course.live.state import LiveState

log = logging.getLogger(__name__)


class Playing:
    players: dict[str, threading.Event]  # code → stop flag of its play loop
    guard: threading.Lock
    socketio: Any
    change: Callable[..., dict[str, Any]]
    state: Callable[[str], LiveState]

    def _start_play(self, code: str, args: dict[str, Any]) -> None:
        self._stop_play(code)
        stop = threading.Event()
        with self.guard:
            self.players[code] = stop
        granularity = args.get("granularity") or "compute"
        window = self.state(code).lab.config.train.window
        player = Player(granularity, float(args.get("speed") or 1.0), window)
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        self.socketio.start_background_task(self._play, app, code, stop, player)

    def _stop_play(self, code: str) -> None:
        with self.guard:
            stop = self.players.pop(code, None)
        if stop is not None:
            stop.set()

    def _play(self, app: Any, code: str, stop: threading.Event, player: Player) -> None:
        with app.app_context():
            try:
                for _ in ticks(player.interval, stop, at_once=False):

                    def advance(s: LiveState) -> None:
                        player.advance(s.lab)
                        if s.lab.status == "diverged":
                            s.playing = False
                            stop.set()

                    self.change(code, advance, full=player.granularity == "epoch")
            except Exception:
                log.exception("playing live session %s failed", code)
                stop.set()
