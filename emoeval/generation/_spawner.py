"""A small process that starts generator commands for the harness and reports what each cost.

Run as ``python -I -S _spawner.py`` by :class:`emoeval.generation.adapters.CommandGenerator`; it reads one JSON
request per line on stdin and answers one JSON line on stdout. Why a separate process: Linux counts the memory
of the process a command is started from in the command's peak resident memory (``ru_maxrss`` keeps the high
water mark of the pre-``exec`` copy), so commands started from the harness — hundreds of MB with NumPy and pandas
loaded — would all report at least that much. Started from this process (a few MB), a command's peak is its own,
or at least what a trivial command reports when started from here (``floor_kb``). Commands start with
``posix_spawn`` (a vfork and exec, in their own session), or with fork when a memory cap (``RLIMIT_AS``) must be
set in the child. It also times the command from just before the start to its exit, so the harness's own work
is not in the latency, and kills the command's process group at the timeout.

Standard library only; it must not import emoeval (that would make it large again).
"""

import contextlib
import json
import os
import resource
import signal
import sys
import time

#: the floor of each way of starting a command (True: forked, for a memory cap; False: posix_spawn)
FLOOR_KB: dict = {}
DEVNULL = -1


def _floor_kb(forked: bool) -> float:
    """The peak a trivial command (``true``) reports when started from here the same way (fork, or posix_spawn):
    the least any command can report (the part of this process the start copies or borrows). NaN when ``true``
    cannot be run."""
    try:
        if forked:
            pid = os.fork()
            if pid == 0:
                try:
                    os.execvp("true", ["true"])
                finally:
                    os._exit(127)
        else:
            pid = os.posix_spawnp("true", ["true"], os.environ)
    except OSError:
        return float("nan")
    _, status, usage = os.wait4(pid, 0)
    return float(usage.ru_maxrss) if os.waitstatus_to_exitcode(status) == 0 else float("nan")


def _run(order: dict) -> dict:
    out = os.open(order["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(order["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    start = time.perf_counter()
    if not order.get("memory_bytes"):  # posix_spawn (vfork and exec): the fast path
        try:
            pid = os.posix_spawnp(
                order["argv"][0],
                order["argv"],
                os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, DEVNULL, 0),
                    (os.POSIX_SPAWN_DUP2, out, 1),
                    (os.POSIX_SPAWN_DUP2, err, 2),
                ],
                setsid=True,  # its own session: a timeout kills its process group
            )
        except OSError as exc:
            os.close(out)
            os.close(err)
            return {"status": 127, "error": f"cannot run {order['argv'][0]!r}: {exc}", "timed_out": False}
    else:
        pid = os.fork()
    if pid == 0:  # the forked child (a memory cap): its own session, the limit, files, then exec
        try:
            os.setsid()
            if order.get("memory_bytes"):
                cap = int(order["memory_bytes"])
                resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
            os.dup2(DEVNULL, 0)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.execvp(order["argv"][0], order["argv"])  # this process's environment: the harness set it
        except OSError as exc:
            os.write(2, f"cannot run {order['argv'][0]!r}: {exc}\n".encode())
            os._exit(127)
    os.close(out)
    os.close(err)
    expired = []

    def expire(signum: int, frame: object) -> None:  # the timeout: kill the command's whole process group
        expired.append(True)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)

    timeout = order.get("timeout")
    if timeout:
        signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, float(timeout))
    try:
        _, status, usage = os.wait4(pid, 0)  # resumed after the handler (PEP 475) until the child is gone
    finally:
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, 0.0)
    return {
        "status": os.waitstatus_to_exitcode(status),
        "maxrss_kb": usage.ru_maxrss,
        "wall_s": time.perf_counter() - start,
        "timed_out": bool(expired),
        "floor_kb": FLOOR_KB[bool(order.get("memory_bytes"))],
    }


def main() -> None:
    global DEVNULL
    FLOOR_KB.update({False: _floor_kb(forked=False), True: _floor_kb(forked=True)})
    DEVNULL = os.open(os.devnull, os.O_RDONLY)
    for line in sys.stdin:
        try:
            answer = _run(json.loads(line))
        except Exception as exc:  # reported to the harness: that request's error
            answer = {"failed": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
