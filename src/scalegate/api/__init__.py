"""The REST API: FastAPI over the services, bearer-token authentication, one error shape.

Importing this package imports FastAPI; ``scalegate serve`` does so only when it runs.
"""

from scalegate.api.app import create_app

__all__ = ["create_app"]
