"""Customer segments: learned customer vectors -> a UMAP map -> HDBSCAN clusters, in plain words.

    types.py      SegmentConfig (the merchant's choices), SegmentRun (one run), plug-in contracts
    segments.py   the pipeline: inputs, map and clustering, stable segment numbers, ``build``, ``view``
    cache.py      runs on disk per model, settings and data; the latest run; cutting customers out
    reducers.py   the UMAP pair (map + clustering space from one kNN graph) and HDBSCAN plug-ins
    profiles.py   a segment's (or a selection's) figures, lifts, generated name and description
    stats.py      are segments real: differences tested, stability across reruns, sizes over time
    audience.py   a group of customers as a consenting-only, formula-safe CSV
    charts.py     the Segments page's figures

Public face: ``segments.build``, ``segments.view``, ``cache.previous_run``,
``profiles.segment_profiles``, ``audience.members``.
"""
