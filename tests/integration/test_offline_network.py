"""Offline means no connection attempt at all: scoring with every default metric, traced at the system-call level.

A child process scores one small manifest (faces, speech and dialogue from the shipped demo data) with
``emoeval.score(manifest)`` — ``metrics=None``, the default selection — in the default offline mode, under
``strace -f``. Any ``connect``/``sendto``/``sendmsg``/``sendmmsg`` to an IPv4/IPv6 address (a DNS query to port 53
included, loopback too) is an attempt, and so is any name lookup through a local resolver socket:

- systemd-resolved's varlink socket serves nothing but name resolution: any connect to it is a lookup;
- nscd's socket also serves the passwd and group databases (Python's ``pwd.getpwuid`` goes there while torch
  and others import, a local user-database read): a connect to it is a lookup only when the request sent over
  it is a hosts request (GETHOSTBYNAME*, GETHOSTBYADDR*, GETAI, GETFDHST — nscd would then query DNS on our
  behalf, out of sight of strace); a request that cannot be decoded counts as a lookup. A failed connect (no
  nscd running) sends nothing, and glibc then resolves in-process, which shows up as port-53 traffic.

Run as root, the child also runs inside ``unshare -n`` (a network namespace with no network): scoring must then
still succeed for every default metric. strace still records attempts there (they fail with ENETUNREACH).

The environment of the child drops every variable that could make the test pass for the wrong reason: the
CI markers onnxruntime reads to switch its telemetry off by itself (a regression would otherwise only show on
developer machines), the telemetry/offline switches of onnxruntime and Hugging Face, and ``EMOEVAL_OFFLINE``
(the default is under test). Its ``XDG_CACHE_HOME`` is a fresh folder, so telemetry state that a library writes
there on start-up (onnxruntime's 1DS device id and event database) is seen at once, whereas the uploads
themselves only start about ten seconds after onnxruntime loads.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "emoeval" / "data" / "demo"
TRACED_SYSCALLS = "connect,sendto,sendmsg,sendmmsg"
#: sockets that only answer name lookups (systemd-resolved: nss-resolve and its varlink API)
RESOLVER_SOCKETS = frozenset(
    {"/run/systemd/resolve/io.systemd.Resolve", "/run/systemd/resolve/io.systemd.Resolve.Monitor"}
)
NSCD_SOCKETS = frozenset({"/var/run/nscd/socket", "/run/nscd/socket"})
#: nscd request types (glibc nscd/nscd-client.h) that resolve host names or addresses
NSCD_HOSTS_REQUESTS = {4: "GETHOSTBYNAME", 5: "GETHOSTBYNAMEv6", 6: "GETHOSTBYADDR", 7: "GETHOSTBYADDRv6"}
NSCD_HOSTS_REQUESTS |= {13: "GETFDHST", 14: "GETAI"}
#: CI markers onnxruntime 1.32 reads to suppress its telemetry on its own (core/platform/telemetry_environment.h)
CI_MARKERS = (
    "CI",
    "TF_BUILD",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "CIRCLECI",
    "TRAVIS",
    "JENKINS_URL",
    "CODEBUILD_BUILD_ID",
    "BUILDKITE",
    "TEAMCITY_VERSION",
    "APPVEYOR",
    "BITBUCKET_BUILD_NUMBER",
    "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI",
)
#: switches that would hide a regression in emoeval's own offline set-up
OPT_OUTS = (
    "EMOEVAL_OFFLINE",
    "ORT_DISABLE_TELEMETRY",
    "ORT_TELEMETRY_DISABLED",
    "ORT_RUNNING_UNIT_TESTS",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "HF_HUB_DISABLE_TELEMETRY",
    "DISABLE_TELEMETRY",
    "DO_NOT_TRACK",
)
#: what onnxruntime's 1DS telemetry writes under $XDG_CACHE_HOME when it starts (device id, event database)
ORT_TELEMETRY_STATE = Path("Microsoft") / "DeveloperTools" / ".onnxruntime"

CHILD_SCORE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import emoeval
    from emoeval.api import resolve_metrics
    from emoeval.samples import load_samples

    manifest, out, report = sys.argv[1:4]
    expected = sorted(metric.spec.name for metric in resolve_metrics(None, load_samples(manifest)))
    table = emoeval.score(manifest, out=out, n_bootstrap=20, progress=False).table
    Path(report).write_text(json.dumps({
        "expected": expected,
        "with_values": sorted(set(table[table.error.isna()].metric)),
        "errors": table[table.error.notna()].groupby("metric").error.first().to_dict(),
    }))
    """
)


# --- the strace reader ---------------------------------------------------------------------------------------

_CALL = re.compile(r"^(?P<pid>\d+)\s+(?:[\d:.]+\s+)?(?P<name>connect|sendto|sendmsg|sendmmsg)\((?P<args>.*)$")
_RESUMED = re.compile(r"^(?P<pid>\d+)\s+(?:[\d:.]+\s+)?<\.\.\. (?P<name>\w+) resumed>(?P<rest>.*)$")
_SOCKET_INODE = re.compile(r"^\d+<[^>\[]*\[(\d+)[^\]]*\]>")  # -y: 6<socket:[123]>; -yy: 6<UNIX-STREAM:[123->4]>
_UNIX_PATH = re.compile(r'sun_path=@?"((?:[^"\\]|\\.)*)"')
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "v": "\v", "f": "\f"}


def _unescape(text: str) -> bytes:
    """The bytes of a string as strace quotes it (``-x``: ``\\xHH``; also octal and C escapes)."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] == "x" and len(code) == 3:
            return chr(int(code[1:], 16))
        if code[0] in "01234567":
            return chr(int(code, 8))
        return _SIMPLE_ESCAPES.get(code, code)

    return _ESCAPE.sub(one, text).encode("latin-1")


def _failed(result: str) -> bool:
    return re.search(r"=\s*-1\s", result + " ") is not None


def connection_attempts(trace: str) -> list[str]:
    """The lines of an ``strace -f -y -x -e trace=connect,sendto,sendmsg,sendmmsg`` log that attempt a connection
    or a name lookup (see the module docstring for the rules)."""
    attempts: list[str] = []
    nscd_inodes: set[str] = set()
    pending_nscd: dict[str, str] = {}  # pid -> socket inode of a connect to nscd still unfinished
    for line in trace.splitlines():
        resumed = _RESUMED.match(line)
        if resumed is not None:
            inode = pending_nscd.pop(resumed["pid"], None)
            if resumed["name"] == "connect" and inode is not None and not _failed(resumed["rest"]):
                nscd_inodes.add(inode)
            continue
        call = _CALL.match(line)
        if call is None:
            continue
        args = call["args"]
        if "sa_family=AF_INET" in args:  # AF_INET and AF_INET6: a connect, or a datagram's destination
            attempts.append(line)
            continue
        inode_match = _SOCKET_INODE.match(args)
        inode = inode_match.group(1) if inode_match else ""
        path_match = _UNIX_PATH.search(args)
        if call["name"] == "connect" and path_match is not None:
            path = _unescape(path_match.group(1)).decode("latin-1")
            if path in RESOLVER_SOCKETS:
                attempts.append(line)
            elif path in NSCD_SOCKETS:
                if "<unfinished" in args:
                    pending_nscd[call["pid"]] = inode
                elif not _failed(args):
                    nscd_inodes.add(inode)
            continue
        if call["name"] != "connect" and inode in nscd_inodes:
            payload = _STRING.search(args[len(inode_match.group(0)) :] if inode_match else args)
            data = _unescape(payload.group(1)) if payload else b""
            request = int.from_bytes(data[4:8], "little") if len(data) >= 8 else None
            if request is None or request in NSCD_HOSTS_REQUESTS:
                attempts.append(line)
    return attempts


def test_reader_flags_lookups_and_connections_and_nothing_local():
    """The reader on log lines of the shapes strace prints (from this machine's traces; nscd requests built
    from glibc's request header: int32 version 2, int32 type, int32 key length)."""
    dns = (
        '812 connect(8<socket:[13069]>, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, '
        "16) = 0"
    )
    https6 = (
        "812 connect(9<socket:[5]>, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), "
        'inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28 <unfinished ...>'
    )
    udp_to = (
        '813 sendto(7<socket:[6]>, "\\x01\\x02", 2, 0, {sa_family=AF_INET, sin_port=htons(53), '
        'sin_addr=inet_addr("127.0.0.53")}, 16) = 2'
    )
    nscd_absent = '814 connect(6<socket:[7]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT'
    nscd_passwd = [
        '815 connect(6<socket:[8]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = 0',
        '815 sendto(6<socket:[8]>, "\\x02\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x02\\x00\\x00\\x000\\x00", 14, '
        "MSG_NOSIGNAL, NULL, 0) = 14",
    ]
    nscd_getai = [
        '816 connect(6<socket:[9]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110 <unfinished ...>',
        "817 futex(0x1, FUTEX_WAKE, 1) = 0",
        "816 <... connect resumed>) = 0",
        '816 sendto(6<socket:[9]>, "\\x02\\x00\\x00\\x00\\x0e\\x00\\x00\\x00\\x10\\x00\\x00\\x00example.invalid", '
        "28, MSG_NOSIGNAL, NULL, 0) = 28",
    ]
    resolved = (
        '818 connect(5<socket:[10]>, {sa_family=AF_UNIX, sun_path="/run/systemd/resolve/io.systemd.Resolve"}, 42) = 0'
    )
    local = [
        '819 connect(5<socket:[11]>, {sa_family=AF_UNIX, sun_path="/tmp/.X11-unix/X0"}, 20) = 0',
        '819 sendto(5<socket:[11]>, "\\x02\\x00\\x00\\x00\\x0e", 5, 0, NULL, 0) = 5',
        "819 sendto(4<socket:[12]>, [{nlmsg_len=20, nlmsg_type=RTM_GETADDR}], 20, 0, {sa_family=AF_NETLINK, "
        "nl_pid=0, nl_groups=00000000}, 12) = 20",
        "819 +++ exited with 0 +++",
    ]
    trace = "\n".join([dns, https6, udp_to, nscd_absent, *nscd_passwd, *nscd_getai, resolved, *local])
    assert connection_attempts(trace) == [dns, https6, udp_to, nscd_getai[-1], resolved]


# --- running a child under strace (and unshare) ---------------------------------------------------------------


def _strace() -> str:
    path = shutil.which("strace")
    if path is None:
        pytest.fail(
            "strace is not installed; the offline-network guard needs it to watch system calls "
            "(apt-get install strace; .ci/run installs it)"
        )
    return path


def _is_root() -> bool:
    return os.geteuid() == 0


def _netns_problem() -> str | None:
    """None when ``unshare -n`` works here, else why not (it needs root, i.e. CAP_SYS_ADMIN)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"`unshare -n true` failed as root: {probe.stderr.strip()} (a container needs CAP_SYS_ADMIN)"
    return None


def _child_environment(xdg_cache: Path, extra: dict[str, str]) -> dict[str, str]:
    """This test process's environment without CI markers and opt-outs, plus ``extra``, with a fresh
    ``XDG_CACHE_HOME`` (Hugging Face's and torch's caches stay where they were, so models are found as before)."""
    env = {k: v for k, v in os.environ.items() if k not in CI_MARKERS and k not in OPT_OUTS} | extra
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    env.setdefault("HF_HOME", str(cache_home / "huggingface"))
    env.setdefault("TORCH_HOME", str(cache_home / "torch"))
    env["XDG_CACHE_HOME"] = str(xdg_cache)
    return env


@dataclass(frozen=True)
class TracedRun:
    returncode: int
    stderr: str
    trace: str
    in_netns: bool
    xdg_cache: Path


def run_traced(
    args: list[str], workdir: Path, *, netns: bool, env: dict[str, str] | None = None, timeout: float = 1200
) -> TracedRun:
    """Run ``python ARGS`` under ``strace -f`` (inside ``unshare -n`` when ``netns``; ``env`` added to the child's
    environment) and return its trace."""
    trace_file = workdir / "strace.txt"
    xdg_cache = workdir / "xdg-cache"
    xdg_cache.mkdir(parents=True, exist_ok=True)
    command = [_strace(), "-f", "-y", "-x", "-s", "64", "-e", f"trace={TRACED_SYSCALLS}", "-o", str(trace_file)]
    command += [sys.executable, *args]
    if netns:
        command = ["unshare", "-n", *command]
    done = subprocess.run(
        command,
        env=_child_environment(xdg_cache, env or {}),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if not trace_file.exists():
        pytest.fail(f"strace wrote no trace (exit {done.returncode}): {done.stderr[-2000:]}")
    return TracedRun(done.returncode, done.stderr, trace_file.read_text(errors="replace"), netns, xdg_cache)


def test_reader_flags_a_real_lookup_and_connection_in_a_traced_child(tmp_path):
    """The guard is no tautology: a child that resolves a name and connects is caught, on this machine, through
    the same strace command; a child that only reads the user database and talks over a local socket is not."""
    probe = textwrap.dedent(
        """
        import os, pwd, socket
        pwd.getpwuid(os.getuid())                      # local: passwd database (may go to nscd)
        a, b = socket.socketpair(); a.sendall(b"x")    # local: a Unix socket pair
        if os.environ.get("PROBE_NETWORK") == "1":
            try:
                socket.create_connection(("example.invalid", 443), timeout=5)
            except OSError:
                pass
            try:
                socket.create_connection(("127.0.0.1", 9), timeout=5)
            except OSError:
                pass
        """
    )
    quiet = run_traced(["-c", probe], tmp_path / "quiet", netns=False)
    assert quiet.returncode == 0, quiet.stderr
    assert connection_attempts(quiet.trace) == []
    noisy = run_traced(["-c", probe], tmp_path / "noisy", netns=False, env={"PROBE_NETWORK": "1"})
    assert noisy.returncode == 0, noisy.stderr
    flagged = connection_attempts(noisy.trace)
    assert any("127.0.0.1" in line for line in flagged), noisy.trace
    assert len(flagged) >= 2, noisy.trace  # the lookup of example.invalid (DNS or a resolver socket) too


# --- onnxruntime's telemetry, directly ------------------------------------------------------------------------

CHILD_LOAD_DNSMOS = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from emoeval.reference_models.base import ModelPool
    from emoeval.reference_models.store import WeightStore

    ModelPool(WeightStore(Path(sys.argv[1]), allow_network=sys.argv[2] == "online")).get("dnsmos")
    """
)


def test_loading_dnsmos_offline_starts_no_onnxruntime_telemetry(tmp_path):
    """The model pool switches onnxruntime's telemetry off before DNSMOS imports it: nothing is written where
    its 1DS uploader keeps its device id and events, whereas an online pool (a control: the same load without
    the offline environment) lets onnxruntime start it. Deterministic, unlike the uploads (about 10 s later)."""
    state = {}
    for mode in ("online", "offline"):
        xdg_cache = tmp_path / mode / "xdg-cache"
        xdg_cache.mkdir(parents=True)
        done = subprocess.run(
            [sys.executable, "-c", CHILD_LOAD_DNSMOS, str(tmp_path / "models"), mode],
            env=_child_environment(xdg_cache, {}),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        state[mode] = (xdg_cache / ORT_TELEMETRY_STATE).exists()
    if not state["online"]:
        pytest.skip(f"this onnxruntime build starts no telemetry (nothing written to {ORT_TELEMETRY_STATE})")
    assert state["offline"] is False


# --- the guarded run ------------------------------------------------------------------------------------------


def _manifest(folder: Path) -> Path:
    """One face, one recording (with a transcript, so intelligibility runs) and two dialogue responses (with a
    reference reply, so the reference-based text metrics run; two, so the corpus ones have something to
    compare), from the shipped demo data, with absolute paths; and one simulated physiological recording with a
    paired one (neurokit2's models, emoeval.simulated_signals), so the signal metrics and neurokit2 run under the
    guard."""
    from emoeval.media.signal import write_npz
    from emoeval.simulated_signals import simulate_peripheral

    rows = list(csv.DictReader((DEMO / "manifest.csv").open(newline="", encoding="utf-8")))
    face = next(r for r in rows if r["modality"] == "face")
    speech = next(r for r in rows if r["modality"] == "speech")
    texts = [r for r in rows if r["system"] == "varied_responder"][:2]
    generic = {r["group"]: r["text"] for r in rows if r["system"] == "generic_responder"}
    for row in (face, speech):
        row["path"], row["reference"] = str(DEMO / row["path"]), str(DEMO / row["reference"])
    # the wording only has to exist (the test is about network use, not about the word error rate)
    speech["transcript"] = "I am so sad about what happened today."
    for row in texts:
        row["reference"] = generic[row["group"]]
    manifest = folder / "manifest.csv"
    folder.mkdir(parents=True, exist_ok=True)
    recording = simulate_peripheral("rest", seed=0, duration=30)
    signal_path = write_npz(folder / "simulated_rest.npz", recording.data, recording.rate, recording.channels)
    paired = simulate_peripheral("rest", seed=1, duration=30)  # its paired "real" recording (signal_dtw)
    paired_path = write_npz(folder / "simulated_pair.npz", paired.data, paired.rate, paired.channels)
    signal = {key: "" for key in rows[0]} | {
        "sample_id": "simulated_signal",
        "system": "simulated_physiology",
        "modality": "signal",
        "path": str(signal_path),
        "reference": str(paired_path),
        "target_emotion": "calm",
    }
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*rows[0].keys(), "transcript"])
        writer.writeheader()
        writer.writerows([face, speech, *texts, signal])
    return manifest


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory: pytest.TempPathFactory):
    """Score the manifest once, in a child under strace (and ``unshare -n`` when root); its trace and report."""
    work = tmp_path_factory.mktemp("offline-network")
    manifest = _manifest(work / "data")
    script = work / "score_child.py"
    script.write_text(CHILD_SCORE)
    netns_problem = _netns_problem() if _is_root() else "not root: `unshare -n` needs CAP_SYS_ADMIN"
    run = run_traced(
        [str(script), str(manifest), str(work / "out"), str(work / "report.json")],
        work,
        netns=netns_problem is None,
        # a fresh output cache (so every model really runs) and an empty weight folder, as tests/conftest.py gives
        # each test; only the child's environment changes
        env={"EMOEVAL_CACHE_DIR": str(work / "cache"), "EMOEVAL_MODELS_DIR": str(work / "models")},
    )
    report_file = work / "report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else None
    return run, report, netns_problem


def test_scoring_with_every_default_metric_attempts_no_connection(offline_run):
    run, report, _ = offline_run
    assert run.returncode == 0 and report is not None, f"the scoring child failed:\n{run.stderr[-4000:]}"
    assert {
        "speech_dnsmos",
        "speech_intelligibility",
        "face_emotion_accuracy",
        "text_emotion_accuracy",
        "signal_plausibility",
    } <= set(report["expected"]), report["expected"]
    assert report["with_values"] == report["expected"], (
        f"default metrics without a value: {sorted(set(report['expected']) - set(report['with_values']))}; "
        f"errors: {report['errors']}"
    )
    attempts = connection_attempts(run.trace)
    assert attempts == [], "network attempted in offline mode:\n" + "\n".join(attempts[:20])
    ort_state = run.xdg_cache / ORT_TELEMETRY_STATE
    assert not ort_state.exists(), (
        f"onnxruntime started its telemetry (it wrote {sorted(p.name for p in ort_state.iterdir())} in {ort_state}): "
        "ORT_DISABLE_TELEMETRY=1 was not set before onnxruntime was imported (see emoeval/offline.py)"
    )


def test_scoring_succeeds_without_any_network(offline_run):
    """Inside ``unshare -n`` (no interface but a downed loopback), every default metric still gives values."""
    run, report, netns_problem = offline_run
    if not _is_root():
        pytest.skip(f"{netns_problem}; the strace guard above ran without it")
    assert netns_problem is None, netns_problem
    assert run.in_netns
    assert run.returncode == 0 and report is not None, f"scoring failed without a network:\n{run.stderr[-4000:]}"
    assert report["with_values"] == report["expected"], report["errors"]
