"""shoplens models: pure PyTorch modules, training loops and metrics.

This package knows tensors, not DuckDB or Streamlit: `core/` feeds it arrays and reads back
vectors and scores. The sequence models arrive with the neural-embeddings capability.
"""
