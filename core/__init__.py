"""shoplens core: the product's logic, importable without Streamlit."""

__version__ = "0.1.0"
