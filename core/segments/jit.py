"""UMAP's numba compile, paid once per machine instead of once per process.

umap-learn 0.5 compiles its graph and layout functions with ``numba.njit`` *without*
``cache=True`` (only ``umap.layouts.rdist`` has it), so every new process - each ``shoplens``
command, each dashboard server - spends ~4 s (2 cores) compiling them before its first map.
numba's ``Dispatcher.enable_caching()`` is what ``cache=True`` does at decoration time; calling
it before the first compile writes the machine code to disk and later processes load it in
well under a second (measured in bench/segments_fast.py).

Only the functions a seeded ``core.segments.reducers.UmapPair`` runs are cached. The parallel
layout (``_nb_optimize_layout_euclidean_single_epoch_parallel``, used when UMAP has no seed)
is left alone on purpose: it wraps the same Python function as the serial one, and numba's
cache index does not tell the two apart, so caching both could load one for the other.

The files go where numba puts every ``cache=True`` function: ``umap/__pycache__`` beside
umap's sources when that folder is writable, else numba's per-user cache folder.
``SHOPLENS_NUMBA_CACHE`` names another folder for these functions only (bench/segments_fast.py
points it at an empty one to time a first compile). Not ``NUMBA_CACHE_DIR``: that moves every
numba cache, and pynndescent, which umap imports, compiles its eagerly typed functions at
import - ~10 s more per process with an empty folder. numba checks the source file's
timestamp, so upgrading umap recompiles.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading

log = logging.getLogger(__name__)

CACHED = {  # module -> the numba functions a seeded UmapPair fit runs
    "umap.umap_": ("smooth_knn_dist", "compute_membership_strengths"),
    "umap.layouts": ("tau_rand_int", "clip", "_nb_optimize_layout_euclidean_single_epoch"),
    "umap.utils": ("tau_rand_int", "tau_rand"),
}
_lock = threading.Lock()
_enabled: list[str] | None = None


def cache_on_disk() -> list[str]:
    """Let UMAP's numba functions be cached on disk (once per process; later calls are free).
    Returns the functions now cached; a function this umap version lacks is skipped (logged)."""
    global _enabled
    with _lock:
        if _enabled is not None:
            return list(_enabled)
        import numba.core.config as numba_config

        folder = os.environ.get("SHOPLENS_NUMBA_CACHE")
        previous = numba_config.CACHE_DIR
        if folder:  # a cache's place is chosen when it is enabled: set it only meanwhile
            os.makedirs(folder, exist_ok=True)
            numba_config.CACHE_DIR = folder
        done: list[str] = []
        try:
            for module_name, names in CACHED.items():
                module = importlib.import_module(module_name)
                for name in names:
                    dispatcher = getattr(module, name, None)
                    if dispatcher is None or not hasattr(dispatcher, "enable_caching"):
                        log.info("numba cache: %s.%s not found in this umap version", module_name, name)
                        continue
                    dispatcher.enable_caching()
                    done.append(f"{module_name}.{name}")
        finally:
            numba_config.CACHE_DIR = previous
        _enabled = done
        log.info("numba disk cache enabled for %d UMAP functions%s", len(done),
                 f" in {folder}" if folder else "")
        return list(done)

