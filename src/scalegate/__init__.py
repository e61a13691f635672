"""scalegate: get AI use cases out of pilot purgatory.

>>> import scalegate as sg
>>> client = sg.connect("scalegate.db", user="ben")           # doctest: +SKIP
>>> print(client.use_case("churn-prediction").gate("production"))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scalegate.errors import (
    ConflictError,
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

__all__ = [
    "Client",
    "ConflictError",
    "DocumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "ScalegateError",
    "StoreError",
    "UseCaseClient",
    "ValidationError",
    "__version__",
    "connect",
]

_LAZY = {"Client", "UseCaseClient", "connect"}


def __getattr__(name: str) -> Any:
    # the SDK pulls in SQLAlchemy; import it only when asked for
    if name in _LAZY:
        from scalegate.sdk import local

        return getattr(local, name)
    raise AttributeError(f"module 'scalegate' has no attribute {name!r}")
