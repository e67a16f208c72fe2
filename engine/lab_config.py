"""``LabConfig``: everything that defines a function lab (``engine.stepper.Lab``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.checks import exact_int, finite_float, instance, normalise
from engine.model import ModelConfig
from engine.series import OWN, Series
from engine.train import TrainSpec

RECURRENT_SCALES = (0.25, 4.0)  # the range of LabConfig.recurrent_scale


@dataclass(frozen=True)
class LabConfig:
    """Everything that defines a lab; two labs with equal configs compute equal numbers."""

    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainSpec = field(default_factory=TrainSpec)
    learning_rate: float = 0.01
    noise: float = 0.0  # uniform input noise in [−noise, noise]
    continuation: int = 32  # points predicted after the window by feeding predictions back
    seed: int = 0
    start: float = 0.0  # where the displayed window starts on the x axis
    clip: bool = True  # clip each update's gradient to global norm MAX_NORM (engine.train)
    # The first recurrent weights W_h are drawn, then multiplied by this: above 1 the
    # gradient grows as it goes back through time (module 3's exploding gradient).
    recurrent_scale: float = 1.0
    # A learner's own series (``engine.series``), read when train.dataset is OWN.
    series: Series | None = None

    def __post_init__(self) -> None:
        instance("model", self.model, ModelConfig)
        instance("train", self.train, TrainSpec)
        if (self.train.dataset == OWN) != (self.series is not None):
            raise ValueError("the data 'own' is a learner's series: load one first")
        if self.series is not None:
            instance("series", self.series, Series)
            if len(self.series) < self.train.window + 1:
                raise ValueError(
                    f"a series of {len(self.series)} points is too short for a window of "
                    f"{self.train.window} (it needs {self.train.window + 1})"
                )
        normalise(
            self, "learning_rate", finite_float("learning_rate", self.learning_rate, 1e-4, 1.0)
        )
        normalise(self, "noise", finite_float("noise", self.noise, 0.0, 0.4))
        normalise(self, "continuation", exact_int("continuation", self.continuation, 1, 64))
        normalise(self, "seed", exact_int("seed", self.seed, 0, 2**31 - 1))
        normalise(self, "start", finite_float("start", self.start, -1e4, 1e4))
        instance("clip", self.clip, bool)
        normalise(
            self,
            "recurrent_scale",
            finite_float("recurrent_scale", self.recurrent_scale, *RECURRENT_SCALES),
        )
