"""Unrolled's engine: recurrent cells, models, data, training, the stepper and the
module tasks (one-unit playground, text, sentiment, translation with attention).

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
from engine.lab_config import LabConfig
from engine.model import ModelConfig, ModelParams
from engine.playground import Playground, PlaygroundConfig, make_sequence
from engine.sentiment import SentimentConfig
from engine.seq2seq import Seq2SeqConfig
from engine.stepper import GRANULARITIES, Lab
from engine.text_corpus import TextConfig
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
    "Playground",
    "PlaygroundConfig",
    "RNNParams",
    "RNNTrace",
    "SentimentConfig",
    "Seq2SeqConfig",
    "TextConfig",
    "TrainSpec",
    "gru_cell",
    "lstm_cell",
    "make_sequence",
    "rnn_cell",
]
