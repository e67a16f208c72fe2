"""`unrolled serve --production`'s options: refused when they cannot work, before any
server starts."""

from __future__ import annotations

import pytest

from course.cli import main


@pytest.mark.parametrize("option", ["--threads", "--processes", "--graceful-timeout"])
@pytest.mark.parametrize("value", ["0", "-3", "two"])
def test_counts_must_be_whole_numbers_of_at_least_one(option, value, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--production", option, value])
    assert stopped.value.code == 2
    assert option in capsys.readouterr().err


def test_several_processes_need_redis_to_share_rooms(monkeypatch, capsys):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("UNROLLED_REDIS_URL", raising=False)
    assert main(["serve", "--production", "--processes", "2", "--no-warmup"]) == 2
    assert "REDIS_URL" in capsys.readouterr().err
