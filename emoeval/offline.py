"""The offline environment: turn off the phone-home paths of the libraries emoeval loads, before they load.

Offline (``EMOEVAL_OFFLINE``, the default) means a run attempts no network connection at all — not even a DNS
lookup. emoeval's own weight store honours that by itself; some libraries it loads do not, and they can only be
stopped through environment variables that they read **once, when they initialise**. So
:func:`apply_offline_environment` must run before the first import of those libraries: the model pool calls it
before it loads any reference model and :func:`emoeval.score` calls it when an offline run starts.

What was observed (emoeval issue 13): onnxruntime ≥ 1.29 official Linux/macOS wheels (1.32 here), which run
DNSMOS, start Microsoft's 1DS telemetry uploader when the library initialises (at ``import onnxruntime``): it
writes a device id and an event database under ``$XDG_CACHE_HOME/Microsoft/DeveloperTools/.onnxruntime`` (or
``~/.cache/...``) and, about 10 s later and then every 5–10 s, resolves ``mobile.events.data.microsoft.com`` and
posts events over HTTPS. ``onnxruntime.disable_telemetry_events()`` does not stop it: it only suppresses later,
non-essential events once the uploader already exists. onnxruntime's ``docs/Privacy.md`` ("Disabling Telemetry")
documents the full opt-out: ``ORT_DISABLE_TELEMETRY=1`` set before onnxruntime initialises; no uploader, events,
device id or offline cache is then created for the life of the process.

This module imports nothing heavy and changes nothing when imported.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, MutableMapping
from types import MappingProxyType

_log = logging.getLogger(__name__)

#: the variables set for an offline run, and why (every value is a pure opt-out with no effect on results)
OFFLINE_ENVIRONMENT: Mapping[str, str] = MappingProxyType(
    {
        # onnxruntime (DNSMOS): the full 1DS telemetry opt-out, read once when the library initialises (at
        # import); the name onnxruntime 1.32's binary reads and its Privacy.md documents.
        "ORT_DISABLE_TELEMETRY": "1",
        # onnxruntime: the same opt-out under the name other onnxruntime sources read
        # (core/platform/telemetry_environment.h, PR microsoft/onnxruntime#29843), so an upgrade that renames it
        # does not silently bring the uploader back.
        "ORT_TELEMETRY_DISABLED": "1",
        # huggingface_hub (under transformers, sentence-transformers, speechbrain, faster-whisper): its
        # send_telemetry() pings become no-ops (read when huggingface_hub is first imported). No such ping was
        # seen in emoeval's runs; it is a pure opt-out, so a library that starts pinging on load stays quiet.
        # Hub *downloads* are not switched off process-wide (HF_HUB_OFFLINE would also break the user's own Hub
        # use in this process): emoeval loads Hugging Face models from local folders only, with HF_HUB_OFFLINE
        # set while it loads them (reference_models/text_embedding.py, hub_offline).
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
)

#: a library that reads its telemetry switch once, at import, and was seen uploading: imported before this
#: module set the switch, it cannot be stopped any more (huggingface_hub is not listed: it sends nothing unless
#: asked to download, so an early import is no reason to warn)
_LATCHED_AT_IMPORT: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"onnxruntime": ("ORT_DISABLE_TELEMETRY", "ORT_TELEMETRY_DISABLED")}
)
_warned: set[str] = set()


def apply_offline_environment(environ: MutableMapping[str, str] | None = None) -> dict[str, str | None]:
    """Set :data:`OFFLINE_ENVIRONMENT` in ``environ`` (default: ``os.environ``, which child processes inherit too).

    Values already equal are left alone; a different value (e.g. ``ORT_DISABLE_TELEMETRY=0``) is overridden,
    because offline is a promise of no connection attempt. Idempotent and cheap: call it before loading models.
    A library that read its switch before this call (imported earlier in the process) cannot be switched off any
    more; that is logged once as a warning naming the variable to set in the environment instead.

    Returns:
        the variables changed, each with its previous value (``None`` when it was unset).

    >>> env = {"ORT_DISABLE_TELEMETRY": "0"}
    >>> apply_offline_environment(env)["ORT_DISABLE_TELEMETRY"]
    '0'
    >>> env["ORT_DISABLE_TELEMETRY"], apply_offline_environment(env)
    ('1', {})
    """
    target = os.environ if environ is None else environ
    changed: dict[str, str | None] = {}
    for name, value in OFFLINE_ENVIRONMENT.items():
        if target.get(name) != value:
            changed[name] = target.get(name)
            target[name] = value
    if environ is None:
        _warn_if_latched(changed)
    if changed:
        _log.debug("offline environment set: %s", ", ".join(f"{k}={OFFLINE_ENVIRONMENT[k]}" for k in changed))
    return changed


def _warn_if_latched(changed: Mapping[str, str | None]) -> None:
    """Warn (once per library) when a library whose switch was just set had been imported before."""
    for module, names in _LATCHED_AT_IMPORT.items():
        if module in sys.modules and module not in _warned and all(name in changed for name in names):
            _warned.add(module)
            _log.warning(
                "%s was imported before emoeval could switch its telemetry off, so this process may still contact "
                "its telemetry service although emoeval runs offline; set %s=1 in the environment before "
                "starting Python",
                module,
                names[0],
            )
