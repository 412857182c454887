"""Notebook execution in pool workers, and processes that die together.

Kept apart from deepstrike.build so that a worker is a small process: the build's pool starts
its workers from a fork server that has loaded this module and papermill only, not pandas,
the chapters and the rest of the build. A worker drives one kernel at a time; the kernel
does the work. Everything here dies with the build, however the build ends (kill -9 too):
each worker with the build itself (it waits on a pidfd of it, see die_with), each kernel
with its worker (parent-death signal), and the server once the build and its workers are
gone (they hold its liveness pipe).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
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


def kernel_manager(sockets: str) -> Any:
    """A kernel manager whose kernels talk over Unix sockets and die with this worker."""
    from jupyter_client.manager import AsyncKernelManager

    class KernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            kw["preexec_fn"] = functools.partial(die_with_parent, os.getpid())
            await super()._async_launch_kernel(kernel_cmd, **kw)

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
    km = kernel_manager(sockets)
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


def notebook_pool(workers: int, build_pid: int) -> ProcessPoolExecutor:
    """Workers for the notebooks, forked from a small server (see the module's docstring)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(SERVER_PRELOAD)
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=server_worker_init, initargs=(build_pid,)
    )
