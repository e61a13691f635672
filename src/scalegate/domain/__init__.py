"""Typed domain models and policy definitions. No I/O lives here."""
