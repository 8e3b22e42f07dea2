"""A small process that starts generator commands for the harness and reports what each cost.

Run as ``python -I -S _spawner.py`` by :class:`emoeval.generation.adapters.CommandGenerator`; it reads one JSON
request per line on stdin and answers one JSON line on stdout. Why a separate process: Linux counts the memory
of the process a command is started from in the command's peak resident memory (``ru_maxrss`` keeps the high
water mark of the pre-``exec`` copy), so commands started from the harness — hundreds of MB with NumPy and pandas
loaded — would all report at least that much. Started from this process (a few MB), a command's peak is its own,
or at least what a trivial command reports when started from here (``floor_kb``). It also times the command
from just before the fork to its exit, so the harness's own work is not in the latency.

Standard library only; it must not import emoeval (that would make it large again).
"""

import contextlib
import json
import os
import resource
import signal
import sys
import threading
import time

FLOOR_KB = float("nan")


def _floor_kb() -> float:
    """The peak a trivial command (``true``) reports when started from here: the least any command can report
    (the resident part of this process the fork copies). NaN when ``true`` cannot be run."""
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp("true", ["true"])
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    return float(usage.ru_maxrss) if os.waitstatus_to_exitcode(status) == 0 else float("nan")


def _run(order: dict) -> dict:
    out = os.open(order["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(order["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: its own session (a timeout kills its process group), limits, files, then exec
        try:
            os.setsid()
            if order.get("memory_bytes"):
                cap = int(order["memory_bytes"])
                resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.execvpe(order["argv"][0], order["argv"], order["env"])
        except OSError as exc:
            os.write(2, f"cannot run {order['argv'][0]!r}: {exc}\n".encode())
            os._exit(127)
    os.close(out)
    os.close(err)
    found: dict = {}

    def reap() -> None:
        _, status, usage = os.wait4(pid, 0)
        found.update(status=os.waitstatus_to_exitcode(status), maxrss_kb=usage.ru_maxrss)
        found["wall_s"] = time.perf_counter() - start

    waiter = threading.Thread(target=reap, daemon=True)
    waiter.start()
    waiter.join(order.get("timeout"))
    timed_out = waiter.is_alive()
    if timed_out:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        waiter.join()
    return {**found, "timed_out": timed_out, "floor_kb": FLOOR_KB}


def main() -> None:
    global FLOOR_KB
    FLOOR_KB = _floor_kb()
    for line in sys.stdin:
        try:
            answer = _run(json.loads(line))
        except Exception as exc:  # reported to the harness: that request's error
            answer = {"failed": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
