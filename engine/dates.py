"""Generated translation data: human-readable dates → ISO 8601, character by character.

"25 march 2021", "march 25, 2021", "25/03/2021", "tue 25 mar 2021", … → "2021-03-25".
The formats put day, month and year in different places, so a decoder emitting the
year digits has to look at a different part of the source in each format: attention
visibly matters. Weekday names are correct but carry nothing the output needs.

Split by date, not by example: a date (over 1950–2049) is held out when a stable hash
of its ISO string says so, so no held-out date appears in training in any format.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

import numpy as np

PAD, BOS, EOS = "<pad>", "<s>", "</s>"
SPECIALS = (PAD, BOS, EOS)  # indices 0, 1, 2 in both vocabularies
PAD_ID, BOS_ID, EOS_ID = 0, 1, 2

SOURCE_LEN = 32  # source bucket: the longest date (29 chars) + </s>, padded
TARGET_LEN = 11  # "yyyy-mm-dd" + </s>
FIRST_DAY = dt.date(1950, 1, 1)
LAST_DAY = dt.date(2049, 12, 31)
HELD_OUT_PERCENT = 10
SPLITS = ("train", "heldout")

MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


# Each format writes a date; the names say what a learner sees, with 25 march 2021.
FORMATS: dict[str, Callable[[dt.date], str]] = {
    "25 march 2021": lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    "march 25, 2021": lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    "25/03/2021": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    "thu 25 mar 2021": lambda d: (
        f"{WEEKDAYS[d.weekday()][:3]} {d.day} {MONTHS[d.month - 1][:3]} {d.year}"
    ),
    "thursday, march 25, 2021": lambda d: (
        f"{WEEKDAYS[d.weekday()]}, {MONTHS[d.month - 1]} {d.day}, {d.year}"
    ),
    "25.03.2021": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    "mar 25 2021": lambda d: f"{MONTHS[d.month - 1][:3]} {d.day} {d.year}",
    "25th of march 2021": lambda d: f"{_ordinal(d.day)} of {MONTHS[d.month - 1]} {d.year}",
}


@dataclass(frozen=True)
class Vocab:
    """Tokens by index; the specials <pad>, <s>, </s> come first."""

    tokens: tuple[str, ...]
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.tokens[: len(SPECIALS)] != SPECIALS or len(set(self.tokens)) != len(self.tokens):
            raise ValueError("a vocabulary starts with <pad>, <s>, </s> and has no duplicates")
        object.__setattr__(self, "index", {t: i for i, t in enumerate(self.tokens)})

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, text: str) -> list[int]:
        """Character ids of ``text`` (no specials); ValueError on an unknown character."""
        unknown = sorted({ch for ch in text if ch not in self.index or ch in SPECIALS})
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {''.join(unknown)!r}")
        return [self.index[ch] for ch in text]

    def decode(self, ids: Iterable[int]) -> str:
        """Text up to the first </s>, skipping <pad> and <s>."""
        out = []
        for i in ids:
            token = self.tokens[int(i)]
            if token == EOS:
                break
            if token not in SPECIALS:
                out.append(token)
        return "".join(out)


SOURCE_VOCAB = Vocab(SPECIALS + tuple(" ,./0123456789abcdefghijklmnopqrstuvwxyz"))
TARGET_VOCAB = Vocab(SPECIALS + tuple("-0123456789"))


def encode_source(text: str) -> np.ndarray:
    """``text`` as source ids: characters, </s>, then <pad> up to SOURCE_LEN. (SOURCE_LEN,)"""
    ids = SOURCE_VOCAB.encode(text) + [EOS_ID]
    if len(ids) > SOURCE_LEN:
        raise ValueError(f"a source holds at most {SOURCE_LEN - 1} characters")
    return np.asarray(ids + [PAD_ID] * (SOURCE_LEN - len(ids)), np.int32)


def encode_target(iso: str) -> np.ndarray:
    """An ISO date as target ids: its 10 characters then </s>. (TARGET_LEN,)"""
    ids = TARGET_VOCAB.encode(iso) + [EOS_ID]
    if len(ids) != TARGET_LEN:
        raise ValueError("a target is a yyyy-mm-dd date")
    return np.asarray(ids, np.int32)


def split_of(day: dt.date) -> str:
    """The split of ``day``: "heldout" for about HELD_OUT_PERCENT % of dates, by a hash."""
    digest = hashlib.blake2b(day.isoformat().encode(), digest_size=4).digest()
    return "heldout" if int.from_bytes(digest, "big") % 100 < HELD_OUT_PERCENT else "train"


@cache
def _days(split: str) -> tuple[dt.date, ...]:
    n = (LAST_DAY - FIRST_DAY).days + 1
    days = (FIRST_DAY + dt.timedelta(days=k) for k in range(n))
    return tuple(d for d in days if split_of(d) == split)


class Corpus(NamedTuple):
    texts: tuple[str, ...]  # the human-readable sources
    isos: tuple[str, ...]  # the ISO targets
    formats: tuple[str, ...]  # the FORMATS key each source was written with
    sources: np.ndarray  # (N, SOURCE_LEN) int32: characters, </s>, <pad>…
    targets: np.ndarray  # (N, TARGET_LEN) int32: ISO characters, </s>


def corpus_of(days: Sequence[dt.date], formats: Sequence[str]) -> Corpus:
    """The given dates written in the given formats (one format per date)."""
    texts = tuple(FORMATS[f](d) for d, f in zip(days, formats, strict=True))
    isos = tuple(d.isoformat() for d in days)
    sources = np.stack([encode_source(t) for t in texts]) if texts else np.zeros((0, SOURCE_LEN))
    targets = np.stack([encode_target(s) for s in isos]) if isos else np.zeros((0, TARGET_LEN))
    return Corpus(texts, isos, tuple(formats), sources.astype(np.int32), targets.astype(np.int32))


def make_corpus(n: int, *, seed: int, split: str = "train") -> Corpus:
    """``n`` examples: dates drawn uniformly from ``split``'s dates, formats uniformly.

    The same ``seed`` and ``split`` give the same corpus; "train" and "heldout"
    never share a date.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    if n < 1:
        raise ValueError("n must be positive")
    rng = np.random.default_rng(seed)
    pool = _days(split)
    days = [pool[i] for i in rng.integers(len(pool), size=n)]
    names = tuple(FORMATS)
    formats = [names[i] for i in rng.integers(len(names), size=n)]
    return corpus_of(days, formats)
