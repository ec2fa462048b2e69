"""Customer segments: learned customer vectors -> a UMAP map -> HDBSCAN clusters, in plain words.

    types.py      SegmentConfig (the merchant's choices), SegmentRun (one run), plug-in contracts
    segments.py   the pipeline: inputs (a model's vectors, or figures without one), map and
                  clustering, stable segment numbers, ``build``, ``view``
    defaults.py   the shop's default segments and ``build_after_training`` (train's last step)
    cache.py      runs on disk per model, settings and data; the latest run; cutting customers out
    reducers.py   the UMAP pair (map + clustering space from one kNN graph) and HDBSCAN plug-ins
    jit.py        UMAP's numba functions cached on disk: the compile paid once per machine
    profiles.py   a segment's (or a selection's) figures, lifts, generated name and description
    naming.py     names from where a segment stands on each measure, distinct within a run
    stats.py      are segments real: differences tested, stability across reruns, sizes over time
    audience.py   a group of customers as a consenting-only, formula-safe CSV
    charts.py     the Segments page's figures

Public face: ``segments.build``, ``segments.view``, ``defaults.build_after_training``,
``cache.previous_run``, ``profiles.segment_profiles``, ``audience.members``.
"""
