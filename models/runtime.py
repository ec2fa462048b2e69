"""Where and how training runs: repeatable seeded sections, the device, the torchrun process
group (gloo on CPU, nccl on CUDA) and the small collectives the training loop needs."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import sys
from collections.abc import Iterator
from typing import Protocol

import torch
import torch.distributed as dist


class RunSettings(Protocol):
    seed: int
    threads: int
    deterministic: bool
    device: str


def _load_libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _load_libc()


def trim_heap() -> None:
    """Hand freed heap memory back to the OS: glibc keeps the fragments of the many
    differently sized batch arrays otherwise, and peak memory triples over an epoch."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


@contextlib.contextmanager
def repeatable(config: RunSettings) -> Iterator[None]:
    """Seeded, fixed-thread, deterministic section that restores the caller's torch state."""
    threads, det = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    with torch.random.fork_rng(devices=[]):
        try:
            if config.threads > 0:
                torch.set_num_threads(config.threads)
            torch.use_deterministic_algorithms(config.deterministic, warn_only=True)
            torch.manual_seed(config.seed)
            yield
        finally:
            torch.set_num_threads(threads)
            torch.use_deterministic_algorithms(det)


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run small inference on one intra-op thread, then restore the setting.

    A one-customer request is a few tiny matrix products: a second thread does not speed it
    up, and when another process (or a training thread) holds the other core, the OpenMP
    team waits at every barrier - a 3 ms call took 400 ms on a busy 2-core machine. The
    setting belongs to the calling thread (OpenMP's and MKL's thread counts are per thread:
    tests/test_runtime.py checks it), so concurrent pages need no lock: an earlier lock here
    queued ten sessions' lists behind each other.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def pick_device(config: RunSettings) -> torch.device:
    name = config.device
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device(name)


def start_distributed(device: torch.device) -> tuple[int, int, bool]:
    """(rank, world size, whether we initialised the group) from torchrun's environment."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, False
    if not dist.is_available():
        raise RuntimeError("WORLD_SIZE > 1 but this torch build has no torch.distributed")
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size(), False
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size(), True


def stop_distributed() -> None:
    """Leave the process group cleanly, on every rank together.

    A barrier first, so no rank closes its sockets while a peer is still in a collective; then a
    garbage collection, so the DistributedDataParallel wrapper (held in reference cycles) lets go of
    the group here rather than during interpreter shutdown, where gloo's worker threads abort the
    process ("terminate called without an active exception", seen 1 run in ~50 of the two-process
    test); then the group itself.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    dist.barrier()
    gc.collect()
    dist.destroy_process_group()


def any_rank(flag: bool, world: int, device: torch.device) -> bool:
    """True on every rank when ``flag`` is true on any rank."""
    if world == 1:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def mean_over_ranks(value: float, world: int, device: torch.device) -> float:
    if world == 1:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return float(t.item()) / world
