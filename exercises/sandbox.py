"""The learner's code runs in a process of its own; the checker only ever sees the data it sends back.

Why: code in the learner's file runs with every power the checker has. In the checker's process it could
replace ``np.allclose``, the check itself, or the progress file, or end the process after printing a fake
verdict. So the checker (``Sandbox``, ``SandboxLearner``) starts a fresh Python for each check, which loads the
learner's file and answers requests over a pipe (``serve``):

    load                      import the learner's file
    call NAME ARGS            call the learner's function NAME (from a fresh copy of the file, or several
                              times in a row) and send back its result and its arguments as they are after
                              the call (the checker compares them with what it sent: a change in place)
    probe FUNCTION ARGS       run one of the check's own functions (its SANDBOX_PROBES, imported before the
                              learner's file) on the learner's module, for what cannot travel as data (a
                              Keras model): it sends back numbers, which the check judges

Only data crosses (exercises/wire.py). The checker computes the references, compares, decides, and alone
writes progress. Its time limit is enforced from outside: the learner's process is killed (with everything it
started) when it has used its time, and one that ends, crashes or sends nonsense before the check is over fails
it with one line. What the process prints is collected and shown, marked as the learner's, after the check.
"""

from __future__ import annotations

import atexit
import importlib
import inspect
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from exercises.checking import (
    MAY_CHANGE_IN_PLACE,
    NOT_DATA,
    CheckFailed,
    Learner,
    argument_names,
    first_change,
    in_place_message,
    snapshot,
)
from exercises.learner_file import load_module
from exercises.verdict import ERROR, STATUSES, describe, numpy_warnings, printable
from exercises.wire import Codec, ObjectRefs, WireError

ROOT = Path(__file__).resolve().parent.parent
FORK_FROM_ZYGOTE = hasattr(os, "fork")  # every learner's process is forked from a clean helper where possible
STARTUP_S = 120  # a fresh Python importing NumPy (not the learner's time: that starts with `load`)
MAX_MESSAGE = 512 << 20
MAX_OUTPUT = 64 << 10
BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from exercises.sandbox import serve; serve(sys.argv[2:])"


class LearnerVerdict(Exception):
    """The learner's process answered with a verdict about the learner's code (an exception it raised, a TODO)."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class SandboxTimeout(Exception):
    pass


class SandboxGone(Exception):
    """The learner's process ended, or sent what the protocol does not allow, before the check was over."""


# ---------------------------------------------------------------- the checker's side
class Sandbox:
    """A fresh Python that runs the learner's file ``path``; ``time_limit_s`` seconds of its work in all.

    ``probes_from``: the check module whose SANDBOX_PROBES it may run. ``preload``: modules the learner's code
    needs that take seconds to import (keras): the process is then forked from a ``Zygote`` that has them."""

    def __init__(self, path: Path, time_limit_s: float, probes_from: str = "", preload: tuple[str, ...] = ()):
        self.path = Path(path)
        self.time_limit_s = time_limit_s
        self.left = float(time_limit_s)
        self.codec = Codec(trusted_peer=False)
        self.warning: str | None = None
        self.returncode: int | None = None
        self._stopped = False
        self._buffer = b""
        request_r, self._requests = os.pipe()
        self._replies, reply_w = os.pipe()
        output_r, output_w = os.pipe()
        self._output = OutputCollector(output_r)
        self.process = self.zygote = None
        try:
            if preload or FORK_FROM_ZYGOTE:  # a fork costs milliseconds, a new Python with NumPy 0.2 s
                self.zygote = Zygote.get(tuple(preload) or ("numpy",))
                self.pid = self.zygote.spawn((request_r, reply_w, output_w), str(self.path), probes_from)
            else:
                self.process = subprocess.Popen(
                    [sys.executable, "-c", BOOT, str(ROOT), str(self.path), str(request_r), str(reply_w), probes_from],
                    pass_fds=(request_r, reply_w),
                    stdin=subprocess.DEVNULL,
                    stdout=output_w,
                    stderr=output_w,
                    start_new_session=True,  # its own process group: killed as one; Ctrl-C reaches only the checker
                    env=child_environment(),
                )
                self.pid = self.process.pid
        except BaseException:
            for fd in (self._requests, self._replies, request_r, reply_w, output_w):
                os.close(fd)
            self._output.finish()
            raise
        for fd in (request_r, reply_w, output_w):  # the learner's process has its copies
            os.close(fd)
        try:
            self._read(STARTUP_S, charged=False)  # "ready"
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def stop(self) -> int | None:
        """Kill the learner's process and everything it started (once); its exit status (negative: a signal)."""
        if not self._stopped:
            self._stopped = True
            try:  # its process group (the zombie of a process that ended holds the number until it is reaped)
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            self.returncode = self.process.wait() if self.process is not None else self.zygote.reap(self.pid)
        return self.returncode

    def close(self) -> None:
        """Stop the learner's process, close the pipes and collect what it printed."""
        self.stop()
        for fd in (self._requests, self._replies):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._requests = self._replies = -1
        self._output.finish()

    def output(self) -> str:
        return self._output.text()

    def request(self, message: dict) -> dict:
        """Send one request and wait for its reply, within the time left; the reply's blobs are taken in."""
        line = self.codec.pack(message)
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(self._requests, view) :]
        except OSError:
            raise SandboxGone(self._ended()) from None
        reply = self._read(self.left, charged=True)
        warning = reply.pop("warning", None)
        if isinstance(warning, str) and self.warning is None:
            self.warning = printable(warning)
        if "raised" in reply:
            raised = reply["raised"]
            if not (isinstance(raised, list) and len(raised) == 2 and raised[0] in STATUSES and raised[0] != "passed"):
                raise SandboxGone(NONSENSE)
            raise LearnerVerdict(raised[0], printable(raised[1]))
        if "failed" in reply:
            raise CheckFailed(printable(reply["failed"]))
        if "ok" not in reply:
            raise SandboxGone(NONSENSE)
        return reply

    def _read(self, limit: float, *, charged: bool) -> dict:
        start = time.monotonic()
        try:
            line = self._line(start + max(limit, 0.0))
        finally:
            if charged:
                self.left -= time.monotonic() - start
        try:
            return self.codec.unpack(line)
        except WireError:
            raise SandboxGone(NONSENSE) from None

    def _line(self, deadline: float) -> bytes:
        while b"\n" not in self._buffer:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise SandboxTimeout()
            if not readable(self._replies, min(wait, 0.2)):
                if self._exited():
                    raise SandboxGone(self._ended())
                continue
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                raise SandboxGone(self._ended())
            self._buffer += chunk
            if len(self._buffer) > MAX_MESSAGE:
                raise SandboxGone(f"your code's process sent more than {MAX_MESSAGE >> 20} MB in one answer")
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _exited(self) -> bool:
        """Whether the learner's process has ended (forked by the zygote: its end shows as the end of the pipe)."""
        return self.process is not None and exit_code(self.pid) is not None

    def _ended(self) -> str:
        if self.process is None:
            code = self.zygote.wait(self.pid, 2.0)
        else:
            deadline = time.monotonic() + 2
            while (code := exit_code(self.pid)) is None and time.monotonic() < deadline:
                time.sleep(0.02)
        if code is None:
            how = "closed its connection to the checker"
        elif code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            how = f"was killed by {name}" + (" (out of memory?)" if name == "SIGKILL" else "")
        else:
            how = f"exited with status {code}" + (" (os._exit or exit() in your code?)" if code in (0, 1) else "")
        return f"the process running your code {how} before the check was over, so there is no verdict"


def readable(fd: int, timeout: float) -> bool:
    """Whether ``fd`` has something to read (or its end) within ``timeout`` seconds (any fd number: not select)."""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        return bool(selector.select(max(timeout, 0.0)))


def exit_code(pid: int) -> int | None:
    """A child process's exit status (negative: the signal that ended it), None while it runs; it is not reaped,
    so its number cannot go to another process before ``Sandbox.stop`` has killed its process group."""
    if not hasattr(os, "waitid"):  # (macOS) without a look that leaves it unreaped: "still running" until stop
        return None
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return -signal.SIGKILL
    if info is None or info.si_pid == 0:
        return None
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


NONSENSE = (
    "the process running your code sent the checker something that is not an answer (does your code write to "
    "the checker's pipe, or close it?), so there is no verdict"
)


def child_environment() -> dict:
    """The learner's process's environment: the checker's, with its output unbuffered (a print before a crash or
    an endless loop still shows)."""
    return dict(os.environ, PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1")


class Zygote:
    """A Python that has imported what the learner's code needs and takes seconds to import (keras, TensorFlow),
    and forks a fresh learner's process from itself for each check: the import is paid once per checker, not
    once per check. It has run none of the learner's code (each fork loads the learner's file anew), and it ends
    when the checker does (its socket closes)."""

    running: dict[tuple[str, ...], Zygote] = {}

    @classmethod
    def get(cls, preload: tuple[str, ...]) -> Zygote:
        zygote = cls.running.get(preload)
        if zygote is None or zygote.process.poll() is not None:
            zygote = cls.running[preload] = cls(preload)
        return zygote

    def __init__(self, preload: tuple[str, ...]):
        import socket

        self.socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", ZYGOTE_BOOT, str(ROOT), str(theirs.fileno()), *preload],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                env=child_environment(),
            )
        finally:
            theirs.close()
        self.lock = threading.Lock()
        self._answer(STARTUP_S)  # ready: its imports are done
        atexit.register(self.close)

    def close(self) -> None:
        try:  # an empty datagram ends its loop (a datagram socket has no end of file when this end closes)
            self.socket.send(b"")
        except OSError:
            pass
        self.socket.close()
        try:
            self.process.wait(timeout=5)  # it ends on that empty datagram
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _ask(self, request: dict, fds=(), timeout: float = 30.0) -> dict:
        import socket

        with self.lock:
            try:
                socket.send_fds(self.socket, [json.dumps(request).encode()], list(fds))
                return self._answer(timeout)
            except OSError:
                raise SandboxGone("the checker's helper process ended (run the check again)") from None

    def _answer(self, timeout: float) -> dict:
        if not readable(self.socket.fileno(), timeout):
            raise SandboxTimeout()
        data = self.socket.recv(1 << 16)
        if not data:
            raise SandboxGone("the checker's helper process ended (run the check again)")
        return json.loads(data)

    def spawn(self, fds: tuple[int, int, int], path: str, probes_from: str) -> int:
        """A new learner's process for ``path``, talking over ``fds`` (requests, replies, output); its pid."""
        request = {"op": "spawn", "path": path, "probes": probes_from, "cwd": os.getcwd(), "env": child_environment()}
        return int(self._ask(request, fds)["pid"])

    def wait(self, pid: int, timeout: float) -> int | None:
        """The exit status of a process it forked, if it ends within ``timeout`` (it is not reaped yet)."""
        return self._ask({"op": "wait", "pid": pid, "timeout": timeout}, timeout=timeout + 30)["code"]

    def reap(self, pid: int) -> int | None:
        """Collect a process it forked (killed already), and its exit status."""
        return self._ask({"op": "reap", "pid": pid})["code"]


ZYGOTE_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from exercises.sandbox import zygote; zygote(sys.argv[2:])"


def zygote(argv: list[str]) -> None:
    """The zygote's loop: import the modules named, then fork a learner's process on request (see ``Zygote``)."""
    import socket

    import course_utils  # noqa: F401  (quiet TensorFlow logs, before keras)
    import numpy  # noqa: F401

    control = socket.socket(fileno=int(argv[0]))
    for name in argv[1:]:
        importlib.import_module(name)
    control.send(b'{"ready": true}')
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 20, 3)
        except OSError:
            break
        if not message:
            break
        request = json.loads(message)
        if request["op"] == "spawn":
            pid = os.fork()
            if pid == 0:  # the learner's process
                try:
                    control.close()
                    os.setsid()  # its own process group: killed as one
                    os.chdir(request["cwd"])
                    os.environ.clear()
                    os.environ.update(request["env"])
                    null = os.open(os.devnull, os.O_RDONLY)
                    os.dup2(null, 0)
                    os.dup2(fds[2], 1)
                    os.dup2(fds[2], 2)
                    for fd in (null, fds[2]):
                        os.close(fd)
                    serve([request["path"], str(fds[0]), str(fds[1]), request["probes"]])
                finally:
                    os._exit(70)
            for fd in fds:
                os.close(fd)
            control.send(json.dumps({"pid": pid}).encode())
        elif request["op"] == "wait":
            deadline = time.monotonic() + float(request["timeout"])
            while (code := exit_code(request["pid"])) is None and time.monotonic() < deadline:
                time.sleep(0.02)
            control.send(json.dumps({"code": code}).encode())
        elif request["op"] == "reap":
            try:
                _, status = os.waitpid(request["pid"], 0)
                code = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                code = None
            control.send(json.dumps({"code": code}).encode())
    os._exit(0)


class OutputCollector:
    """Read what the learner's process prints (stdout and stderr), keeping the first ``MAX_OUTPUT`` bytes."""

    def __init__(self, fd: int):
        self.fd, self.kept, self.dropped = fd, bytearray(), 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while True:
                chunk = os.read(self.fd, 1 << 16)
                if not chunk:
                    break
                room = MAX_OUTPUT - len(self.kept)
                self.kept += chunk[:room]
                self.dropped += max(0, len(chunk) - room)
        except OSError:
            pass

    def finish(self):
        self.thread.join(timeout=2)
        try:
            os.close(self.fd)
        except OSError:
            pass

    def text(self) -> str:
        text = printable(bytes(self.kept).decode("utf-8", "replace"))
        return text + (f"\n... ({self.dropped} more bytes)" if self.dropped else "")


class SandboxLearner:
    """What a check calls the learner's code through (the interface of ``checking.Learner``), backed by the
    learner's process. ``case`` is the case being checked (for a timeout's message)."""

    def __init__(self, sandbox: Sandbox, path: Path):
        self.sandbox = sandbox
        self.path = Path(path)
        self.case = ""

    def load(self) -> None:
        self.sandbox.request({"op": "load"})

    def call(self, name: str, *args, case: str = "", mutable=(), **kwargs):
        """The learner's function ``name`` called with these arguments (see ``checking.Learner.call``)."""
        return self._call(name, args, kwargs, case, mutable)

    def call_fresh(self, name: str, *args, case: str = "", **kwargs):
        """``call`` on a freshly loaded copy of the learner's file."""
        return self._call(name, args, kwargs, case, (), fresh=True)

    def repeat(self, name: str, *args, times: int, case: str = "", mutable=(), **kwargs) -> list:
        """``[call(name, *args, **kwargs) for _ in range(times)]``, the same argument objects each time (a random
        generator goes on drawing), in one request."""
        return self._call(name, args, kwargs, case, mutable, times=times)

    def probe(self, function, *args, case: str = ""):
        """``function(learner, *args)`` run in the learner's process: one of the check's SANDBOX_PROBES, given the
        learner's module there (a ``checking.Learner``); what it returns must be data."""
        if case:
            self.case = case
        refs = ObjectRefs()
        codec = self.sandbox.codec
        message = {
            "op": "probe",
            "function": function.__name__,
            "args": [codec.encode(a, loose=False, refs=refs) for a in args],
            "case": self.case,
        }
        reply = self.sandbox.request(message)
        return self._decode(reply["ok"])

    def function(self, name: str):
        raise TypeError(
            "the learner's functions run in their own process: a check calls them with learner.call, or runs "
            "code that needs them there with learner.probe"
        )

    def _call(self, name, args, kwargs, case, mutable, *, fresh=False, times=None):
        self.case = f"{name}, case: {case}" if case else name
        codec = self.sandbox.codec
        refs = ObjectRefs()
        message = {
            "op": "call",
            "name": name,
            "args": [codec.encode(a, loose=False, refs=refs) for a in args],
            "kwargs": {k: codec.encode(v, loose=False, refs=refs) for k, v in kwargs.items()},
            "case": self.case,
            "fresh": fresh,
            "times": times,
        }
        saved = ([snapshot(a) for a in args], {k: snapshot(v) for k, v in kwargs.items()})
        reply = self.sandbox.request(message)
        try:
            refs.apply(reply.get("reports") or [], codec)
            after = reply.get("after") or {}
            after_args = [self._decode(a) for a in after.get("args") or []]
            after_kwargs = {k: self._decode(v) for k, v in (after.get("kwargs") or {}).items()}
            signature = signature_from(reply.get("signature"))
        except (WireError, TypeError, ValueError, AttributeError):
            raise SandboxGone(NONSENSE) from None
        if len(after_args) != len(args) or set(after_kwargs) != set(kwargs):
            raise SandboxGone(NONSENSE)
        allowed = set(mutable) | set(MAY_CHANGE_IN_PLACE.get(name, ()))
        before = argument_names(signature, *saved)
        now = argument_names(signature, after_args, after_kwargs)
        for (param, was), (_, value) in zip(before, now):
            if param not in allowed:
                change = first_change(was, value, param)
                if change is not None:
                    raise CheckFailed(in_place_message(name, param, change, case))
        result = self._decode(reply["ok"])
        if times is not None and not (isinstance(result, list) and len(result) == times):
            raise SandboxGone(NONSENSE)
        return result

    def _decode(self, node):
        try:
            return self.sandbox.codec.decode(node)
        except WireError:
            raise SandboxGone(NONSENSE) from None


def signature_data(fn) -> list | None:
    """The learner's function's parameters as data: ``[[name, kind, has_default], ...]``."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    return [[p.name, int(p.kind), p.default is not inspect.Parameter.empty] for p in parameters]


def signature_from(data) -> inspect.Signature | None:
    if data is None:
        return None
    parameters = []
    for name, kind, has_default in data:
        if not (isinstance(name, str) and name.isidentifier() and type(kind) is int and 0 <= kind <= 4):
            raise ValueError("a bad parameter")
        default = None if has_default else inspect.Parameter.empty
        parameters.append(inspect.Parameter(name, inspect._ParameterKind(kind), default=default))
    try:
        return inspect.Signature(parameters)
    except ValueError:
        return None


# ---------------------------------------------------------------- the learner's side
def serve(argv: list[str]) -> None:
    """The learner's process: answer the checker's requests until it closes the pipe (or kills us)."""
    import course_utils  # noqa: F401  (quiet TensorFlow logs, should the learner's code import keras)

    path, requests, replies, probes_from = Path(argv[0]), int(argv[1]), int(argv[2]), argv[3]
    server = Server(path, replies, probes_from)
    server.send({"op": "ready"})
    reader = os.fdopen(requests, "rb")
    with numpy_warnings(path) as warned:
        for line in reader:
            reply = server.answer(line)
            if warned.first is not None:
                reply["warning"] = warned.line()
            server.send(reply)
    os._exit(0)


class Server:
    def __init__(self, path: Path, replies: int, probes_from: str):
        self.path = path
        self.replies = replies
        self.codec = Codec(trusted_peer=True)
        self.module = None
        self.learner: Learner | None = None
        self.probes: dict = {}
        if probes_from.startswith("exercises.checks."):  # taken before the learner's file can replace them
            checks = importlib.import_module(probes_from)
            self.probes = {name: getattr(checks, name) for name in checks.SANDBOX_PROBES}

    def send(self, message: dict) -> None:
        data = memoryview(self.codec.pack(message))
        while data:
            data = data[os.write(self.replies, data) :]

    def answer(self, line: bytes) -> dict:
        try:
            request = self.codec.unpack(line)
            op = request.get("op")
            if op == "load":
                return self.load()
            if self.learner is None:
                return {"raised": [ERROR, "the checker asked for a call before the file was loaded"]}
            self.learner.case = request.get("case") or ""
            if op == "call":
                return self.call(request)
            if op == "probe":
                return self.probe(request)
            return {"raised": [ERROR, f"the checker sent an unknown request {op!r}"]}
        except CheckFailed as failed:
            return {"failed": str(failed)}
        except BaseException as err:  # noqa: BLE001  (anything the learner's code raises is a verdict)
            case = self.learner.case if self.learner is not None else ""
            try:
                return {"raised": list(describe(err, self.path, case))}
            except BaseException:  # noqa: BLE001  (an exception whose message itself fails to be read)
                return {"raised": [ERROR, f"your code raised an exception whose message cannot be read. {case}"]}

    def load(self) -> dict:
        self.module = load_module(self.path)
        self.learner = Learner(self.module, self.path)
        return {"ok": None}

    def call(self, request: dict) -> dict:
        refs = ObjectRefs()
        args = [self.codec.decode(a, refs) for a in request["args"]]
        kwargs = {k: self.codec.decode(v, refs) for k, v in request["kwargs"].items()}
        module = load_module(self.path) if request.get("fresh") else self.module
        fn = Learner(module, self.path).function(request["name"])
        times = request.get("times")
        if times is None:
            result = self.result(fn(*args, **kwargs))
        else:
            result = [self.result(fn(*args, **kwargs)) for _ in range(int(times))]
        return {
            "ok": result,
            "after": {
                "args": [self.after(a) for a in args],
                "kwargs": {k: self.after(v) for k, v in kwargs.items()},
            },
            "signature": signature_data(fn),
            "reports": refs.report(self.codec),
        }

    def probe(self, request: dict) -> dict:
        function = self.probes.get(request.get("function"))
        if function is None:
            return {"raised": [ERROR, f"the check has no probe named {request.get('function')!r}"]}
        args = [self.codec.decode(a, ObjectRefs()) for a in request["args"]]
        return {"ok": self.result(function(self.learner, *args))}

    def result(self, value):
        """What the learner's code returned, as data (an opaque stand-in for what is not)."""
        try:
            return self.codec.encode(value, loose=True)
        except Exception:  # noqa: BLE001  (a value whose own methods fail while it is read)
            return self.codec._opaque(value)

    def after(self, value):
        """An argument after the call, as data (None for what the in-place guard leaves alone)."""
        return self.result(value) if snapshot(value) is not NOT_DATA else None
