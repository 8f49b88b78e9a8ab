import numpy as np
import pytest

from evalgauge.stats import Split, stratified_split


def make_labels() -> np.ndarray:
    """Return 200 labels, 60 passing and 140 failing, in a fixed shuffled order."""
    labels = np.array([True] * 60 + [False] * 140)
    return np.random.default_rng(0).permutation(labels)


def test_split_sizes():
    split = stratified_split(make_labels())
    assert split.train.size == 100
    assert split.dev.size == 40
    assert split.test.size == 60


def test_split_disjoint_and_complete():
    split = stratified_split(make_labels())
    train, dev, test = set(split.train), set(split.dev), set(split.test)
    assert train.isdisjoint(dev)
    assert train.isdisjoint(test)
    assert dev.isdisjoint(test)
    assert train | dev | test == set(range(200))


def test_split_keeps_class_balance():
    labels = make_labels()
    split = stratified_split(labels)
    assert labels[split.train].sum() == 30
    assert labels[split.dev].sum() == 12
    assert labels[split.test].sum() == 18


def test_split_balance_with_rounding():
    labels = np.array(["pass"] * 7 + ["fail"] * 13 + ["error"] * 4)
    split = stratified_split(labels, fractions=(0.6, 0.2, 0.2))
    for name, count in [("pass", 7), ("fail", 13), ("error", 4)]:
        sizes = [int(np.sum(labels[part] == name)) for part in (split.train, split.dev, split.test)]
        ideal = [count * fraction for fraction in (0.6, 0.2, 0.2)]
        assert sum(sizes) == count
        assert min(sizes) >= 1
        assert all(abs(size - share) < 1 for size, share in zip(sizes, ideal, strict=True))


def test_split_every_class_in_every_part():
    labels = np.array([1, 1, 1] + [0] * 97)
    split = stratified_split(labels, fractions=(0.8, 0.1, 0.1))
    assert labels[split.train].sum() == 1
    assert labels[split.dev].sum() == 1
    assert labels[split.test].sum() == 1


def test_split_two_scarce_cases():
    labels = np.array([1, 1] + [0] * 20)
    split = stratified_split(labels)
    assert labels[split.test].sum() == 1
    assert labels[split.train].sum() == 1
    assert labels[split.dev].sum() == 0


def test_split_one_scarce_case():
    labels = np.array([0] * 20 + [1])
    split = stratified_split(labels)
    assert 20 in split.test
    assert 20 not in split.train
    assert 20 not in split.dev


def test_split_deterministic():
    first = stratified_split(make_labels(), seed=11)
    second = stratified_split(make_labels(), seed=11)
    assert np.array_equal(first.train, second.train)
    assert np.array_equal(first.dev, second.dev)
    assert np.array_equal(first.test, second.test)


def test_split_seed_changes_split():
    first = stratified_split(make_labels(), seed=11)
    second = stratified_split(make_labels(), seed=12)
    assert not np.array_equal(first.train, second.train)


def test_split_indices_sorted_read_only():
    split = stratified_split(make_labels())
    assert isinstance(split, Split)
    assert np.all(np.diff(split.train) > 0)
    assert split.train.dtype == np.intp
    with pytest.raises(ValueError, match="read-only"):
        split.train[0] = 5


def test_split_accepts_list():
    split = stratified_split([True, False, True, False, True, False])
    assert split.train.size + split.dev.size + split.test.size == 6


@pytest.mark.parametrize(
    ("fractions", "fragment"),
    [
        ((0.5, 0.5, 0.5), "must sum to 1"),
        ((0.5, 0.2, 0.2), "must sum to 1"),
        ((0.8, 0.0, 0.2), "must be positive"),
        ((1.2, -0.1, -0.1), "must be positive"),
        ((0.5, 0.5), "must contain 3 values"),
        ((0.5, float("nan"), 0.5), "must be positive"),
    ],
)
def test_split_invalid_fractions_raise(fractions, fragment):
    with pytest.raises(ValueError, match=fragment):
        stratified_split(make_labels(), fractions=fractions)


def test_split_empty_labels_raise():
    with pytest.raises(ValueError, match="labels is empty"):
        stratified_split([])
