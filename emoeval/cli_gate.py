"""CLI commands of the regression gate: ``emoeval gate`` and ``emoeval baseline save``.

Exit codes of ``emoeval gate``: 0 the gate passes, 1 it fails (a regressed output, or a failing policy
condition), 2 a usage or data error (bad path, bad policy, systems that do not pair, no shared metric, refused
provenance) — the line ``emoeval: error: <reason>`` on standard error says which.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

#: exit status of a usage or data error (click's own usage errors use it too)
USAGE_ERROR = 2
#: the Markdown summary written beside gate.json
GATE_MD = "gate.md"


def _fail(ctx: click.Context, message: str) -> None:
    click.echo(f"emoeval: error: {message}", err=True)
    ctx.exit(USAGE_ERROR)


def _system_pairs(values: tuple[str, ...]) -> dict[str, str] | None:
    pairs: dict[str, str] = {}
    for value in values:
        cand, sep, base = value.partition("=")
        cand, base = cand.strip(), base.strip()
        if not cand or (sep and not base):
            raise click.BadParameter(
                f"{value!r} is not CAND=BASE (or a system name both sides have)", param_hint="--system"
            )
        pairs[cand] = base if sep else cand
    return pairs or None


def _default_out(candidate: Path) -> Path:
    return candidate if candidate.is_dir() else candidate.parent


def append_step_summary(markdown: str) -> Path | None:
    """Append ``markdown`` to the file ``$GITHUB_STEP_SUMMARY`` names (GitHub Actions); None when unset."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8", newline="\n") as handle:
        handle.write(markdown if markdown.endswith("\n") else markdown + "\n")
    return path


@click.command("gate")
@click.argument("candidate", required=False, type=click.Path(path_type=Path))
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    help="Baseline file (.csv/.parquet, from `emoeval baseline save`) or results folder.",
)
@click.option("--policy", "policy_file", type=click.Path(path_type=Path), help="Gate policy (TOML); default: built in.")
@click.option("--out", type=click.Path(path_type=Path), help="Folder for gate.json (default: the candidate folder).")
@click.option(
    "--system",
    "systems",
    multiple=True,
    metavar="CAND=BASE",
    help="Pair candidate system CAND with baseline system BASE (repeatable; a bare NAME pairs it with itself).",
)
@click.option(
    "--repeat",
    type=click.IntRange(min=1),
    help="Runs of the candidate in all: K > 1 re-scores it K - 1 times and reports each output's spread.",
)
@click.option("--label-set", help="Emotion label set of the candidate's manifest (only for --repeat re-scoring).")
@click.option("--print-policy", is_flag=True, help="Print the policy in effect as TOML (copy it to a file) and exit.")
@click.pass_context
def gate_command(
    ctx: click.Context,
    candidate: Path | None,
    baseline: Path | None,
    policy_file: Path | None,
    out: Path | None,
    systems: tuple[str, ...],
    repeat: int | None,
    label_set: str | None,
    print_policy: bool,
) -> None:
    """Gate CANDIDATE (a results folder) against --baseline: per gated metric output, regressed, improved,
    equivalent or inconclusive. Exit code 0 pass, 1 regression (or a failing policy condition), 2 usage/data
    error. Writes gate.json and gate.md (Markdown); appends the Markdown to $GITHUB_STEP_SUMMARY when set."""
    from emoeval.errors import EmoevalError
    from emoeval.gate.policy import load_policy

    try:
        policy = load_policy(policy_file)
        if repeat is not None:
            policy = policy.replace(repeat=repeat)
    except EmoevalError as exc:
        _fail(ctx, str(exc))
        return
    if print_policy:
        click.echo(policy.to_toml(), nl=False)
        return
    if candidate is None or baseline is None:
        raise click.UsageError("give CANDIDATE and --baseline BASELINE (or --print-policy)")
    pairs = _system_pairs(systems)
    from emoeval.gate.run import run_gate

    try:
        result = run_gate(candidate, baseline, policy=policy, systems=pairs, label_set=label_set)
    except EmoevalError as exc:  # GateError, PolicyError, ProvenanceError, and data errors of re-scoring
        _fail(ctx, str(exc))
        return
    click.echo(result.summary())
    click.echo("\npolicy in effect:")
    click.echo("".join(f"  {line}\n" for line in policy.to_toml(comments=False).splitlines() if line), nl=False)
    destination = out if out is not None else _default_out(candidate)
    try:
        written = result.write(destination)
        markdown = result.markdown()
        # gate.md: the same Markdown, for a pull-request comment (gh pr comment --body-file gate.md)
        (destination / GATE_MD).write_text(markdown, encoding="utf-8", newline="\n")
        summary_file = append_step_summary(markdown)
    except OSError as exc:
        _fail(ctx, f"cannot write the gate's output ({exc.strerror or exc}); choose a writable --out folder")
        return
    click.echo(
        f"\nwritten: {written}, {destination / GATE_MD}"
        + (f"; summary appended to {summary_file}" if summary_file else "")
    )
    ctx.exit(result.exit_code)


@click.group("baseline")
def baseline_group() -> None:
    """Baselines for `emoeval gate`: compact, diffable copies of a results run."""


@baseline_group.command("save")
@click.argument("results", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(path_type=Path),
    help="Baseline file to write: .csv (diffs cleanly) or .parquet (compact).",
)
@click.option("--system", "systems", multiple=True, help="Keep only this system (repeatable; default: all).")
@click.pass_context
def baseline_save(ctx: click.Context, results: Path, output: Path, systems: tuple[str, ...]) -> None:
    """Save the baseline part of RESULTS (a results folder): per-sample values, corpus rows with their bootstrap
    draws, provenance."""
    from emoeval.errors import EmoevalError
    from emoeval.gate.baseline import load_baseline, save_baseline

    try:
        written = save_baseline(results, output, systems=list(systems) or None)
        baseline = load_baseline(written)
    except EmoevalError as exc:
        _fail(ctx, str(exc))
        return
    except OSError as exc:
        _fail(ctx, f"cannot write {output} ({exc.strerror or exc})")
        return
    size = written.stat().st_size
    click.echo(
        f"baseline: {written} ({size:,} bytes; {len(baseline.samples)} sample rows, {len(baseline.system_rows)} "
        f"system rows, {len(baseline.metrics())} metrics, systems {', '.join(baseline.system_names())})"
    )


GATE_COMMANDS: tuple[Any, ...] = (gate_command, baseline_group)

__all__ = ["GATE_COMMANDS", "append_step_summary", "baseline_group", "gate_command"]
