"""The source files a metric's numbers depend on: its own module and the maths that module imports.

A metric's cache keys include a hash of its implementation source (:meth:`emoeval.metric.Metric.
implementation_hash`), so that editing a metric recomputes its values. Much of that maths lives outside the
metric's module — in :mod:`emoeval.functional` (the pure functions reference models share) and in helper modules
of ``emoeval.metrics`` (DTW, reference sets, shared scoring) — and an edit there must recompute too.
:func:`imported_sources` finds those files: every module the given module imports (any ``import`` statement,
inside functions too), followed transitively, kept when its name is inside ``within``. The files are found
without importing anything new beyond the parent packages (``importlib.util.find_spec``).

>>> [path.name for path in imported_sources("emoeval.functional.emotion")]
['emotion.py']
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

#: the packages whose modules count as a metric's implementation
IMPLEMENTATION_PACKAGES: tuple[str, ...] = ("emoeval.functional", "emoeval.metrics")


def _inside(name: str, within: Iterable[str]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in within)


def _origin(name: str) -> Path | None:
    """The source file of module ``name`` (None for a package attribute that is not a module, or no file)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError, AttributeError):
        return None
    if spec is None or not spec.has_location or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


@lru_cache(maxsize=512)
def _imports(path: Path, mtime_ns: int, package: str) -> tuple[str, ...]:
    """Module names a source file's import statements name (``from a import b``: ``a.b`` first, then ``a``);
    relative imports resolved against ``package``. Cached per file version (``mtime_ns``)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            names.extend(f"{base}.{alias.name}" for alias in node.names)
            names.append(base)
    return tuple(dict.fromkeys(names))


def imported_sources(module: str, *, within: Iterable[str] = IMPLEMENTATION_PACKAGES) -> list[Path]:
    """The source file of ``module`` (when it is inside ``within``) and of every module inside ``within`` it
    imports, directly or through such modules, in discovery order."""
    within = tuple(within)
    found: dict[Path, None] = {}
    todo = [module]
    seen: set[str] = set()
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        path = _origin(name)
        if path is None or path in found:
            continue
        if name != module and not _inside(name, within):  # the module itself counts wherever it lives (plug-ins)
            continue
        found[path] = None
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for imported in _imports(path, path.stat().st_mtime_ns, package):
            if _inside(imported, within) and imported not in seen:
                todo.append(imported)
    return list(found)


__all__ = ["IMPLEMENTATION_PACKAGES", "imported_sources"]
