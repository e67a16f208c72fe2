"""With several processes (Redis as the message queue), a playing lab's frames go
straight to the learner's own connection: not out through Redis and back, a round
trip and a pickle per frame that cost a room behind nginx a third of its frames."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import redis
import websocket
from servers import CourseServer, RedisServer, signed_cookie

SECRET = "lab-frames-local-secret-of-32-characters"
LAB = {"lesson": "lstm-cell", "lab": "cell-walk"}


class Raw:
    """A learner's /lab socket spoken by hand: acks by id, frames counted."""

    def __init__(self, url: str) -> None:
        cookie = signed_cookie(SECRET, {"learner": "frames-local"})
        self.ws = websocket.create_connection(
            url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
            header=[f"Cookie: session={cookie}"],
            timeout=120,
        )
        assert self.ws.recv().startswith("0")
        self.ws.send("40/lab,")
        assert self.ws.recv().startswith("40/lab,")
        self.frames = 0

    def ask(self, n: int, event: str, payload: dict[str, object]) -> dict[str, object]:
        self.ws.send(f"42/lab,{n}" + json.dumps([event, payload]))
        while True:
            message = self.ws.recv()
            if message == "2":
                self.ws.send("3")
            elif message.startswith('42/lab,["frame"'):
                self.frames += 1
            elif message.startswith(f"43/lab,{n}"):
                reply: dict[str, object] = json.loads(message[len(f"43/lab,{n}") :])[0]
                return reply

    def frames_until(self, count: int) -> None:
        while self.frames < count:
            message = self.ws.recv()
            if message == "2":
                self.ws.send("3")
            self.frames += message.startswith('42/lab,["frame"')


def test_a_playing_lab_sends_its_frames_past_the_message_queue(tmp_path: Path) -> None:
    queue = RedisServer(tmp_path)
    published: list[bytes] = []
    listening = redis.Redis.from_url(queue.url).pubsub()
    listening.subscribe("flask-socketio")  # Flask-SocketIO's channel
    stop = threading.Event()

    def listen() -> None:
        while not stop.is_set():
            message = listening.get_message(timeout=0.2)
            if message and message["type"] == "message":
                published.append(message["data"])

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    env = {
        "UNROLLED_SECRET_KEY": SECRET,
        "UNROLLED_DATABASE_URL": f"sqlite:///{tmp_path / 'unrolled.sqlite3'}",
        "REDIS_URL": queue.url,
    }
    server = CourseServer(env, tmp_path / "server.log")
    try:
        learner = Raw(server.url)
        assert learner.ask(1, "open", LAB)["ok"]
        assert learner.ask(2, "play", {"lab": "cell-walk", "speed": 8})["ok"]
        learner.frames_until(10)
        learner.ws.close()
    finally:
        server.stop()
        stop.set()
        listener.join()
        queue.stop()
    assert not [m for m in published if b"frame" in m]
