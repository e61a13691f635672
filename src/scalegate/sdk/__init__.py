"""The Python SDK: the same operations as the CLI, for pipelines and notebooks."""
