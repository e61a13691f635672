"""The one place that reads environment variables.

Precedence: defaults < ``SCALEGATE_*`` environment variables < command-line flags.
Built once at start-up and handed down; nothing reads settings at import time.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = "scalegate.db"


class Settings(BaseSettings):
    """scalegate settings. Each field's description is its documentation."""

    model_config = SettingsConfigDict(env_prefix="SCALEGATE_", extra="ignore")

    db: str = Field(
        DEFAULT_DB,
        description="Database: a SQLAlchemy URL (postgresql://user@host/db) or a SQLite file "
        "path. Default: ./scalegate.db",
    )
    user: str | None = Field(
        None,
        description="The user the CLI acts as for changes (same as --as).",
    )
    token: str | None = Field(
        None,
        description="API token the Python SDK sends to a server "
        "(sg.connect('http://host:port')) when no token= is given.",
    )
    max_upload_mb: float = Field(
        512,
        gt=0,
        description="Largest file the API accepts in one upload, in MB (larger ones get 413). "
        "Default: 512",
    )
    session_hours: float = Field(
        12,
        gt=0,
        le=24 * 30,
        description="How long a web dashboard login lasts, in hours. Default: 12",
    )
    secure_cookies: bool = Field(
        False,
        description="Mark the web session cookie Secure (sent over HTTPS only); turn on when "
        "the server is behind HTTPS. Default: off",
    )


def load(**overrides: object) -> Settings:
    """Settings from the environment, with non-None ``overrides`` (CLI flags) on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
