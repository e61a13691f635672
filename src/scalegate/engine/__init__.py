"""Dataframe-agnostic compute: everything goes through Narwhals and is pushed into the
input's own engine (Polars for files and local frames, Spark for Spark frames). Results are
small: counts, statistics, a few example values."""
