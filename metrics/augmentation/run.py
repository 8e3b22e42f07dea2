"""Running an augmentation study end to end: read the sets, run :func:`~.study.run_study`, and return (and
write) a :class:`~emoeval.results.Results` in the standard long table with provenance.

The results folder works like a scoring run's: it is locked while the study runs, a folder holding another
run's results is refused without ``overwrite``, and ``run.json`` (``"kind": "augmentation"``) records the
settings, the inputs (counts per set, sample files for the report's gallery), the models with their weight
hashes and the environment.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoeval.augmentation_rows import KIND
from emoeval.errors import RunConfigError, SampleInputError

if TYPE_CHECKING:
    import pandas as pd

    from emoeval.context import ScoringContext
    from emoeval.reference_models.base import ModelPool
    from emoeval.results import Results
    from emoeval.samples import Sample


def _load(source: Any, label_set: str | None, what: str) -> list[Sample]:
    from emoeval.samples import load_samples

    samples = load_samples(source, label_set=label_set)
    if not samples:
        raise RunConfigError(f"the {what} set {_describe(source)} holds no sample")
    modalities = sorted({s.modality for s in samples})
    if len(modalities) > 1:
        raise RunConfigError(f"the {what} set {_describe(source)} mixes modalities {modalities}; give one per study")
    return samples


def _describe(source: Any) -> str:
    return str(source) if isinstance(source, str | Path) else type(source).__name__


def synthetic_sets(
    synthetic: Mapping[str, Any] | Sequence[str | Path], label_set: str | None
) -> dict[str, list[Sample]]:
    """Synthetic sets by name: the keys of a mapping, or the ``system`` values of each manifest in a list (a
    manifest with several systems gives several sets)."""
    sets: dict[str, list[Sample]] = {}
    if isinstance(synthetic, Mapping):
        for name, source in synthetic.items():
            sets[str(name)] = _load(source, label_set, f"synthetic {name!r}")
        return sets
    if isinstance(synthetic, str | Path):
        synthetic = [synthetic]
    for source in synthetic:
        for sample in _load(source, label_set, "synthetic"):
            sets.setdefault(sample.system, []).append(sample)
    if not sets:
        raise RunConfigError("give at least one synthetic set")
    return sets


def _content_digest(samples: Sequence[Sample]) -> list[str]:
    """Content hashes of a set's outputs (an unreadable one hashes its id, so the config hash still exists)."""
    from emoeval.context import content_key
    from emoeval.metrics.augmentation.features import model_input

    keys = []
    for sample in samples:
        try:
            keys.append(f"{sample.sample_id}:{sample.target_emotion}:{content_key(model_input(sample))[0]}")
        except SampleInputError:
            keys.append(f"{sample.sample_id}:{sample.target_emotion}:unreadable")
    return keys


def run_augmentation(
    context: ScoringContext,
    real: Any,
    synthetic: Mapping[str, Any] | Sequence[str | Path],
    *,
    out: Path | None,
    features: str | Sequence[str] | None,
    group_by: str,
    learners: tuple[str, ...],
    real_fractions: tuple[float, ...],
    ratios: tuple[float, ...],
    cross_domain: Mapping[str, Any] | None,
    label_set: str | None,
    n_splits: int,
    test_size: float,
    n_bootstrap: int,
    confidence: float,
    seed: int,
    memorisation_quantile: float,
    near_duplicate_bits: int,
    real_name: str,
    overwrite: bool,
    progress: bool,
) -> Results:
    """See :func:`emoeval.augment`."""
    from threadpoolctl import threadpool_limits

    from emoeval.functional.augmentation import LEARNERS
    from emoeval.metrics.augmentation.features import feature_models
    from emoeval.metrics.augmentation.study import AugmentationSettings, run_study
    from emoeval.results import Results, results_frame
    from emoeval.runner.folder import RunFolder
    from emoeval.runner.record import environment, models_record
    from emoeval.version import __version__

    started = time.perf_counter()
    unknown = [learner for learner in learners if learner not in LEARNERS]
    if unknown or not learners:
        raise RunConfigError(f"unknown learner(s) {unknown or '(none given)'}; known: {', '.join(LEARNERS)}")
    real_samples = _load(real, label_set, "real")
    modality = real_samples[0].modality
    synth = synthetic_sets(synthetic, label_set)
    targets = {
        str(name): _load(source, label_set, f"cross-domain {name!r}") for name, source in (cross_domain or {}).items()
    }
    for name, samples in [*synth.items(), *targets.items()]:
        if samples[0].modality != modality:
            raise RunConfigError(f"set {name!r} holds {samples[0].modality} samples but the real set {modality}")
    settings = AugmentationSettings(
        features=feature_models(features, modality),
        group_by=group_by,
        learners=learners,
        real_fractions=real_fractions,
        ratios=ratios,
        n_splits=n_splits,
        test_size=test_size,
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        seed=seed,
        memorisation_quantile=memorisation_quantile,
        near_duplicate_bits=near_duplicate_bits,
        real_name=real_name,
    )
    pool = context.pool
    fingerprints = {name: pool.fingerprint(name) for name in settings.features}  # resolves weights: fails fast
    config = {
        "kind": KIND,
        "settings": settings.as_dict(),
        "models": fingerprints,
        "emoeval_version": __version__,
        "inputs": {
            "real": _content_digest(real_samples),
            "synthetic": {name: _content_digest(samples) for name, samples in sorted(synth.items())},
            "cross_domain": {name: _content_digest(samples) for name, samples in sorted(targets.items())},
        },
    }
    config_hash = hashlib.sha256(json.dumps(config, sort_keys=True).encode("utf-8")).hexdigest()
    now = datetime.now(UTC)
    created_at = now.isoformat(timespec="seconds")
    run_id = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{config_hash[:8]}"
    cards = [pool.card(name) for name in settings.features]
    model = "+".join(f"{card.name}@{card.version}" for card in cards)
    model_sha = "+".join(pool.weights_sha256(name) for name in settings.features)

    folder = RunFolder(out) if out is not None else None
    if folder is not None:
        folder.acquire()
    try:
        if folder is not None:
            header = {"run_id": run_id, "config_hash": config_hash, "kind": KIND, "created_at": created_at}
            header, _ = folder.start(header, resume=False, overwrite=overwrite)
        say = _reporter(progress)
        # One BLAS thread: the study fits hundreds of small recognisers, where OpenBLAS's own threads only
        # contend (5-30x slower on 2 busy cores, bench/bench_augmentation.py). Torch models keep their threads.
        # threadpoolctl limits only the libraries loaded when it is entered: load scipy's BLAS (scikit-learn) first.
        import sklearn.linear_model  # noqa: F401

        with threadpool_limits(limits=1, user_api="blas"):
            study = run_study(
                context,
                real_samples,
                synth,
                settings,
                cross_domain=targets,
                provenance=(model, model_sha),
                progress=say,
            )
        for row in study.rows:
            row.update(run_id=run_id, emoeval_version=__version__, config_hash=config_hash, created_at=created_at)
        table = results_frame(study.rows)
        run = {
            "run_id": run_id,
            "kind": KIND,
            "status": "complete",
            "created_at": created_at,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - started, 3),
            "emoeval_version": __version__,
            "config_hash": config_hash,
            "config": {"augmentation": settings.as_dict()},
            "inputs": {
                "source": {
                    "real": _describe(real),
                    "synthetic": {name: _describe(source) for name, source in synthetic.items()}
                    if isinstance(synthetic, Mapping)
                    else [
                        _describe(source)
                        for source in ([synthetic] if isinstance(synthetic, str | Path) else synthetic)
                    ],
                    "cross_domain": {name: _describe(source) for name, source in (cross_domain or {}).items()},
                },
                "modality": modality,
                "sets": {
                    name: {
                        "role": "real" if name == real_name else "cross_domain" if name in targets else "synthetic",
                        "n_samples": len(labelled.ids) + len(labelled.errors),
                        "n_used": len(labelled.ids),
                        "emotions": _counts(labelled.labels.tolist()),
                    }
                    for name, labelled in study.sets.items()
                },
                "media": {
                    name: {
                        sample_id: str(sample.parts["output"].value)
                        for sample_id, sample in labelled.samples.items()
                        if isinstance(sample.parts["output"].value, Path)
                    }
                    for name, labelled in study.sets.items()
                },
            },
            "notes": study.notes,
            "models": models_record(pool),
            "environment": environment(),
        }
        results = Results(table=table, run=run)
        if folder is not None and out is not None:
            results.write(out)
            folder.finish()
        return results
    finally:
        if folder is not None:
            folder.close()


def augment(
    real: str | Path | pd.DataFrame | Sequence[Sample],
    synthetic: Mapping[str, str | Path | pd.DataFrame | Sequence[Sample]] | Sequence[str | Path],
    out: str | Path | None = None,
    *,
    features: str | Sequence[str] | None = None,
    group_by: str = "group",
    learners: Sequence[str] = ("logistic",),
    real_fractions: Sequence[float] = (0.1, 0.25, 0.5, 1.0),
    ratios: Sequence[float] = (0.5, 1.0, 2.0),
    cross_domain: Mapping[str, str | Path | pd.DataFrame | Sequence[Sample]] | None = None,
    label_set: str | None = None,
    n_splits: int = 20,
    test_size: float = 0.25,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    memorisation_quantile: float = 0.05,
    near_duplicate_bits: int = 8,
    real_name: str = "real",
    overwrite: bool = False,
    weights: Mapping[str, str | Path] | None = None,
    models_dir: str | Path | None = None,
    allow_network: bool | None = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    progress: bool | None = None,
    model_pool: ModelPool | None = None,
) -> Results:
    """Does synthetic data help an emotion recogniser on real data, for which emotions, and is it copying?

    Frozen features of a reference model (``features``; default per modality, see
    :mod:`emoeval.metrics.augmentation.features`) feed a recogniser (standardisation + logistic regression, the
    emotion probe's recipe; ``learners=("logistic", "linear_svm")`` adds a linear SVM). The study runs
    TRTR/TSTR/TRTS, augmentation gain curves over ``real_fractions`` × ``ratios`` with a paired test, label
    efficiency, cross-domain tests (``cross_domain={"name": corpus}``), per-class fidelity (PRDC, α-precision,
    β-recall, authenticity), label noise, class balance and memorisation (DCR, exact and perceptual duplicates);
    see :mod:`emoeval.metrics.augmentation.study` for the rows.

    Args:
        real: the real labelled set (manifest, folder, DataFrame or samples): ``target_emotion`` is the emotion,
            ``group_by`` names the speaker/identity column. Its test folds are used for nothing but testing.
            A ``split`` column with ``train``/``test`` values says which real items the generator was trained on
            (DCR is then measured against those); without it, against all real items.
        synthetic: ``{name: set}``, or manifests whose ``system`` column names each synthetic set.
        out: folder for ``results.parquet``/``results.csv``/``run.json`` (``overwrite`` to replace a study).
        group_by: ``group`` (the manifest's group column), ``sample_id`` (independent items) or a column name.
        n_splits / test_size: repeated group-aware splits (a share of the groups is the test fold).
        n_bootstrap: cluster-bootstrap resamples of the cross-domain intervals.
    Other arguments as in :func:`emoeval.score`.
    """
    import sys

    from emoeval.api import build_model_pool
    from emoeval.cache import OutputCache, default_cache_dir
    from emoeval.context import ScoringContext

    if not 0 < confidence < 1:
        raise RunConfigError(f"confidence must be between 0 and 1, got {confidence}")
    pool = build_model_pool(model_pool, weights=weights, models_dir=models_dir, allow_network=allow_network)
    cache = OutputCache(Path(cache_dir) if cache_dir is not None else default_cache_dir()) if use_cache else None
    return run_augmentation(
        ScoringContext(pool, cache),
        real,
        synthetic,
        out=Path(out) if out is not None else None,
        features=features,
        group_by=group_by,
        learners=tuple(learners),
        real_fractions=tuple(float(f) for f in real_fractions),
        ratios=tuple(float(r) for r in ratios),
        cross_domain=cross_domain,
        label_set=label_set,
        n_splits=n_splits,
        test_size=test_size,
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        seed=seed,
        memorisation_quantile=memorisation_quantile,
        near_duplicate_bits=near_duplicate_bits,
        real_name=real_name,
        overwrite=overwrite,
        progress=sys.stderr.isatty() if progress is None else progress,
    )


def _counts(labels: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for label in labels:
        found[label] = found.get(label, 0) + 1
    return dict(sorted(found.items()))


def _reporter(progress: bool) -> Any:
    import sys

    def say(message: str) -> None:
        if progress:
            print(f"emoeval augment: {message}", file=sys.stderr, flush=True)

    return say


__all__ = ["KIND", "augment", "run_augmentation", "synthetic_sets"]
