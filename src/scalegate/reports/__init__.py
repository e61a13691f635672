"""Presentation of results as documents (an HTML check report), outside the CLI.

Reports render engine results; they never read data or touch the store.
"""
