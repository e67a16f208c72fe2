"""The event budget of one connection (course.web.flood.EventBudget), on a clock of the
test's own: a flood far over the rate adds up to a disconnect even though the rate lets
an event through now and then; a connection that calms down is forgiven."""

from __future__ import annotations

from course.web.flood import EventBudget

KEY = ("/lab", "eio-1", "203.0.113.1")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_flood_ten_times_the_rate_adds_up_though_some_events_pass() -> None:
    clock = Clock()
    budget = EventBudget(clock)
    assert [budget.spend(KEY, 4, 1.0) for _ in range(4)] == [0, 0, 0, 0]  # the burst
    answers = []
    for _ in range(100):  # ten a second against a rate of one: every tenth passes
        clock.now += 0.1
        answers.append(budget.spend(KEY, 4, 1.0))
    assert 8 <= answers.count(0) <= 10
    assert max(answers) >= 89  # the refusals were never cleared by the ones let through


def test_a_connection_that_calms_down_is_forgiven() -> None:
    clock = Clock()
    budget = EventBudget(clock)
    for _ in range(10):
        budget.spend(KEY, 4, 1.0)
    assert budget.spend(KEY, 4, 1.0) == 7
    clock.now += 4.0  # the bucket refills: a burst again, and a clean slate
    assert [budget.spend(KEY, 4, 1.0) for _ in range(5)] == [0, 0, 0, 0, 1]


def test_a_struck_address_starts_without_the_burst() -> None:
    clock = Clock()
    budget = EventBudget(clock)
    budget.strike(KEY[2], 60.0)
    assert [budget.spend(KEY, 10, 1.0, struck_burst=2) for _ in range(3)] == [0, 0, 1]
    other = ("/lab", "eio-2", "198.51.100.1")
    assert budget.spend(other, 10, 1.0, struck_burst=2) == 0 and budget.burst_of(other) == 10
    clock.now += 61.0  # the strike is over
    later = ("/lab", "eio-3", KEY[2])
    assert budget.spend(later, 10, 1.0, struck_burst=2) == 0 and budget.burst_of(later) == 10
