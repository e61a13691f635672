"""scalegate: get AI use cases out of pilot purgatory.

>>> import scalegate as sg
>>> client = sg.connect("scalegate.db", user="ben")           # doctest: +SKIP
>>> print(client.use_case("churn-prediction").gate("production"))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scalegate.errors import (
    AuthenticationError,
    ConflictError,
    ConnectionFailedError,
    DocumentError,
    NotFoundError,
    PermissionDeniedError,
    ScalegateError,
    StoreError,
    ValidationError,
)

__version__ = "0.1.0"

if TYPE_CHECKING:
    from scalegate.sdk.local import Client, UseCaseClient, connect
    from scalegate.sdk.remote import RemoteClient, RemoteUseCase

__all__ = [
    "AuthenticationError",
    "Client",
    "ConflictError",
    "ConnectionFailedError",
    "DocumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "RemoteClient",
    "RemoteUseCase",
    "ScalegateError",
    "StoreError",
    "UseCaseClient",
    "ValidationError",
    "__version__",
    "connect",
]

#: name -> the SDK module that defines it
_LAZY = {
    "Client": "local",
    "UseCaseClient": "local",
    "connect": "local",
    "RemoteClient": "remote",
    "RemoteUseCase": "remote",
}


def __getattr__(name: str) -> Any:
    # the SDK pulls in SQLAlchemy; import it only when asked for
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"scalegate.sdk.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'scalegate' has no attribute {name!r}")
