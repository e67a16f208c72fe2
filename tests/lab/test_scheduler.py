"""The training scheduler: slots bound concurrent training, a click holds new slices
back, the learner who trained least goes next, and a training stops at its budget or
when its learner leaves. States are awaited (a ticket waiting), never slept on."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from course.lab.scheduler import Scheduler, Trained


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "the state never came"
        time.sleep(0.001)


def waiting(scheduler: Scheduler, learner: str) -> bool:
    with scheduler._cond:  # noqa: SLF001 - a ticket waiting has already been refused once
        return learner in scheduler._waiting.values()  # noqa: SLF001


def in_thread(fn: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=fn, daemon=True)
    thread.start()
    return thread


def test_no_more_slices_at_once_than_slots():
    scheduler = Scheduler(1)
    release, started = threading.Event(), threading.Event()

    def first() -> None:
        with scheduler.slice("a"):
            release.wait()

    def second() -> None:
        with scheduler.slice("b"):
            started.set()

    a = in_thread(first)
    wait_for(lambda: scheduler._running == 1)  # noqa: SLF001
    b = in_thread(second)
    wait_for(lambda: waiting(scheduler, "b"))
    assert not started.is_set()
    release.set()
    a.join(60)
    b.join(60)
    assert started.is_set()


def test_a_click_holds_back_a_new_slice_until_it_is_answered():
    scheduler = Scheduler(2, patience=3600)
    started = threading.Event()
    with scheduler.interactive():
        trainer = in_thread(lambda: scheduler.train("a", 1, started.set, budget=None,
                                                    gone=threading.Event()))  # fmt: skip
        wait_for(lambda: waiting(scheduler, "a"))
        assert not started.is_set()
    trainer.join(60)
    assert started.is_set()


def test_the_learner_who_trained_least_goes_next():
    scheduler = Scheduler(1)
    order: list[str] = []
    b_waits = threading.Event()

    def a_epoch() -> None:
        order.append("a")
        if len(order) == 1:  # B asks while A's first epoch runs
            b_waits.wait()

    a = in_thread(lambda: scheduler.train("a", 4, a_epoch, budget=None, gone=threading.Event()))
    wait_for(lambda: order == ["a"])
    b = in_thread(lambda: scheduler.train("b", 1, lambda: order.append("b"), budget=None,
                                          gone=threading.Event()))  # fmt: skip
    wait_for(lambda: waiting(scheduler, "b"))
    b_waits.set()
    a.join(60)
    b.join(60)
    assert order[:2] == ["a", "b"], order  # not behind A's other three epochs
    assert order.count("a") == 4


def test_a_training_stops_when_its_budget_is_spent():
    scheduler = Scheduler(1)
    epochs: list[int] = []
    done = scheduler.train("a", 50, lambda: epochs.append(1), budget=1e-9,
                           gone=threading.Event())  # fmt: skip
    assert done == Trained(2, "budget")  # the first slice (it may compile) is not counted
    assert len(epochs) == 2


def test_a_first_slice_that_compiles_does_not_spend_the_budget():
    """A busy machine compiling the lab's programs: the first epoch takes longer than the
    whole budget, and the request still trains every epoch it asked for."""
    scheduler = Scheduler(1)
    slow_first = iter([0.05, 0.0, 0.0, 0.0, 0.0])
    done = scheduler.train("a", 5, lambda: time.sleep(next(slow_first)), budget=0.04,
                           gone=threading.Event())  # fmt: skip
    assert done == Trained(5, None)


def test_a_training_stops_when_its_learner_has_gone():
    scheduler = Scheduler(1)
    gone = threading.Event()
    done = scheduler.train("a", 50, gone.set, budget=None, gone=gone)
    assert done == Trained(1, "gone")
    assert scheduler.train("b", 3, lambda: None, budget=None, gone=threading.Event()) == Trained(
        3, None
    )


def test_with_a_shared_directory_a_slot_is_the_machines(tmp_path):
    """Two processes' schedulers (here two in one process: flock locks are per open
    file) share the slots: while one trains, the slot's file is locked for the other."""
    import fcntl
    import os

    one, other = Scheduler(1, shared=tmp_path), Scheduler(1, shared=tmp_path)
    with one.slice("a"):
        fd = os.open(tmp_path / "training-slot-0.lock", os.O_RDWR)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                raise AssertionError("the slot was free while a slice held it")
            except BlockingIOError:
                pass
        finally:
            os.close(fd)
    with other.slice("b"):  # free again once the slice is done
        pass
