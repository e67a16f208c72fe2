"""Extensions, created unbound and bound in ``create_app``."""

from flask_socketio import SocketIO

from course.web.wire import PlainPacket

# Threading, never eventlet/gevent: JAX work on their event loop froze every socket.
socketio = SocketIO(async_mode="threading", serializer=PlainPacket)
