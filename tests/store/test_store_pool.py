"""The store's connection pool: sized so that the API's threads never wait for a connection."""

from __future__ import annotations

from contextlib import ExitStack

from scalegate.store import Store
from scalegate.store.database import POOL_SIZE


def test_pool_holds_its_size_plus_as_many_again(db_url: str) -> None:
    with Store(db_url, pool_size=2) as store:
        assert store.pool_size == 2
        assert store.engine.pool.size() == 2
        with ExitStack() as stack:
            conns = [stack.enter_context(store.read()) for _ in range(4)]
            assert len({id(c) for c in conns}) == 4  # four open at once, none waited
        assert store.engine.pool.checkedout() == 0


def test_default_pool_size(db_url: str) -> None:
    with Store(db_url) as store:
        assert store.pool_size == POOL_SIZE == store.engine.pool.size()


def test_in_memory_sqlite_keeps_its_own_pool() -> None:
    # one connection per thread; no size to set
    with Store("sqlite://") as store, store.read() as conn:
        assert conn.exec_driver_sql("select 1").scalar() == 1
