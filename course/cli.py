"""The ``unrolled`` command: ``serve`` the course, ``check-lessons``, ``create-instructor``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

# How long a thread holding the GIL runs before one waiting for it may take it (Python's
# default is 5 ms). The server's socket threads wait on I/O and then need the GIL for a
# moment; behind a thread tracing and compiling a program, or building frames for a
# room of players, each such moment cost up to 5 ms, many times per click (bench/
# compile_storm.py, bench/room.py).
SWITCH_INTERVAL = 0.001
# glibc's malloc arenas for the server's many threads (engine.host): two, not 8 a core.
MALLOC_ARENAS = 2


def serve(args: argparse.Namespace) -> int:
    from engine.host import limit_malloc_arenas

    limit_malloc_arenas(MALLOC_ARENAS)  # before any thread starts
    sys.setswitchinterval(SWITCH_INTERVAL)
    if args.production:
        from course import production

        if args.processes > 1:
            argv = ["serve", "--production", "--threads", str(args.threads),
                    "--graceful-timeout", str(args.graceful_timeout)]  # fmt: skip
            argv += ["--no-warmup"] if args.no_warmup else []
            return production.serve_many(argv, args.host, args.port, args.processes)
        return production.serve(args.host, args.port, threads=args.threads,
                                graceful_timeout=args.graceful_timeout,
                                warmup=not args.no_warmup)  # fmt: skip
    from course import create_app
    from course.extensions import socketio
    from course.warmup import start

    app = create_app({"BOUND_HOST": args.host})  # served as itself and as localhost
    start(app, warmup=not args.no_warmup)
    print(f"Unrolled is running at http://{args.host}:{args.port}", flush=True)
    socketio.run(app, host=args.host, port=args.port, allow_unsafe_werkzeug=True)
    return 0


def check_lessons(args: argparse.Namespace) -> int:
    from course.lessons.errors import LessonError
    from course.lessons.registry import LessonRegistry

    try:
        registry = LessonRegistry.load(args.directory)
    except LessonError as error:
        print(f"lesson error: {error}", file=sys.stderr)
        return 1
    for lesson in registry.lessons.values():
        counts = (
            f"{len(lesson.labs)} lab(s), {len(lesson.playgrounds)} playground(s), "
            f"{len(lesson.quizzes)} quiz(zes), {len(lesson.predicts)} prediction(s)"
        )
        print(f"ok  {lesson.slug}  (module {lesson.module}, {counts})")
    return 0


def export_gif(args: argparse.Namespace) -> int:
    from course.lab.gif import GifError, GifOptions, write_gif
    from course.lab.spec import CONFIG_FIELDS, to_lab_config
    from course.web.validation import PayloadError

    options = {name: field.default for name, field in CONFIG_FIELDS.items()}
    chosen = ("model", "layers", "hidden", "dataset", "window", "seed")
    options |= {name: getattr(args, name) for name in chosen}  # a lab block's defaults otherwise
    try:
        config = to_lab_config(options)
        gif = GifOptions(steps=args.steps, size=args.size, frame_ms=args.frame_ms)
        size = write_gif(args.output, config, gif, epochs=args.epochs)
    except (GifError, PayloadError) as error:
        args.parser.error(error.message)  # exits with status 2
    print(f"wrote {args.output} ({gif.steps} frames, {size / 1024:.0f} kB)")
    return 0


def create_instructor(args: argparse.Namespace) -> int:
    """Add an instructor to the database the server uses (same configuration: the
    ``UNROLLED_DATABASE_URL`` or ``DATABASE_URL`` environment, else the instance folder)."""
    import getpass

    from flask import Flask

    from course.storage import db
    from course.teach.accounts import AccountError
    from course.teach.accounts import create_instructor as add

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            print("the passwords differ; nothing was changed", file=sys.stderr)
            return 1
    app = Flask("course", instance_relative_config=True)  # create_app's instance folder
    app.config.from_prefixed_env("UNROLLED")
    db.init_app(app)  # migrates, as the server does at start
    try:
        with app.app_context(), db.transaction() as session:
            made = add(session, args.email, args.name, password, admin=args.admin)
    except AccountError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        db.dispose(app)
    role = "admin" if made.is_admin else "instructor"
    print(f"{role} {made.email} ({made.name}) can now sign in at /login")
    return 0


def _positive(text: str) -> int:
    """A whole number of at least 1 (argparse answers a clear error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="unrolled", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("serve", help="serve the course")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--no-warmup", action="store_true", help="skip compiling lesson labs at start")
    p.add_argument("--production", action="store_true",
                   help="run on Gunicorn (one gthread worker a process), not the development "
                        "server; SIGTERM drains (docs/deployment.md)")  # fmt: skip
    p.add_argument("--processes", type=_positive, default=1,
                   help="with --production: processes on consecutive ports from --port "
                        "(needs REDIS_URL; put a proxy with sticky sessions in front)")  # fmt: skip
    p.add_argument(
        "--threads",
        type=_positive,
        default=200,
        help="with --production: threads a process (each open socket holds one)",
    )
    p.add_argument(
        "--graceful-timeout",
        type=_positive,
        default=30,
        help="with --production: seconds a SIGTERM lets requests in flight finish",
    )
    p.set_defaults(run=serve)
    p = commands.add_parser("check-lessons", help="validate every lesson")
    p.add_argument("directory", nargs="?", default=str(Path(__file__).parent.parent / "lessons"))
    p.set_defaults(run=check_lessons)
    p = commands.add_parser("create-instructor", help="add an instructor account")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument(
        "--admin", action="store_true", help="an admin, who may add instructors from /teach"
    )
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    p.set_defaults(run=create_instructor)
    p = commands.add_parser(
        "export-gif", help="animate a forward pass through the unrolled network as a GIF"
    )
    _gif_arguments(p)
    p.set_defaults(run=export_gif, parser=p)
    args = parser.parse_args(argv)
    return int(args.run(args))


def _gif_arguments(p: argparse.ArgumentParser) -> None:
    from course.lab.gif import MAX_FRAME_MS, MAX_SIZE, MAX_STEPS, MIN_FRAME_MS, MIN_SIZE, MIN_STEPS
    from engine.data import FUNCTIONS
    from engine.model import CELL_KINDS, HIDDEN_SIZES, MAX_LAYERS

    def bounded(name: str, low: int, high: int) -> Callable[[str], int]:
        def parse(text: str) -> int:
            try:
                value = int(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"{name} must be a whole number") from None
            if not low <= value <= high:
                raise argparse.ArgumentTypeError(f"{name} must be from {low} to {high}")
            return value

        return parse

    p.add_argument("--model", choices=CELL_KINDS, default="lstm")
    p.add_argument("--dataset", choices=tuple(FUNCTIONS), default="sine")
    p.add_argument("--layers", type=bounded("layers", 1, MAX_LAYERS), default=3)
    p.add_argument("--hidden", type=int, choices=HIDDEN_SIZES, default=16)
    p.add_argument("--window", type=bounded("window", 2, 64), default=15)
    p.add_argument("--seed", type=bounded("seed", 0, 2**31 - 1), default=0)
    p.add_argument(
        "--epochs",
        type=bounded("epochs", 0, 200),
        default=0,
        help="train this many epochs first (default 0: fresh weights)",
    )
    p.add_argument(
        "--steps",
        type=bounded("steps", MIN_STEPS, MAX_STEPS),
        default=30,
        help="frames, spread evenly over the forward pass",
    )
    p.add_argument(
        "--size", type=bounded("size", MIN_SIZE, MAX_SIZE), default=800, help="width in pixels"
    )
    p.add_argument(
        "--frame-ms",
        type=bounded("frame-ms", MIN_FRAME_MS, MAX_FRAME_MS),
        default=120,
        help="time per frame in ms (GIF keeps it to 10 ms)",
    )
    p.add_argument("-o", "--output", required=True, help="the GIF file to write")


if __name__ == "__main__":
    sys.exit(main())
