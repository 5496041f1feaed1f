"""liftbench in Python: models, attribution methods, datasets and shuffles on numpy arrays.

Arrays use the layouts of the ``liftbench`` command's files: one-hot DNA is ``(N, 4, L)``
float32, scores are ``(N, T, 4, L)`` (``T`` the attributed tasks) and deltas ``(N, T)``. Method
strings and option names are those of the configuration keys (``docs/cli.md``): the key
``attribution.n_shuffles`` is the argument ``n_shuffles=``, ``attribution.methods`` is
``methods=``. For the same inputs the results are the same bytes as the command's files.

Errors raise ``ValueError`` (bad input or option) or ``OSError`` (a system failure) with the
command's one-line message.
"""

from __future__ import annotations

import io as _io
import os as _os
from dataclasses import dataclass as _dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as _np

from . import _liftbench

__version__: str = _liftbench.__version__

__all__ = [
    "__version__",
    "Model",
    "Layer",
    "Attribution",
    "MethodScores",
    "Dataset",
    "Site",
    "attribute",
    "dinucleotide_shuffle",
    "load_dataset",
    "method_kinds",
    "command",
    "run",
    "read_table",
]


@_dataclass(frozen=True)
class Layer:
    """One layer of a model: its name (the PyTorch parameter prefix), its architecture line
    (``Conv1d(in=4, out=50, kernel=11, stride=1)``) and the layers it reads (``"input"``: the
    network input)."""

    name: str
    description: str
    inputs: Tuple[str, ...]


class Model:
    """A network liftbench can run and attribute: a ``model.npz`` written by ``liftbench train``
    or ``liftbench import``, an ONNX model, or a PyTorch module (:meth:`from_torch`)."""

    def __init__(self, core: Any) -> None:
        self._core = core

    @classmethod
    def load(cls, path: Union[str, _os.PathLike]) -> "Model":
        """Reads a ``model.npz`` or an ``.onnx`` file (as ``--model`` does)."""
        return cls(_liftbench.Model.load(_os.fspath(path)))

    @classmethod
    def from_torch(cls, module: Any, input_shape: Sequence[int], opset: int = 13) -> "Model":
        """A PyTorch module, exported to ONNX in memory (``torch.onnx.export`` into a buffer; no
        file) and imported as ``liftbench import`` would. ``input_shape`` is one sample's shape,
        e.g. ``(4, 200)``. torch is imported only here."""
        import torch  # optional dependency

        buffer = _io.BytesIO()
        dummy = torch.zeros((1, *input_shape), dtype=torch.float32)
        was_training = module.training
        module.eval()
        try:
            torch.onnx.export(module, dummy, buffer, opset_version=opset, input_names=["input"],
                              output_names=["output"], dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})
        finally:
            module.train(was_training)
        name = f"<torch module {type(module).__name__}>"
        return cls(_liftbench.Model.from_onnx_bytes(buffer.getvalue(), name))

    @property
    def input_shape(self) -> Tuple[int, ...]:
        """One sample's shape: ``(C, L)`` for sequences, ``(C, H, W)`` for images."""
        return tuple(self._core.input_shape)

    @property
    def n_outputs(self) -> int:
        """The number of outputs (tasks or classes)."""
        return int(self._core.n_outputs)

    @property
    def output(self) -> str:
        """The output function: ``sigmoid``, ``softmax`` or ``linear``."""
        return str(self._core.output)

    @property
    def architecture(self) -> str:
        """The architecture text stored in ``model.npz``."""
        return str(self._core.architecture)

    @property
    def layers(self) -> List[Layer]:
        """The layers in order."""
        return [Layer(n, d, tuple(i)) for n, d, i in self._core.layers]

    def predict(self, X: _np.ndarray, logits: bool = False, threads: int = 0) -> _np.ndarray:
        """``(N, T)`` float64: per output what ``liftbench predict`` reports, a probability
        (sigmoid, softmax) or the value (linear); ``logits=True`` gives the logits."""
        return self._core.predict(X, logits, threads)

    def __repr__(self) -> str:
        return f"Model(input_shape={self.input_shape}, n_outputs={self.n_outputs}, output={self.output!r})"


@_dataclass
class MethodScores:
    """One method's scores: ``contributions`` ``(N, T, 4, L)``; ``hypothetical`` (methods with a
    reference on one-hot input) and ``delta`` ``(N, T)`` (methods with summation-to-delta or
    completeness) or None; ``ism`` for in-silico mutagenesis; the largest summation-to-delta
    error over sequences, tasks and references, absolute and relative."""

    name: str
    contributions: _np.ndarray
    hypothetical: Optional[_np.ndarray]
    delta: Optional[_np.ndarray]
    ism: Optional[_np.ndarray]
    max_abs_delta: float
    max_rel_delta: float
    n_references: int


class Attribution(Mapping[str, MethodScores]):
    """The result of :func:`attribute`: a mapping from method string to :class:`MethodScores`,
    in the order of ``methods``, with the sequence ``ids``, the attributed ``tasks`` and, with
    ``targets=``, the ``targets``' names."""

    def __init__(self, core: Any) -> None:
        self._core = core
        arrays = core.arrays()
        self._methods: Dict[str, MethodScores] = {}
        for name in core.methods:
            a = arrays[name]
            self._methods[name] = MethodScores(name, a["contributions"], a.get("hypothetical"), a.get("delta"),
                                               a.get("ism"), float(a["max_abs_delta"]), float(a["max_rel_delta"]),
                                               int(a["n_references"]))

    @property
    def ids(self) -> List[str]:
        return list(self._core.ids)

    @property
    def tasks(self) -> List[int]:
        return list(self._core.tasks)

    @property
    def targets(self) -> List[str]:
        """The names of the targets explained, with ``targets=`` (``attribution.targets``:
        ``"profile(profile) counts(counts)"``); empty when the tasks are output units."""
        return list(self._core.targets)

    def __getitem__(self, name: str) -> MethodScores:
        return self._methods[name]

    def __iter__(self):
        return iter(self._methods)

    def __len__(self) -> int:
        return len(self._methods)

    def to_npz(self, path: Union[str, _os.PathLike]) -> None:
        """Writes the archive ``liftbench attribute`` writes (``ids``, ``onehot``, ``tasks``, per
        method ``<name>``, ``<name>.hypothetical``, ``<name>.delta``, ...), atomically: the same
        bytes as the command's ``scores.npz`` for the same sequences, ids and options."""
        self._core.to_npz(_os.fspath(path))


def _option_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, _np.ndarray)):
        return ",".join(_option_text(v) for v in value)
    return repr(value) if isinstance(value, float) else str(value)


def _options(section: str, values: Mapping[str, Any]) -> List[Tuple[str, str]]:
    out = []
    for key, value in values.items():
        if value is None:
            continue
        full = key if "." in key else f"{section}.{key}"
        out.append((full, _option_text(value)))
    return out


def attribute(model: Model, X: _np.ndarray, methods: Union[str, Iterable[str], None] = None, *,
              ids: Optional[Sequence[str]] = None, config: Optional[Union[str, _os.PathLike]] = None,
              threads: int = 0, **options: Any) -> Attribution:
    """Attributes every task of ``model`` (or ``tasks=``) on the one-hot sequences ``X``
    ``(N, 4, L)`` with each method of ``methods`` (a method string, a comma-separated list or a
    list: any method of the registry, e.g. ``"deeplift:rescale"``, ``"ig:20"``,
    ``"deeplift:genomics@dinuc_shuffle"``; default: ``attribution.methods``' default).

    Every other ``attribution.*`` key is an argument of the same name (``reference=``,
    ``n_shuffles=``, ``tasks=``, ``seed=``, ``ig_steps=``, ...; a full ``section.key`` name works
    too), and ``config=`` reads an INI file first, as ``-c``. ``ids`` names the sequences in the
    archive (default ``seq0``, ``seq1``, ...). Sequence ``i`` draws its shuffled references from
    the stream ``i``, as ``liftbench attribute --fasta`` does. Results are identical for any
    ``threads`` (0: all cores)."""
    if methods is not None:
        options["methods"] = methods if isinstance(methods, str) else ",".join(methods)
    core = _liftbench.attribute(model._core, X, list(ids) if ids is not None else [],
                                _os.fspath(config) if config is not None else "", _options("attribution", options),
                                threads)
    return Attribution(core)


def dinucleotide_shuffle(X: _np.ndarray, n: int = 1, seed: int = 1) -> _np.ndarray:
    """``n`` shuffles of each one-hot sequence of ``X`` ``(N, 4, L)`` that keep its dinucleotide
    counts and first and last base: ``(N, n, 4, L)``. Sequence ``i`` draws from the stream ``i``
    of ``seed``, so these are the references a method with ``@dinuc_shuffle`` uses
    (``attribution.seed``, ``attribution.n_shuffles``)."""
    return _liftbench.dinucleotide_shuffle(X, n, seed)


@_dataclass(frozen=True)
class Site:
    """One planted motif instance: the sequence (id and index), the motif, ``[start, end)``
    0-based, the strand, the log-odds of the planted string against the background, and its role
    per task (``driver``, ``context``, ``repressor``, ``irrelevant``)."""

    id: str
    seq: int
    motif: str
    start: int
    end: int
    strand: str
    log_odds: float
    roles: Tuple[str, ...]


@_dataclass
class Dataset:
    """A dataset directory as ``liftbench simulate`` writes it: ``onehot`` ``(N, 4, L)``,
    ``labels`` ``(N, T)``, ``split`` and ``ids`` (N), ``tasks`` (T names) and the planted
    ``sites``."""

    onehot: _np.ndarray
    labels: _np.ndarray
    split: List[str]
    ids: List[str]
    tasks: List[str]
    task_kinds: List[str]
    task_definitions: List[str]
    sites: List[Site]

    def indices(self, split: str) -> _np.ndarray:
        """The indices of the sequences of one split (``train``, ``valid``, ``test``)."""
        return _np.array([i for i, s in enumerate(self.split) if s == split], dtype=_np.int64)


def load_dataset(path: Union[str, _os.PathLike]) -> Dataset:
    """Reads a dataset directory (checked against its manifest, as every command does) into a
    Dataset."""
    d = _liftbench.load_dataset(_os.fspath(path))
    sites = [Site(i, s, m, a, b, st, lo, tuple(r)) for i, s, m, a, b, st, lo, r in d["sites"]]
    return Dataset(d["onehot"], d["labels"], list(d["split"]), list(d["ids"]), list(d["tasks"]),
                   list(d["task_kinds"]), list(d["task_definitions"]), sites)


def method_kinds() -> List[Tuple[str, str, bool, bool, str]]:
    """Every method kind of the registry: name, argument, whether it takes a reference, whether
    it has a delta, and its one-line summary."""
    return list(_liftbench.method_kinds())


def _flags(options: Optional[Mapping[str, Any]]) -> List[str]:
    out: List[str] = []
    for key, value in (options or {}).items():
        if value is None:
            continue
        if "." not in key:
            raise ValueError(f"options: key {key!r}; expected section.key (e.g. 'sim.n_seqs'), got {key!r}")
        out += [f"--{key}", _option_text(value)]
    return out


def command(*args: Any) -> int:
    """Runs ``liftbench ARGS...`` in this process: the command's own code, so the same outputs,
    byte for byte, and its error as a Python exception with the command's one-line text
    (``ValueError`` for a bad option or input, ``OSError`` for a failing file). Paths may be
    ``pathlib`` paths; the log goes to stderr as the command's does (``"-q"`` silences it).
    Returns the exit code (0)."""
    return int(_liftbench.main([_os.fspath(a) if isinstance(a, _os.PathLike) else str(a) for a in args]))


def run(config: Union[str, _os.PathLike], out: Union[str, _os.PathLike], *, threads: int = 0,
        quiet: bool = False, options: Optional[Mapping[str, Any]] = None) -> str:
    """Runs the whole benchmark of ``config`` into the directory ``out``, as ``liftbench run -c
    CONFIG -o OUT`` does (simulate, train, attribute, evaluate, the sanity check and discovery
    when the config turns them on, the report; finished steps reused). ``options`` overrides
    keys by their full name, ``{"sim.n_seqs": 2000, "attribution.methods": "grad,ism"}``.
    Returns ``out`` as a string; read its tables with :func:`read_table`."""
    args = ["run", "-c", config, "-o", out, "--threads", threads, *_flags(options)]
    if quiet:
        args.append("-q")
    command(*args)
    return _os.fspath(out)


def read_table(path: Union[str, _os.PathLike]) -> Any:
    """One of liftbench's TSV tables (``metrics.tsv``, ``role_metrics.tsv``, ``discovery.tsv``,
    ``runs.tsv``, ...) as a ``pandas.DataFrame`` (``nan`` for empty and ``nan`` cells), or,
    without pandas, as a list of dicts of strings."""
    try:
        import pandas as pd
    except ImportError:
        import csv

        with open(path, newline="") as f:
            return list(csv.DictReader(f, delimiter="\t"))
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["", "nan"])
