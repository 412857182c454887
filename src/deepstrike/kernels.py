"""Notebook execution in pool workers, kernels forked warm, and processes that die together.

The build's pool starts its workers from a fork server that has loaded, once, this module,
papermill and what every kernel needs (ipykernel, numpy, pandas, scipy, plotly, the chapters):
not the build itself. A worker drives one kernel at a time, and the kernel is a fork of the
worker (ForkedKernel), so it starts with those modules in memory, shared with the server, where
a kernel started as a new interpreter spends about two seconds of CPU importing them. The
kernel is still a fresh process per notebook: nothing a notebook does reaches another.
Kept apart from deepstrike.build so that neither the server nor the workers load the build.
Everything here dies with the build, however the build ends (kill -9 too):
each worker with the build itself (it waits on a pidfd of it, see die_with), each kernel
with its worker (parent-death signal), and the server once the build and its workers are
gone (they hold its liveness pipe).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import multiprocessing
import os
import select
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from deepstrike import whatif

SOCKETS_PREFIX = "ds-kernel-"
# What the fork server loads once, so that its workers share it instead of each loading it.
SERVER_PRELOAD = ["deepstrike.kernels", "papermill", "nbclient", "jupyter_client.manager"]
# ... and what every kernel imports: its workers' kernels are forks that start with these.
KERNEL_PRELOAD = [
    "ipykernel.kernelapp",
    "numpy",
    "pandas",
    "scipy.stats",
    "plotly.graph_objects",
    "deepstrike.chapters",
    "deepstrike.figures",
]


# --- processes that die together ---------------------------------------------------------

PR_SET_PDEATHSIG = 1
try:  # looked up once here: a child between fork and exec should not have to load libraries
    _PRCTL: Any = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None
except (OSError, AttributeError):
    _PRCTL = None


def die_with_parent(parent_pid: int, sig: int = signal.SIGKILL) -> None:
    """Have Linux send `sig` to this process when its parent ends, however the parent ends
    (kill -9 included). Elsewhere a no-op. If the parent is already gone, end now."""
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), sig)


def worker_init(parent_pid: int) -> None:
    """A pool worker: dies with the build; Ctrl-C is the build's to handle (it ends us)."""
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def kill_pool(pool: ProcessPoolExecutor) -> None:
    """End every worker now (their kernels follow by their own parent-death signal)."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)


# --- executing notebooks ---------------------------------------------------------------------


def kernel_manager(sockets: str, forked: ForkedKernel | None = None) -> Any:
    """A kernel manager whose kernels talk over Unix sockets and die with this worker: the
    `forked` process when one is given, else a new interpreter."""
    from jupyter_client.manager import AsyncKernelManager

    class KernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            if forked is None:
                kw["preexec_fn"] = functools.partial(die_with_parent, os.getpid())
                await super()._async_launch_kernel(kernel_cmd, **kw)
                return
            # What jupyter_client's launcher would do for kernel_cmd, done by the waiting fork:
            # the same connection file, folder and environment.
            cwd = str(kw.get("cwd") or os.getcwd())
            env = dict(kw.get("env") or os.environ)
            # As the launcher sets it: the kernel then watches this worker (and prints no
            # "connect another client" banner, which is for kernels started by hand).
            env["JPY_PARENT_PID"] = str(os.getpid())
            forked.launch(self.connection_file, cwd, env)
            provisioner = self.provisioner
            provisioner.process = forked
            provisioner.pid = provisioner.pgid = forked.pid  # its own session, as launched
            provisioner.cwd = cwd
            self._reconcile_connection_info(provisioner.connection_info)

    # Unix sockets instead of TCP ports: kernels started at once by parallel workers (or by
    # other builds) cannot race for the same free port, and nothing listens on the network.
    # The connection file lives beside the sockets, so a killed build leaves one folder behind
    # (removed by the next build), not stray files in the temporary folder.
    return KernelManager(
        kernel_name="python3",
        transport="ipc",
        ip=f"{sockets}/k",
        connection_file=f"{sockets}/kernel.json",
    )


def warm() -> bool:
    """Whether this process holds what a kernel imports, so that a fork of it is a warm
    kernel (a worker of the fork server does; a process that has not loaded them would gain
    nothing by forking)."""
    return all(name in sys.modules for name in KERNEL_PRELOAD)


class ForkedKernel:
    """A kernel forked from this process before the notebook starts, waiting until its
    connection file is written; then it runs ipykernel as `python -m ipykernel_launcher -f
    FILE` would. Forked at a quiet point (no event loop, no sockets), it has the interface of
    subprocess.Popen as far as jupyter_client uses it. It dies with this process."""

    stdin = stdout = stderr = None

    def __init__(self) -> None:
        read, self._go = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child; it never returns (measured by its work)
            _kernel_child(read, self._go, parent)
        os.close(read)
        self.pid = pid
        self.returncode: int | None = None

    def launch(self, connection_file: str, cwd: str, env: dict[str, str]) -> None:
        order = json.dumps({"connection_file": connection_file, "cwd": cwd, "env": env})
        with os.fdopen(self._go, "wb") as pipe:
            pipe.write(order.encode())
        self._go = None

    def close(self) -> None:
        """After the notebook: a fork never launched ends (its pipe closes); reap it."""
        if self._go is not None:
            os.close(self._go)
            self._go = None
        try:
            self.wait(timeout=10)
        except TimeoutError:
            self.kill()
            self.wait()

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: gone, code unknown
                self.returncode = -1
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"kernel {self.pid} still running")
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _kernel_child(read: int, go: int, parent: int) -> None:  # pragma: no cover - in the fork
    """The forked kernel: wait for the order, then be ipykernel. Never returns to the worker's
    code: every way out is os._exit (no inherited exit handlers or finalizers run)."""
    code = 1
    try:
        die_with_parent(parent)
        os.setsid()  # its own session, as jupyter_client launches kernels: interrupts reach it
        os.close(go)
        # Nothing of the worker's (its pool's pipes, the fork server's liveness pipe) stays open.
        for name in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else ():
            if int(name) > 2 and int(name) != read:
                with contextlib.suppress(OSError):
                    os.close(int(name))
        chunks = []
        while chunk := os.read(read, 1 << 16):
            chunks.append(chunk)
        os.close(read)
        if not chunks:  # the notebook never asked for its kernel
            code = 0
            return
        order = json.loads(b"".join(chunks))
        os.chdir(order["cwd"])
        os.environ.clear()
        os.environ.update(order["env"])
        from ipykernel import kernelapp

        # The trait's default read JPY_PARENT_PID when the fork server imported ipykernel,
        # before any worker existed: give it now, as a kernel started fresh would read it.
        # (Without it the kernel prints the "connect another client" banner into the build's
        # output and does not watch its worker.)
        parent_handle = f"--IPKernelApp.parent_handle={order['env']['JPY_PARENT_PID']}"
        sys.argv = [kernelapp.__file__, "-f", order["connection_file"], parent_handle]
        kernelapp.launch_new_instance(argv=sys.argv[1:])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - said on stderr (the notebook's log), then exit 1
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


ENGINE = "deepstrike-save-at-end"


@functools.cache
def _engine() -> str:
    """papermill's nbclient engine, except that the executed notebook is written once, at the
    end, not at the start and end of every cell: each write serialises and validates the
    whole notebook, plotly figures and all, and for our notebooks these writes cost about as
    much CPU as the models. On success papermill's own last write is the one; a failed cell
    is written by papermill with its error (it ends the cells without raising); any other
    failure (a dead kernel, a timeout) lets notebook_complete write what ran. Only a killed
    build leaves no partial notebook, which it never reads."""
    from papermill.engines import NBClientEngine, papermill_engines

    class SaveAtEnd(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
            nb_man.save = lambda **_kw: None  # shadows the method
            try:
                return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
            except BaseException:
                del nb_man.save  # notebook_complete, next, writes with the method
                raise

    papermill_engines.register(ENGINE, SaveAtEnd)
    return ENGINE


def execute(
    notebook: str,
    output: str,
    parameters: dict[str, Any],
    log_path: str,
    build_pid: int,
    whatif_cache: tuple[str, str] | None = None,
) -> dict:
    """Run one notebook in this worker process; never raises (exceptions do not pickle well)."""
    start = time.perf_counter()
    # The kernel inherits this worker's environment: where it may keep what-if points.
    if whatif_cache:
        os.environ[whatif.CACHE_ENV], os.environ[whatif.SALT_ENV] = whatif_cache
    else:
        os.environ.pop(whatif.CACHE_ENV, None)
        os.environ.pop(whatif.SALT_ENV, None)
    log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - must outlive the kernel
    # The kernel inherits this process's stderr: its warnings go to the log, not the terminal.
    os.dup2(log.fileno(), 2)
    sockets = tempfile.mkdtemp(prefix=f"{SOCKETS_PREFIX}{build_pid}-")
    # Forked here, before papermill starts its event loop and sockets: a quiet process to copy.
    forked = ForkedKernel() if warm() else None
    km = kernel_manager(sockets, forked)
    try:
        import papermill
        from papermill.exceptions import PapermillExecutionError

        papermill.execute_notebook(
            notebook,
            output,
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            cwd=str(Path(notebook).parent),
            start_timeout=120,
            execution_timeout=600,
            km=km,
            engine_name=_engine(),
        )
        return {"ok": True, "seconds": time.perf_counter() - start}
    except PapermillExecutionError as exc:
        return {
            "ok": False,
            "seconds": time.perf_counter() - start,
            "cell_index": exc.cell_index,
            "exec_count": exc.exec_count,
            "ename": exc.ename,
            "evalue": exc.evalue,
            "source": exc.source,
        }
    except Exception as exc:  # noqa: BLE001 - a dead kernel or a papermill fault: report it
        return {
            "ok": False,
            "seconds": time.perf_counter() - start,
            "ename": type(exc).__name__,
            "evalue": str(exc).strip().splitlines()[-1] if str(exc).strip() else "",
        }
    finally:
        shutdown_kernel(km)
        if forked is not None:
            forked.close()
        log.flush()
        shutil.rmtree(sockets, ignore_errors=True)


def shutdown_kernel(km: Any) -> None:
    """End the notebook's kernel now. nbclient leaves alone a kernel whose manager it was
    given, so without this each kernel lived until its worker ended: with four notebooks on
    two workers, four kernels (about 250 MB each) were alive at the end of a build."""
    from jupyter_core.utils import run_sync

    try:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=False)
    except Exception:  # noqa: BLE001 - a kernel that is already gone, or will not answer
        # If even a kill fails, the kernel still dies with this worker (parent-death signal).
        with contextlib.suppress(Exception):
            run_sync(km.shutdown_kernel)(now=True)


def server_worker_init(build_pid: int) -> None:
    """A worker of the fork server: dies with the build. Ctrl-C is the build's to handle.

    The build is not this process's parent, so its parent-death signal cannot be used for it:
    a thread waits on a descriptor of the build's process (pidfd) and ends the worker the
    moment the build ends. The worker's own parent-death signal covers the server, and the
    server ends once the build and every worker are gone (each holds its liveness pipe).
    """
    die_with_parent(os.getppid())
    die_with(build_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def die_with(pid: int) -> None:
    """End this process (SIGKILL) as soon as process `pid` ends; at once if it has ended."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        os.kill(os.getpid(), signal.SIGKILL)
        return
    except (AttributeError, OSError):
        return  # no pidfd here (not Linux 5.3+): the server's parent-death chain remains

    def wait() -> None:
        select.select([fd], [], [])
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=wait, name="die-with-build", daemon=True).start()


def _server_context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([*SERVER_PRELOAD, *KERNEL_PRELOAD])
    return ctx


def start_server() -> None:
    """Start the notebook workers' fork server now, without waiting for it: it spends seconds
    of one core importing what kernels need, which can overlap the build's own start (its
    imports, data validation, cache keys) instead of following it. A pool made later uses
    this server. A build whose notebooks all come from the cache leaves it unused; it ends
    with the build either way."""
    from multiprocessing import forkserver

    _server_context()
    forkserver.ensure_running()


def notebook_pool(workers: int, build_pid: int) -> ProcessPoolExecutor:
    """Workers for the notebooks, forked from a server that holds what kernels import (see
    the module's docstring)."""
    ctx = _server_context()
    # One notebook per worker: a kernel is forked from its worker before anything else runs
    # there, and a worker that has driven a notebook holds an event loop and a ZeroMQ context
    # that a fork must not copy. A new worker is a fork of the warm server, so this is cheap.
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=server_worker_init,
        initargs=(build_pid,),
        max_tasks_per_child=1,
    )
