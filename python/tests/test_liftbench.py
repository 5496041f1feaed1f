"""The Python package against the `liftbench` command: for the same inputs the same bytes, the
CLI's error texts as Python exceptions, and results independent of the thread count. Run by
CTest (python_tests) with the package from the build tree and the CLI beside it."""

import os
import pathlib
import subprocess

import numpy as np
import pytest

import liftbench as lb

BINARY = os.environ.get("LIFTBENCH_BINARY", "liftbench")
SOURCE = pathlib.Path(os.environ.get("LIFTBENCH_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
TORCH = SOURCE / "tests" / "data" / "torch"
ONNX = TORCH / "gap_head.onnx"  # input 4x64, conv + batch norm + GELU + gap + dense(2), sigmoid


@pytest.fixture(scope="session")
def MODEL(tmp_path_factory):
    """The fixture model as a self-describing model.npz, written by `liftbench import`."""
    path = tmp_path_factory.mktemp("model") / "model.npz"
    cli("import", ONNX, "--output", "sigmoid", "-o", path, "-q")
    return path


def cli(*args):
    r = subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r


def one_hot(n, length, seed):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 4, length), dtype=np.float32)
    bases = rng.integers(0, 4, size=(n, length))
    for i in range(n):
        x[i, bases[i], np.arange(length)] = 1.0
    return x


def write_fasta(path, x, ids):
    letters = np.array(list("ACGT"))
    with open(path, "w") as f:
        for i, name in enumerate(ids):
            f.write(f">{name}\n{''.join(letters[x[i].argmax(axis=0)])}\n")


def test_version_matches_the_command():
    assert cli("version").stdout.splitlines()[0] == f"liftbench {lb.__version__}"


def test_model_loads_from_npz_and_onnx_with_its_layers(MODEL):
    m = lb.Model.load(MODEL)
    assert m.input_shape == (4, 64)
    assert m.n_outputs == 2
    assert m.output == "sigmoid"
    assert [layer.name for layer in m.layers][:2] == ["body.0", "body.1"]
    assert m.layers[0].description.startswith("Conv1d(in=4, out=8, kernel=5")
    assert m.layers[0].inputs == ("input",)
    onnx = lb.Model.load(ONNX)  # the graph ends in logits: a linear network of the same layers
    assert onnx.output == "linear" and onnx.layers == m.layers


def test_predict_equals_the_commands_predictions(MODEL, tmp_path):
    m = lb.Model.load(MODEL)
    x = one_hot(7, 64, 1)
    ids = [f"s{i}" for i in range(7)]
    write_fasta(tmp_path / "x.fa", x, ids)
    cli("predict", "--model", MODEL, "--fasta", tmp_path / "x.fa", "-o", tmp_path / "p.tsv", "-q")
    rows = [line.split("\t") for line in (tmp_path / "p.tsv").read_text().splitlines()[1:]]
    got = m.predict(x)
    assert got.shape == (7, 2) and got.dtype == np.float64
    for i, row in enumerate(rows):
        assert row[0] == ids[i]
        assert [f"{v:.6g}" for v in got[i]] == row[1:]
    logits = m.predict(x, logits=True)
    np.testing.assert_allclose(1 / (1 + np.exp(-logits)), got, rtol=1e-12)


METHODS = "grad_x_input,ig,deeplift:rescale,deeplift:revealcancel,ism,deeplift:genomics@dinuc_shuffle"


def test_attribute_writes_the_commands_archive_byte_for_byte(MODEL, tmp_path):
    m = lb.Model.load(MODEL)
    x = one_hot(9, 64, 2)
    ids = [f"r{i}" for i in range(9)]
    write_fasta(tmp_path / "x.fa", x, ids)
    cli("attribute", "--model", MODEL, "--fasta", tmp_path / "x.fa", "--methods", METHODS,
        "--attribution.n_shuffles", "3", "--attribution.seed", "5", "-o", tmp_path / "cli.npz", "-q")
    r = lb.attribute(m, x, METHODS, ids=ids, n_shuffles=3, seed=5)
    r.to_npz(tmp_path / "py.npz")
    assert (tmp_path / "py.npz").read_bytes() == (tmp_path / "cli.npz").read_bytes()
    # The arrays are the archive's.
    archive = np.load(tmp_path / "cli.npz")
    assert list(r) == METHODS.split(",")
    for name, scores in r.items():
        np.testing.assert_array_equal(scores.contributions, archive[name])
        for part in ("hypothetical", "delta", "ism"):
            value = getattr(scores, part)
            if f"{name}.{part}" in archive:
                np.testing.assert_array_equal(value, archive[f"{name}.{part}"])
            else:
                assert value is None
    assert r["deeplift:rescale"].max_rel_delta < 1e-4
    assert r["deeplift:genomics@dinuc_shuffle"].n_references == 3
    assert r.ids == ids and r.tasks == [0, 1]


def test_targets_of_a_two_head_model_and_references_from_a_file(tmp_path):
    """A BPNet's profile and counts heads (an ONNX graph with two outputs): named targets and
    the user's references, the same bytes as the command's."""
    onnx = TORCH / "bpnet_heads.onnx"
    m = lb.Model.load(onnx)
    x = one_hot(4, 64, 3)
    ids = [f"r{i}" for i in range(4)]
    write_fasta(tmp_path / "x.fa", x, ids)
    refs = np.random.default_rng(4).random((4, 2, 4, 64)).astype(np.float32)
    np.save(tmp_path / "refs.npy", refs)
    targets = "profile(profile) profile_detached(profile) counts(counts)"
    cli("attribute", "--model", onnx, "--fasta", tmp_path / "x.fa", "--methods", "deeplift:rescale,ig",
        "--attribution.targets", targets, "--references", tmp_path / "refs.npy", "-o", tmp_path / "cli.npz", "-q")
    r = lb.attribute(m, x, "deeplift:rescale,ig", ids=ids, targets=targets, references_file=tmp_path / "refs.npy")
    r.to_npz(tmp_path / "py.npz")
    assert (tmp_path / "py.npz").read_bytes() == (tmp_path / "cli.npz").read_bytes()
    assert r.targets == ["profile(profile)", "profile_detached(profile)", "counts(counts)"]
    assert r.tasks == [-1, -1, 128]
    assert r["deeplift:rescale"].n_references == 2
    assert np.abs(r["deeplift:rescale"].delta).max() < 1e-4
    with pytest.raises(ValueError, match=r"^attribution.targets: the model has heads profile \(2x64\), counts"):
        lb.attribute(m, x, "grad")


def test_commands_in_process_write_the_commands_bytes_and_raise_its_errors(tmp_path):
    smoke = SOURCE / "configs" / "smoke.ini"
    cli("simulate", "-c", smoke, "--sim.n_seqs", "60", "-o", tmp_path / "cli", "-q")
    assert lb.command("simulate", "-c", smoke, "--sim.n_seqs", 60, "-o", tmp_path / "py", "-q") == 0
    for name in ("sequences.fa", "labels.tsv", "motifs.bed", "roles.tsv", "manifest.tsv"):
        assert (tmp_path / "py" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name
    with pytest.raises(ValueError, match=r"^sim\.n_seqs: too small; expected n_seqs >= 1, got 0$"):
        lb.command("simulate", "-c", smoke, "--sim.n_seqs", 0, "-o", tmp_path / "bad", "-q")
    assert not (tmp_path / "bad").exists()
    with pytest.raises(ValueError, match=r"^options: key 'n_seqs'; expected section\.key"):
        lb.run(smoke, tmp_path / "run", options={"n_seqs": 3})
    table = lb.read_table(tmp_path / "py" / "labels.tsv")
    assert len(table) == 60 and list(table.columns)[0] == "id"


def test_attribute_takes_every_registry_method_and_a_list(MODEL):
    m = lb.Model.load(MODEL)
    x = one_hot(3, 64, 3)
    names = []
    for name, argument, uses_reference, has_delta, summary in lb.method_kinds():
        assert summary
        names.append(f"{name}:rescale" if argument == "<rules>" else name)
    r = lb.attribute(m, x, names, n_shuffles=2, smoothgrad_samples=2, ig_steps=3)
    assert list(r) == names
    for scores in r.values():
        assert scores.contributions.shape == (3, 2, 4, 64)
        assert np.isfinite(scores.contributions).all()


def test_results_do_not_depend_on_the_thread_count(MODEL, tmp_path):
    m = lb.Model.load(MODEL)
    x = one_hot(40, 64, 4)
    one = lb.attribute(m, x, "deeplift:genomics@dinuc_shuffle,ig", n_shuffles=2, chunk=4, threads=1)
    two = lb.attribute(m, x, "deeplift:genomics@dinuc_shuffle,ig", n_shuffles=2, chunk=4, threads=2)
    one.to_npz(tmp_path / "1.npz")
    two.to_npz(tmp_path / "2.npz")
    assert (tmp_path / "1.npz").read_bytes() == (tmp_path / "2.npz").read_bytes()
    np.testing.assert_array_equal(m.predict(x, threads=1), m.predict(x, threads=2))


def test_dinucleotide_shuffle_gives_the_references_of_the_methods(MODEL, tmp_path):
    m = lb.Model.load(MODEL)
    x = one_hot(5, 64, 5)
    s = lb.dinucleotide_shuffle(x, 3, seed=9)
    assert s.shape == (5, 3, 4, 64)
    assert (s.sum(axis=2) == 1).all()
    letters = x.argmax(axis=1)
    for i in range(5):
        for j in range(3):
            shuffled = s[i, j].argmax(axis=0)
            assert shuffled[0] == letters[i][0] and shuffled[-1] == letters[i][-1]
            pairs = lambda seq: sorted(zip(seq[:-1], seq[1:]))
            assert pairs(shuffled) == pairs(letters[i])
    r = lb.attribute(m, x, "deeplift:rescale@dinuc_shuffle", n_shuffles=3, seed=9, store_references=True)
    r.to_npz(tmp_path / "r.npz")
    np.testing.assert_array_equal(np.load(tmp_path / "r.npz")["deeplift:rescale@dinuc_shuffle.references"], s)


def test_load_dataset_reads_what_simulate_wrote(tmp_path):
    cli("simulate", "-c", SOURCE / "configs" / "smoke.ini", "--sim.n_seqs", "60", "-o", tmp_path / "d", "-q")
    d = lb.load_dataset(tmp_path / "d")
    assert d.onehot.shape == (60, 4, 200) and d.onehot.dtype == np.float32
    assert d.labels.shape == (60, len(d.tasks))
    assert len(d.ids) == len(d.split) == 60
    assert set(d.split) <= {"train", "valid", "test"}
    fasta = (tmp_path / "d" / "sequences.fa").read_text().split(">")[1:]
    for i, record in enumerate(fasta):
        name, seq = record.split("\n", 1)
        assert name.split()[0] == d.ids[i]
        seq = seq.replace("\n", "")
        assert "".join("ACGT"[k] for k in d.onehot[i].argmax(axis=0)) == seq
    assert d.sites and all(s.end - s.start > 0 for s in d.sites)
    site = d.sites[0]
    seq = "".join("ACGT"[k] for k in d.onehot[site.seq].argmax(axis=0))
    assert len(seq[site.start:site.end]) == site.end - site.start
    assert len(site.roles) == len(d.tasks)
    assert len(d.indices("test")) == sum(s == "test" for s in d.split)


def test_errors_carry_the_commands_messages(MODEL, tmp_path):
    m = lb.Model.load(MODEL)
    x = one_hot(2, 64, 6)
    with pytest.raises(ValueError, match=r"^X: shape \(2, 4, 63\); expected \(N, 4, 64\) for this model, got \(2, 4, 63\)$"):
        m.predict(x[:, :, :63])
    with pytest.raises(ValueError, match=r"^X: dtype <U1; expected float32"):
        m.predict(np.full((1, 4, 64), "a"))
    bad = x.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"^X: a value that is not finite at flat index 0$"):
        lb.attribute(m, bad, "grad")
    with pytest.raises(ValueError, match=r"^attribution\.methods: unknown method 'nope'; expected one of grad, "):
        lb.attribute(m, x, "nope")
    with pytest.raises(ValueError, match=r"^attribution\.n_shuffles: "):
        lb.attribute(m, x, "deeplift:rescale@shuffle", n_shuffles=0)
    with pytest.raises(ValueError, match=r"--attribution\.ig_steps"):
        lb.attribute(m, x, "ig", ig_steps="many")
    with pytest.raises(ValueError, match=r"^ids: 1 names; expected one per sequence of X, got 1 for 2 sequences$"):
        lb.attribute(m, x, "grad", ids=["a"])
    with pytest.raises(OSError, match=r"no_such\.npz: cannot open: No such file or directory$"):
        lb.Model.load(tmp_path / "no_such.npz")
    # Lossless conversions are made: float64 and C-order copies of other layouts.
    np.testing.assert_array_equal(m.predict(x.astype(np.float64)), m.predict(x))
    np.testing.assert_array_equal(m.predict(np.asfortranarray(x)), m.predict(x))


def test_from_torch_equals_the_manual_onnx_export(tmp_path):
    import torch  # python3-torch (scripts/setup.sh --tests): a missing torch fails, never skips
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Conv1d(4, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool1d(1),
                                 torch.nn.Flatten(), torch.nn.Linear(6, 3))
    m = lb.Model.from_torch(module, (4, 32))
    torch.onnx.export(module.eval(), torch.zeros(1, 4, 32), tmp_path / "m.onnx", opset_version=13,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})
    manual = lb.Model.load(tmp_path / "m.onnx")
    assert m.architecture == manual.architecture
    x = one_hot(4, 32, 7)
    np.testing.assert_array_equal(m.predict(x), manual.predict(x))
    with torch.no_grad():
        want = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(m.predict(x, logits=True), want, rtol=1e-5, atol=1e-6)


def plain_signature(f):
    """name(a, b=1, *, c=None, **options) without annotations, as docs/python.md writes it."""
    import inspect

    parts, star = [], False
    for p in inspect.signature(f).parameters.values():
        if p.name in ("self", "cls"):
            continue
        if p.kind == p.VAR_KEYWORD:
            parts.append("**" + p.name)
            continue
        if p.kind == p.VAR_POSITIONAL:
            parts.append("*" + p.name)
            star = True
            continue
        if p.kind == p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return "(" + ", ".join(parts) + ")"


DOCUMENTED = {
    "Model.load": lb.Model.load,
    "Model.from_torch": lb.Model.from_torch,
    "Model.predict": lb.Model.predict,
    "attribute": lb.attribute,
    "Attribution.to_npz": lb.Attribution.to_npz,
    "dinucleotide_shuffle": lb.dinucleotide_shuffle,
    "load_dataset": lb.load_dataset,
    "method_kinds": lb.method_kinds,
    "command": lb.command,
    "run": lb.run,
    "read_table": lb.read_table,
}


def test_docs_python_md_states_every_function_as_its_docstring_does():
    doc = (SOURCE / "docs" / "python.md").read_text()
    flat = " ".join(doc.split())
    headings = [line[len("### `"):].split("`")[0] for line in doc.splitlines() if line.startswith("### `")]
    for name, f in DOCUMENTED.items():
        assert f"### `{name}{plain_signature(f)}`" in doc, name
        first_line = " ".join(f.__doc__.strip().splitlines()[0].split())
        assert first_line in flat, f"{name}: docstring's first line not in docs/python.md"
    public = {name for name in lb.__all__}
    for h in headings:
        base = h.split("(")[0].split(",")[0].split(".")[0]
        assert base in public or base == "liftbench", h
    for name in lb.__all__:
        obj = getattr(lb, name)
        if callable(obj):
            assert obj.__doc__, f"{name} has no docstring"
