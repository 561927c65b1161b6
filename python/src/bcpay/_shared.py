"""What several billing workers share: a journal in PostgreSQL whose orders are claimed with
``SELECT … FOR UPDATE SKIP LOCKED`` under a lease, and the store's Process Payment budget in
Redis. Existing engines, not home-made ones: psycopg 3 (``pip install "psycopg[binary]"``) and
redis-py (``pip install redis``), imported only when used. The rules — what is recorded when,
what a recovered order needs, how long a lease lasts, the budget's algorithm and its scripts —
are bcpay-core's; this module runs them against the engines."""
from __future__ import annotations

import os
import time
from typing import Any, Dict, Iterable, List, Optional

from ._batch import _storage_error


class RedisLimiter:
    """The store's Process Payment budget shared by every client given this limiter, in any
    process on any machine: ``Client(…, shared_limiter=RedisLimiter("redis://host:6379/0"))``.
    Before each Process Payment the client takes a slot from Redis (an atomic script on Redis's
    clock: the core's sliding log, with its transit allowance and pacing), and frees it early
    when the answer comes. Each client's own limiter still runs; this one only adds waits, so N
    workers together stay within the store's quota."""

    def __init__(self, url: str = "redis://127.0.0.1:6379/0") -> None:
        self.url = url
        self._sync: Any = None
        self._async: Any = None
        self._scripts: Dict[str, Any] = {}

    def _client(self) -> Any:
        if self._sync is None:
            import redis

            self._sync = redis.Redis.from_url(self.url)
        return self._sync

    def _aclient(self) -> Any:
        if self._async is None:
            import redis.asyncio

            self._async = redis.asyncio.Redis.from_url(self.url)
        return self._async

    def _script(self, client: Any, text: str) -> Any:
        key = f"{id(client)}:{hash(text)}"
        if key not in self._scripts:
            self._scripts[key] = client.register_script(text)
        return self._scripts[key]

    def bind(self, limit: Dict[str, Any]) -> "SharedBudget":
        """One store's budget (the core's `SharedPaymentsLimit`, from its client) in this Redis."""
        return SharedBudget(self, limit)

    def acquire(self, limit: Dict[str, Any], slot: str) -> None:
        """Waits until the store's budget grants ``slot`` (a request id)."""
        script = self._script(self._client(), limit["acquire_script"])
        while True:
            wait_ms = int(script(keys=limit["keys"], args=[slot, *limit["args"]]))
            if wait_ms <= 0:
                return
            time.sleep(wait_ms / 1000)

    def release(self, limit: Dict[str, Any], slot: str) -> None:
        """The answer to ``slot``'s request arrived."""
        self._script(self._client(), limit["release_script"])(keys=limit["keys"][:1], args=[slot])

    async def aacquire(self, limit: Dict[str, Any], slot: str) -> None:
        import asyncio

        script = self._script(self._aclient(), limit["acquire_script"])
        while True:
            wait_ms = int(await script(keys=limit["keys"], args=[slot, *limit["args"]]))
            if wait_ms <= 0:
                return
            await asyncio.sleep(wait_ms / 1000)

    async def arelease(self, limit: Dict[str, Any], slot: str) -> None:
        await self._script(self._aclient(), limit["release_script"])(keys=limit["keys"][:1], args=[slot])

    def __repr__(self) -> str:
        return f"RedisLimiter({self.url!r})"


class SharedBudget:
    """A store's Process Payment budget in a `RedisLimiter`, as a client uses it."""

    __slots__ = ("_limiter", "_limit")

    def __init__(self, limiter: RedisLimiter, limit: Dict[str, Any]) -> None:
        self._limiter = limiter
        self._limit = limit

    def acquire(self, slot: str) -> None:
        self._limiter.acquire(self._limit, slot)

    def release(self, slot: str) -> None:
        self._limiter.release(self._limit, slot)

    async def aacquire(self, slot: str) -> None:
        await self._limiter.aacquire(self._limit, slot)

    async def arelease(self, slot: str) -> None:
        await self._limiter.arelease(self._limit, slot)


_NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)::bigint"


class PostgresJournal:
    """A journal several workers share: one row per order (``table``), created by `enqueue` and
    claimed by `bcpay.Batch.work` with ``SELECT … FOR UPDATE SKIP LOCKED`` under a lease (the
    database's clock). A working worker renews its leases (a heartbeat every third of the lease);
    a worker that dies leaves its orders leased, and when the lease runs out another worker
    claims them and, where a payment may have been sent, settles it from the order's
    transactions. A put is refused once another worker holds the order, so a worker that lost
    its order (stalled longer than the lease) sends nothing more for it.

    ``lease_ms`` defaults to the core's `lease_ms` for the batch's options (longer than a payment
    can take, so that even a stalled worker keeps its orders); a shorter lease takes a dead
    worker's orders over sooner."""

    def __init__(self, dsn: str, *, table: str = "bcpay_journal", worker: Optional[str] = None, lease_ms: Optional[int] = None) -> None:
        if not table.replace("_", "").isalnum():
            raise ValueError(f"table {table!r}: letters, digits and underscores only")
        import psycopg
        import socket  # here, not at the top: socket and uuid cost `import bcpay` ~4 ms
        import uuid

        self.table = table
        self.worker = worker or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.lease_ms = lease_ms
        with _storage_error("connecting to PostgreSQL"):
            self._db = psycopg.connect(dsn, autocommit=True)
            self._db.execute(
                f"CREATE TABLE IF NOT EXISTS {table} (order_id BIGINT PRIMARY KEY, state TEXT, record TEXT, queued BOOLEAN NOT NULL DEFAULT FALSE, "
                "lease_owner TEXT, lease_until_ms BIGINT, updated_at_ms BIGINT)"
            )
        import threading

        self._lock = threading.Lock()

    def _run(self, what: str, sql: str, params: Iterable[Any] = ()) -> List[Any]:
        with self._lock, _storage_error(what):
            cursor = self._db.execute(sql, tuple(params))
            return cursor.fetchall() if cursor.description else []

    def enqueue(self, order_ids: Iterable[int]) -> int:
        """Queues orders for the workers; an order already paid or declined stays done. Returns
        how many are queued."""
        ids = list(order_ids)
        self._run("queueing orders", f"INSERT INTO {self.table} (order_id, queued) SELECT unnest(%s::bigint[]), TRUE "
                  f"ON CONFLICT (order_id) DO UPDATE SET queued = {self.table}.state IS NULL OR {self.table}.state NOT IN ('paid', 'declined')", [ids])
        return int(self._run("counting orders", f"SELECT count(*) FROM {self.table} WHERE queued AND order_id = ANY(%s::bigint[])", [ids])[0][0])

    def claim(self, n: int, lease_ms: int) -> List[int]:
        """Claims up to ``n`` queued orders no live lease holds, for ``lease_ms``."""
        if n <= 0:
            return []
        rows = self._run("claiming orders", f"UPDATE {self.table} SET lease_owner = %s, lease_until_ms = {_NOW_MS} + %s WHERE order_id IN ("
                         f"SELECT order_id FROM {self.table} WHERE queued AND (lease_until_ms IS NULL OR lease_until_ms < {_NOW_MS}) "
                         "ORDER BY order_id LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING order_id", [self.worker, self.lease_ms or lease_ms, n])
        return sorted(int(r[0]) for r in rows)

    def renew(self) -> None:
        """Extends the lease of every order this worker holds (its heartbeat: a live worker
        never loses an order; a dead one's run out)."""
        self._run("renewing leases", f"UPDATE {self.table} SET lease_until_ms = {_NOW_MS} + %s WHERE lease_owner = %s AND queued",
                  [self.lease_ms or 0, self.worker])

    def finish(self, order_id: int) -> None:
        """The order is done for this run: no longer queued, its lease let go."""
        self._run("finishing an order", f"UPDATE {self.table} SET queued = FALSE, lease_owner = NULL, lease_until_ms = NULL "
                  "WHERE order_id = %s AND lease_owner = %s", [order_id, self.worker])

    def remaining(self) -> int:
        """Orders still queued, leased or not."""
        return int(self._run("counting orders", f"SELECT count(*) FROM {self.table} WHERE queued")[0][0])

    def get(self, order_id: int) -> Optional[str]:
        rows = self._run("reading a record", f"SELECT record FROM {self.table} WHERE order_id = %s", [order_id])
        return None if not rows or rows[0][0] is None else str(rows[0][0])

    def put(self, order_id: int, state: str, record: str) -> None:
        lease = self.lease_ms or 0
        rows = self._run(
            "writing a record",
            f"INSERT INTO {self.table} (order_id, state, record, updated_at_ms) VALUES (%s, %s, %s, {_NOW_MS}) "
            f"ON CONFLICT (order_id) DO UPDATE SET state = EXCLUDED.state, record = EXCLUDED.record, updated_at_ms = EXCLUDED.updated_at_ms, "
            f"lease_until_ms = CASE WHEN {self.table}.lease_owner = %s THEN GREATEST({self.table}.lease_until_ms, {_NOW_MS} + %s) ELSE {self.table}.lease_until_ms END "
            f"WHERE {self.table}.lease_owner IS NULL OR {self.table}.lease_owner = %s OR {self.table}.lease_until_ms < {_NOW_MS} RETURNING order_id",
            [order_id, state, record, self.worker, lease, self.worker],
        )
        if not rows:
            raise _storage_error.lost(order_id)

    def states(self) -> Dict[int, Optional[str]]:
        """Every order's state (``None``: not started)."""
        return {int(o): s for o, s in self._run("reading records", f"SELECT order_id, state FROM {self.table}")}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"PostgresJournal(table={self.table!r}, worker={self.worker!r})"
