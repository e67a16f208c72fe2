"""The ``unrolled`` command: ``serve`` the course, ``check-lessons``."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path


def serve(args: argparse.Namespace) -> int:
    from course import create_app
    from course.extensions import socketio
    from course.warmup import warm_up

    app = create_app()
    if not args.no_warmup:
        threading.Thread(target=warm_up, args=(app,), daemon=True).start()
    print(f"Unrolled is running at http://{args.host}:{args.port}", flush=True)
    socketio.run(app, host=args.host, port=args.port, allow_unsafe_werkzeug=True)
    return 0


def check_lessons(args: argparse.Namespace) -> int:
    from course.blocks import LessonError
    from course.lessons import LessonRegistry

    try:
        registry = LessonRegistry.load(args.directory)
    except LessonError as error:
        print(f"lesson error: {error}", file=sys.stderr)
        return 1
    for lesson in registry.lessons.values():
        counts = f"{len(lesson.labs)} lab(s), {len(lesson.quizzes)} quiz(zes)"
        print(f"ok  {lesson.slug}  (module {lesson.module}, {counts})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="unrolled", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("serve", help="serve the course")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--no-warmup", action="store_true", help="skip compiling lesson labs at start")
    p.set_defaults(run=serve)
    p = commands.add_parser("check-lessons", help="validate every lesson")
    p.add_argument("directory", nargs="?", default=str(Path(__file__).parent.parent / "lessons"))
    p.set_defaults(run=check_lessons)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
