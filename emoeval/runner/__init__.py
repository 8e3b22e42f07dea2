"""The runner: plan which metrics apply to which samples, score them in batches, and never lose work.

One module per concern:

- :mod:`~emoeval.runner.plan` — **plan**: each metric applies to the samples of its modality that carry every
  input it requires (declared inputs with a media type are read as typed parts); the others are counted as
  skipped, with the reason, in ``run.json``. Every model a planned metric uses has its files resolved and
  verified before any scoring, so a missing weight fails the run at once — without loading the model.
- :mod:`~emoeval.runner.keys` — **cache keys** and the config hash, computed without loading a model.
- :mod:`~emoeval.runner.execute` — **score**: sample metrics run in batches, each verdict read from the cache
  when its key matches; a bad sample becomes an error row and the run goes on. Corpus metrics collect one
  state per sample and compute one value per system. Models load only when an output is not cached.
- :mod:`~emoeval.runner.rows` — **result rows** with provenance; system means with seeded intervals.
- :mod:`~emoeval.runner.folder` — **the output folder**: locked for the run, rows flushed after each batch, an
  interrupted run with the same configuration resumes keeping only rows of that configuration.
- :mod:`~emoeval.runner.record` — **run.json**: inputs, configuration (each metric's outputs and headline
  included), plan, models with weight hashes, environment.
"""

from emoeval.runner.execute import Runner
from emoeval.runner.folder import PARTIAL_ROWS, RUN_PARTIAL_JSON
from emoeval.runner.keys import config_hash, metric_key, sample_score_key
from emoeval.runner.plan import PlanEntry, plan

__all__ = [
    "PARTIAL_ROWS",
    "RUN_PARTIAL_JSON",
    "PlanEntry",
    "Runner",
    "config_hash",
    "metric_key",
    "plan",
    "sample_score_key",
]
