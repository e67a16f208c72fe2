"""Live classroom sessions: one shared lab driven by the presenter, followed by
every student's view (the ``/live`` Socket.IO namespace).

- ``state``: the authoritative state of a session and the actions that change it;
- ``store``: where that state lives so every server process sees it (memory for one
  process, Redis for several);
- ``namespace``: the socket events, with roles decided on the server.
"""
