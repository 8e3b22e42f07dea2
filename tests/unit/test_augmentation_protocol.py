"""The augmentation protocol engine on feature arrays (issue 16, first part): TRTR/TSTR/TRTS, augmentation gain,
per-class fidelity (PRDC, α-precision/β-recall/authenticity), label noise and memorisation (DCR).

Data: Gaussian clusters (one per emotion) with a per-speaker offset; every protocol number is recomputed from the
same split directly with scikit-learn (GroupShuffleSplit, StandardScaler + LogisticRegression/LinearSVC and the
sklearn.metrics functions), α/β/authenticity against a brute-force loop over the paper's definitions, and the
paired test against scipy.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, recall_score
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from emoeval.errors import RunConfigError
from emoeval.functional import augmentation as aug

EMOTIONS = ("angry", "happy", "neutral", "sad")
D = 6
N_SPLITS = 8


def clusters(rng: np.random.Generator, per_class: dict[str, int], speakers: int, spread: float = 1.0):
    """Features of ``speakers`` speakers, ``per_class[e]`` samples of emotion e each: emotion centre + speaker
    offset + noise."""
    centres = {e: 2.0 * np.eye(D)[i] for i, e in enumerate(EMOTIONS)}
    offsets = rng.normal(0.0, 0.3, (speakers, D))
    x, y, g = [], [], []
    for s in range(speakers):
        for emotion, n in per_class.items():
            x.append(centres[emotion] + offsets[s] + rng.normal(0.0, spread, (n, D)))
            y += [emotion] * n
            g += [f"spk{s:02d}"] * n
    return np.vstack(x), np.array(y), np.array(g, dtype=object)


@pytest.fixture(scope="module")
def real():
    # imbalanced: "sad" is the minority emotion
    return clusters(np.random.default_rng(1), {"angry": 8, "happy": 8, "neutral": 8, "sad": 3}, speakers=12)


@pytest.fixture(scope="module")
def synth():
    x, y, _ = clusters(np.random.default_rng(2), dict.fromkeys(EMOTIONS, 8), speakers=10)
    return x, y


def sklearn_scores(y_true, y_pred):
    return {
        ("accuracy", None): accuracy_score(y_true, y_pred),
        ("balanced_accuracy", None): balanced_accuracy_score(y_true, y_pred),
        ("macro_f1", None): f1_score(y_true, y_pred, average="macro"),
        **{
            ("recall", e): r
            for e, r in zip(EMOTIONS, recall_score(y_true, y_pred, labels=list(EMOTIONS), average=None), strict=True)
        },
    }


def direct_model(learner):
    if learner == "logistic":  # emoeval's probe: reference_models/emotion_probe.py
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000))
    return make_pipeline(StandardScaler(), LinearSVC(C=1.0, class_weight="balanced", max_iter=20000, random_state=0))


# -- splits --------------------------------------------------------------------------------------------------------


def test_group_splits_are_gss_splits_and_never_share_a_group(real):
    _, _, groups = real
    splits = aug.group_splits(groups, n_splits=N_SPLITS, test_size=0.25, seed=3)
    expected = list(GroupShuffleSplit(n_splits=N_SPLITS, test_size=0.25, random_state=3).split(groups, groups=groups))
    assert len(splits) == N_SPLITS
    for (train, test), (e_train, e_test) in zip(splits, expected, strict=True):
        np.testing.assert_array_equal(train, np.sort(e_train))
        np.testing.assert_array_equal(test, np.sort(e_test))
        assert not set(groups[train]) & set(groups[test])
        assert len(train) + len(test) == len(groups)


def test_a_split_with_one_group_on_both_sides_is_refused():
    groups = np.array(["a", "a", "b", "b"], dtype=object)
    with pytest.raises(RuntimeError, match="group leakage"):
        aug.check_group_disjoint(groups, np.array([0, 2]), np.array([1, 3]))
    aug.check_group_disjoint(groups, np.array([0, 1]), np.array([2, 3]))  # a clean split passes


@pytest.mark.parametrize(("groups", "match"), [(["a"] * 5, "at least 2 distinct groups"), (["a", "b"], "no group")])
def test_too_few_groups_is_a_clear_error(groups, match):
    with pytest.raises(RunConfigError, match=match):
        aug.group_splits(groups, n_splits=3, test_size=0.6 if len(groups) == 2 else 0.25, seed=0)


# -- TRTR / TSTR / TRTS --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("learner", ["logistic", "linear_svm"])
def test_every_protocol_number_equals_a_direct_sklearn_computation(real, synth, learner):
    xr, yr, gr = real
    xs, ys = synth
    rows = aug.tstr(xr, yr, gr, xs, ys, learners=(learner,), n_splits=N_SPLITS, seed=5)
    per = {p: [] for p in aug.PROTOCOLS}
    for train, test in GroupShuffleSplit(n_splits=N_SPLITS, test_size=0.25, random_state=5).split(xr, groups=gr):
        real_model = direct_model(learner).fit(xr[train], yr[train])
        synth_model = direct_model(learner).fit(xs, ys)
        per["TRTR"].append(sklearn_scores(yr[test], real_model.predict(xr[test])))
        per["TSTR"].append(sklearn_scores(yr[test], synth_model.predict(xr[test])))
        per["TRTS"].append(sklearn_scores(ys, real_model.predict(xs)))
    assert len(rows) == 3 * (3 + len(EMOTIONS))
    for row in rows:
        values = np.array([s[(row.metric, row.emotion)] for s in per[row.protocol]])
        np.testing.assert_allclose(row.per_split, values, atol=1e-12)
        assert row.value == pytest.approx(values.mean(), abs=1e-12)
        assert (row.ci_low, row.ci_high) == pytest.approx(tuple(np.percentile(values, [2.5, 97.5])), abs=1e-12)
        assert row.n_splits == N_SPLITS and row.learner == learner
    trtr = {(r.metric, r.emotion): r for r in rows if r.protocol == "TRTR"}
    print(
        f"\n{learner}: TRTR bal.acc {trtr[('balanced_accuracy', None)].value:.3f} "
        f"[{trtr[('balanced_accuracy', None)].ci_low:.3f}, {trtr[('balanced_accuracy', None)].ci_high:.3f}]"
    )


def test_same_seed_same_numbers_other_seed_other_splits(real, synth):
    xr, yr, gr = real
    xs, ys = synth
    first = aug.tstr(xr, yr, gr, xs, ys, n_splits=4, seed=11)
    again = aug.tstr(xr, yr, gr, xs, ys, n_splits=4, seed=11)
    other = aug.tstr(xr, yr, gr, xs, ys, n_splits=4, seed=12)
    assert first == again
    assert [r.per_split for r in first] != [r.per_split for r in other]
    frame = aug.to_frame(first)
    assert list(frame.columns[:4]) == ["protocol", "learner", "metric", "emotion"] and len(frame) == len(first)


def test_wrong_labels_give_tstr_below_trtr_and_no_gain(real, synth):
    xr, yr, gr = real
    xs, ys = synth
    shift = {e: EMOTIONS[(i + 1) % len(EMOTIONS)] for i, e in enumerate(EMOTIONS)}
    wrong = np.array([shift[e] for e in ys])
    rows = {(r.protocol, r.metric): r for r in aug.tstr(xr, yr, gr, xs, wrong, n_splits=N_SPLITS) if r.emotion is None}
    assert rows[("TSTR", "balanced_accuracy")].value < rows[("TRTR", "balanced_accuracy")].value - 0.3
    gains, _ = aug.augmentation_gain(
        xr, yr, gr, xs, wrong, real_fractions=(0.25, 1.0), ratios=(1.0,), n_splits=N_SPLITS
    )
    overall = [g for g in gains if g.emotion is None]
    print("\nwrong labels:", [(g.real_fraction, g.metric, round(g.gain, 3), round(g.p_value, 3)) for g in overall])
    assert all(g.gain <= 0 for g in overall)
    assert all(g.p_value > 0.5 for g in overall)


# -- augmentation gain ---------------------------------------------------------------------------------------------


def test_gain_numbers_equal_a_direct_paired_computation(real, synth):
    xr, yr, gr = real
    xs, ys = synth
    gains, efficiency = aug.augmentation_gain(
        xr, yr, gr, xs, ys, real_fractions=(0.25, 1.0), ratios=(0.5, 2.0), n_splits=5, seed=4
    )
    splits = list(GroupShuffleSplit(n_splits=5, test_size=0.25, random_state=4).split(xr, groups=gr))
    fractions, ratios = (0.25, 1.0), (0.5, 2.0)
    for fi, fraction in enumerate(fractions):
        for ri, ratio in enumerate(ratios):
            base_scores, aug_scores, n_test, n_total = [], [], [], []
            for si, (train, test) in enumerate(splits):
                train = np.sort(train)
                # the documented sampling: stratified real subset seeded (seed, split, fraction), synth (…, ratio, 1)
                subset = train[aug.stratified_subset(yr[train], fraction, np.random.default_rng([4, si, fi]))]
                n_syn = min(round(ratio * len(subset)), len(xs))
                extra = np.sort(np.random.default_rng([4, si, fi, ri, 1]).choice(len(xs), size=n_syn, replace=False))
                base = direct_model("logistic").fit(xr[subset], yr[subset])
                both = direct_model("logistic").fit(np.vstack([xr[subset], xs[extra]]), np.r_[yr[subset], ys[extra]])
                base_scores.append(sklearn_scores(yr[test], base.predict(xr[test])))
                aug_scores.append(sklearn_scores(yr[test], both.predict(xr[test])))
                n_test.append(len(test))
                n_total.append(len(subset) + n_syn)
            for row in (g for g in gains if g.real_fraction == fraction and g.ratio == ratio):
                b = np.array([s[(row.metric, row.emotion)] for s in base_scores])
                a = np.array([s[(row.metric, row.emotion)] for s in aug_scores])
                np.testing.assert_allclose(row.per_split, a - b, atol=1e-12)
                assert row.gain == pytest.approx((a - b).mean(), abs=1e-12)
                assert row.baseline == pytest.approx(b.mean(), abs=1e-12)
                assert row.augmented == pytest.approx(a.mean(), abs=1e-12)
                # Nadeau–Bengio corrected t: scipy's t distribution on the hand-corrected statistic
                diff = a - b
                if diff.std() > 0:
                    t = diff.mean() / math.sqrt((1 / 5 + np.mean(n_test) / np.mean(n_total)) * diff.var(ddof=1))
                    assert row.p_value == pytest.approx(stats.t.sf(t, df=4), rel=1e-9)
    assert {(e.real_fraction, e.ratio, e.metric) for e in efficiency} == {
        (f, r, m) for f in fractions for r in ratios for m in aug.OVERALL_METRICS
    }
    print(
        "\ngain (bal.acc):",
        [
            (g.real_fraction, g.ratio, round(g.gain, 3), round(g.p_value, 4))
            for g in gains
            if g.metric == "balanced_accuracy"
        ],
    )
    print(
        "label efficiency (bal.acc):",
        [
            (e.real_fraction, e.ratio, round(e.equivalent_fraction, 3), e.note)
            for e in efficiency
            if e.metric == "balanced_accuracy"
        ],
    )


def test_uncorrected_gain_test_is_scipys_paired_t_test():
    rng = np.random.default_rng(0)
    base = rng.uniform(0.5, 0.7, 15)
    augmented = base + rng.normal(0.01, 0.02, 15)
    expected = stats.ttest_rel(augmented, base, alternative="greater").pvalue
    assert aug.paired_gain_test(augmented - base) == pytest.approx(expected, rel=1e-10)
    assert aug.paired_gain_test(augmented - base, n_train=300, n_test=100) > expected  # the correction is conservative
    assert aug.paired_gain_test(np.zeros(5)) == 1.0 and math.isnan(aug.paired_gain_test([0.1]))


def test_near_copies_are_flagged_and_give_no_gain(real):
    xr, yr, gr = real
    rng = np.random.default_rng(9)
    copies = xr + rng.normal(0.0, 1e-3, xr.shape)  # one near-copy of every real sample, from the same speaker
    ids = [f"copy{i:03d}" for i in range(len(copies))]
    gains, _ = aug.augmentation_gain(
        xr, yr, gr, copies, yr, groups_synth=gr, real_fractions=(1.0,), ratios=(1.0, 2.0), n_splits=N_SPLITS
    )
    overall = {(g.metric, g.ratio): g for g in gains if g.emotion is None}
    print(
        "\nnear copies:", {m: (round(g.gain, 4), round(g.ci_low, 4), round(g.ci_high, 4)) for m, g in overall.items()}
    )
    for g in overall.values():
        assert abs(g.gain) < 0.02 and g.ci_low <= 0.0 <= g.ci_high
        # the copies of test-fold speakers were left out: the pool is one copy per training item, so even the 2x
        # ratio is capped at the training-fold size (it would reach 2x with the test speakers' copies in the pool)
        assert g.n_synth_train == g.n_real_train
    splits = aug.group_splits(gr, n_splits=N_SPLITS, seed=0)
    tstr_rows = aug.tstr(xr, yr, gr, copies, yr, groups_synth=gr, n_splits=N_SPLITS)
    per_split_train = [len(train) for train, _ in splits]
    assert {r.n_train for r in tstr_rows if r.protocol == "TSTR"} == {round(np.mean(per_split_train))}
    train, test = aug.group_splits(gr, n_splits=1, seed=0)[0]
    memo = aug.distance_to_closest_record(xr[train], xr[test], copies[train], ids=[ids[i] for i in train])
    assert memo.share_flagged == 1.0 and memo.flagged_ids == [ids[i] for i in train]
    fresh = clusters(np.random.default_rng(5), dict.fromkeys(EMOTIONS, 8), speakers=4)[0]
    assert aug.distance_to_closest_record(xr[train], xr[test], fresh).share_flagged < 0.2
    print(
        f"DCR: copies flagged {memo.share_flagged:.2f}, threshold {memo.threshold:.3f}, "
        f"median ratio {memo.median_ratio:.4f}"
    )


def test_dcr_equals_brute_force_distances(real):
    xr, _, gr = real
    train, test = aug.group_splits(gr, n_splits=1, seed=1)[0]
    synth = xr[test][:10] + 0.5
    memo = aug.distance_to_closest_record(xr[train], xr[test], synth, quantile=0.05)
    brute_synth = np.array([min(np.linalg.norm(s - t) for t in xr[train]) for s in synth])
    brute_test = np.array([min(np.linalg.norm(s - t) for t in xr[train]) for s in xr[test]])
    np.testing.assert_allclose(memo.synth_dcr, brute_synth, rtol=1e-10)
    np.testing.assert_allclose(memo.test_dcr, brute_test, rtol=1e-10)
    assert memo.threshold == pytest.approx(np.percentile(brute_test, 5))
    np.testing.assert_array_equal(memo.flagged, brute_synth < np.percentile(brute_test, 5))


def test_exact_duplicates_by_content_hash():
    import hashlib

    real = {"r1": b"face-1", "r2": b"face-2", "r3": b"face-1"}
    synth = {"s1": b"face-1", "s2": b"other", "s3": hashlib.sha256(b"face-2").hexdigest()}
    assert aug.content_hash(b"face-1") == hashlib.sha256(b"face-1").hexdigest()
    assert aug.exact_duplicates(real, synth) == {"s1": ["r1", "r3"], "s3": ["r2"]}


# -- fidelity ------------------------------------------------------------------------------------------------------


def brute_alpha_beta(real, synth, n_alphas=30, k=1):
    """The definitions of Alaa et al. (2022), one sample at a time with plain loops."""
    dist = lambda a, b: math.sqrt(sum((p - q) ** 2 for p, q in zip(a, b, strict=True)))  # noqa: E731
    alphas = np.linspace(0, 1, n_alphas)
    c_r, c_g = real.mean(axis=0), synth.mean(axis=0)
    r_to_c = [dist(x, c_r) for x in real]
    g_to_cg = [dist(x, c_g) for x in synth]
    precision, recall = [], []
    for a in alphas:
        radius = np.quantile(r_to_c, a)
        precision.append(np.mean([dist(x, c_r) <= radius for x in synth]))
        support = [x for x, d in zip(synth, g_to_cg, strict=True) if d <= np.quantile(g_to_cg, a)]
        covered = 0
        for i, x in enumerate(real):
            knn = sorted(dist(x, z) for j, z in enumerate(real) if j != i)[k - 1]
            covered += bool(support) and min(dist(x, z) for z in support) <= knn
        recall.append(covered / len(real))
    authentic = []
    for x in synth:
        d = [dist(x, z) for z in real]
        i = int(np.argmin(d))
        nn = min(dist(real[i], z) for j, z in enumerate(real) if j != i)
        authentic.append(d[i] > nn)
    return np.array(precision), np.array(recall), float(np.mean(authentic))


@pytest.mark.parametrize("shift", [0.0, 0.7])
def test_alpha_precision_beta_recall_authenticity_equal_the_brute_force_definitions(shift):
    rng = np.random.default_rng(3)
    real = rng.normal(0, 1, (60, 3))
    synth = np.vstack([rng.normal(shift, 1.3, (35, 3)), real[:5] + 1e-4])  # 5 near-copies are unauthentic
    got = aug.alpha_precision_beta_recall(real, synth)
    precision, recall, authenticity = brute_alpha_beta(real, synth)
    np.testing.assert_allclose(got.alpha_precision, precision, atol=1e-12)
    np.testing.assert_allclose(got.beta_recall, recall, atol=1e-12)
    assert got.authenticity == pytest.approx(authenticity)
    assert not got.authentic[-5:].any()
    alphas = np.linspace(0, 1, 30)
    assert got.integrated_alpha_precision == pytest.approx(1 - np.abs(precision - alphas).sum() / alphas.sum())
    print(
        f"\nshift {shift}: IPα {got.integrated_alpha_precision:.3f}, IRβ {got.integrated_beta_recall:.3f}, "
        f"authenticity {got.authenticity:.3f}"
    )


def test_a_missing_emotion_has_zero_coverage_and_balance_and_label_noise(real, synth):
    xr, yr, _ = real
    xs, ys = synth
    keep = ys != "sad"
    rows = aug.per_class_fidelity(xr, yr, xs[keep], ys[keep], k=5)
    value = {(r["emotion"], r["metric"]): r["value"] for r in rows}
    assert value[("sad", "coverage")] == 0.0 and value[("sad", "recall")] == 0.0
    assert math.isnan(value[("sad", "precision")])
    from emoeval.functional.distribution import prdc

    for emotion in ("angry", "happy", "neutral"):
        expected = prdc(xr[yr == emotion], xs[keep][ys[keep] == emotion], k=5)
        for metric, v in expected.items():
            assert value[(emotion, metric)] == pytest.approx(v)
        assert value[(emotion, "coverage")] > 0.3
    balance = aug.class_balance(ys[keep], classes=EMOTIONS)
    assert balance["sad"] == {"count": 0.0, "share": 0.0} and balance["_imbalance"]["ratio"] == math.inf
    assert balance["angry"]["share"] == pytest.approx(1 / 3)

    intended = np.array(["happy"] * 4 + ["sad"] * 2)
    predicted = np.array(["happy", "happy", "sad", "happy", "sad", "angry"])
    noise = aug.label_noise(intended, predicted)
    assert noise["happy"] == {"rate": 0.25, "n": 4.0} and noise["sad"]["rate"] == 0.5
    assert noise[None]["rate"] == pytest.approx(1 - accuracy_score(intended, predicted))


def test_equivalent_fraction_interpolates_the_real_only_curve():
    fractions, curve = [0.1, 0.25, 0.5, 1.0], [0.4, 0.55, 0.7, 0.75]
    assert aug.equivalent_fraction(fractions, curve, 0.625)[0] == pytest.approx(np.interp(0.625, curve, fractions))
    assert aug.equivalent_fraction(fractions, curve, 0.9) == (pytest.approx(float("nan"), nan_ok=True), "above curve")
    assert aug.equivalent_fraction(fractions, curve, 0.3)[1] == "below curve"


@pytest.mark.parametrize("case", range(40))
def test_classification_scores_equal_sklearns_metrics(case):
    # the fast confusion-matrix computation against scikit-learn on random folds: classes missing from y_true,
    # predicted labels the fold lacks, a label only predicted, one-class folds
    rng = np.random.default_rng(case)
    vocabulary = ["angry", "happy", "neutral", "sad", "surprise"]
    n = int(rng.integers(1, 30))
    true = rng.choice(vocabulary[: int(rng.integers(1, 5))], n)
    pred = np.where(rng.random(n) < 0.6, true, rng.choice(vocabulary, n))
    found = aug.classification_scores(true, pred, vocabulary[:4])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert found[("accuracy", None)] == pytest.approx(accuracy_score(true, pred), abs=1e-12)
        assert found[("balanced_accuracy", None)] == pytest.approx(balanced_accuracy_score(true, pred), abs=1e-12)
        assert found[("macro_f1", None)] == pytest.approx(
            f1_score(true, pred, average="macro", zero_division=0.0), abs=1e-12
        )
        recalls = recall_score(true, pred, labels=vocabulary[:4], average=None, zero_division=0.0)
    for emotion, expected in zip(vocabulary[:4], recalls, strict=True):
        if emotion in set(true.tolist()):
            assert found[("recall", emotion)] == pytest.approx(expected, abs=1e-12)
        else:
            assert math.isnan(found[("recall", emotion)])
