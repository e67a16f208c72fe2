"""Unrolled's engine: recurrent cells, models, data, training and the stepper.

No web imports here (see README.md); usable from a notebook or a script.
"""

from engine.cells import (
    GRUParams,
    GRUTrace,
    LSTMParams,
    LSTMState,
    LSTMTrace,
    RNNParams,
    RNNTrace,
    gru_cell,
    lstm_cell,
    rnn_cell,
)
from engine.model import ModelConfig, ModelParams
from engine.stepper import GRANULARITIES, Lab, LabConfig
from engine.train import TrainSpec

__all__ = [
    "GRANULARITIES",
    "GRUParams",
    "GRUTrace",
    "LSTMParams",
    "LSTMState",
    "LSTMTrace",
    "Lab",
    "LabConfig",
    "ModelConfig",
    "ModelParams",
    "RNNParams",
    "RNNTrace",
    "TrainSpec",
    "gru_cell",
    "lstm_cell",
    "rnn_cell",
]
