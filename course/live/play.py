"""Playing a live session: the presenter's process advances the shared lab on a fixed
cadence, each advance a change like any other (seq, store, broadcast), until paused,
reset, ended or diverged. A mixin of ``LiveNamespace``, which holds ``players`` and
``guard`` and makes the changes (``change``).

Play belongs to a living process: the state names its ``player`` (this process's id)
and the loop renews a short lease in the store every tick. A loop stops as soon as
the state says it is no longer the player (paused from another process, stopped), and
a session whose player's lease lapsed (its process was killed) is stopped, with a
message saying so, by the next process that hears from a page (``_check_player``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import current_app

from course.lab.pacing import Player
from course.lab.spec import ticks
from course.live.state import LiveState
from course.live.store import LiveStore
from course.web.validation import PayloadError

log = logging.getLogger(__name__)

ORPHANED = "Playing stopped: the server that played it went away. Press Play to go on."
# Refusals a tick waits out (Redis restarting, a change in progress) instead of stopping.
PASSING = ("unavailable", "busy", "conflict")


class Playing:
    players: dict[str, threading.Event]  # code → stop flag of its play loop
    guard: threading.Lock
    socketio: Any
    process: str  # this process's id, as the state's ``player``
    change: Callable[..., dict[str, Any] | None]
    state: Callable[[str], LiveState]

    @property
    def store(self) -> LiveStore:  # the namespace's: the app's store
        raise NotImplementedError

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
        def advance(s: LiveState) -> bool:
            if not s.playing or s.player != self.process or s.ended:
                stop.set()  # paused, or taken over, elsewhere
                return False
            player.advance(s.lab)
            if s.lab.status == "diverged":
                s.playing, s.player = False, ""
                stop.set()
            return True

        with app.app_context():
            try:
                for _ in ticks(player.interval, stop, at_once=False):
                    try:
                        self.store.hold_player(code, self.process)
                        self.change(code, advance, full=player.granularity == "epoch")
                    except PayloadError as error:
                        if error.code not in PASSING:
                            raise
            except Exception:
                log.exception("playing live session %s failed", code)
                stop.set()
            finally:
                with self.guard:
                    if self.players.get(code) is stop:
                        del self.players[code]
                with contextlib.suppress(PayloadError):  # Redis is down: it lapses by itself
                    self.store.release_player(code, self.process)

    def _check_player(self, code: str, state: LiveState) -> None:
        """Stop a session whose play loop died with its process, saying so."""
        if not state.playing or state.ended:
            return
        if state.player == self.process and code in self.players:
            return
        if self.store.player_alive(code, state.player):
            return

        def orphaned(s: LiveState) -> bool:
            if not s.playing or self.store.player_alive(code, s.player):
                return False  # someone else stopped it, or it came back
            s.playing, s.player, s.message = False, "", ORPHANED
            return True

        log.warning("live session %s: its player %s is gone; stopped", code, state.player)
        self.change(code, orphaned)
