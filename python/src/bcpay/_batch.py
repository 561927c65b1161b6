"""Billing runs that survive crashes: a journal of every payment (SQLite by default) and a
`Batch` over many orders. The rules — what is recorded before and after each Process Payment,
and what a later run does with each record — are bcpay-core's (``bcpay_core::journal``); this
module stores records and runs payments side by side."""
from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from ._errors import BcpayError, from_details
from ._models import PaymentReceipt, Record, load

if TYPE_CHECKING:
    from typing import Protocol

    from ._client import AsyncClient, Client
    from ._inputs import Payment

    class Journal(Protocol):
        """Where a billing run keeps one record per order. ``put`` must be durable when it
        returns: the Process Payment it precedes goes out only then."""

        def get(self, order_id: int) -> Optional[str]:
            """The order's record (JSON text, as put), if any."""

        def put(self, order_id: int, state: str, record: str) -> None:
            """Stores ``record`` for the order, replacing its previous one; ``state`` is the
            record's (``sending``, ``paid``, ``declined``, ``ambiguous``, ``failed``), for
            queries."""
else:
    Journal = Any


class RecordedError(Record):
    """Why a payment is not paid: the error's kind and code, and the core's sentence."""

    kind: str
    text: str
    code: Optional[int] = None


class BatchResult(Record):
    """How one order ended. ``state``: ``paid``, ``declined``, ``ambiguous`` (may have been
    charged; not sent again — a later run settles it), or ``failed`` (nothing was taken).
    ``skipped``: finished by an earlier run, taken from the journal."""

    order_id: int
    state: str
    skipped: bool
    attempts: int = 0
    error: Optional[RecordedError] = None
    receipt: Optional[PaymentReceipt] = None

    @classmethod
    def _from_core(cls, done: Dict[str, Any]) -> "BatchResult":
        record = done["record"]
        return load(cls, dict(record, skipped=done["skipped"]))


class BatchSummary(Record):
    """Every order of a run, and the counts by state (``skipped`` counts those finished earlier,
    whatever their state)."""

    paid: int
    declined: int
    ambiguous: int
    failed: int
    skipped: int
    results: List[BatchResult]

    @classmethod
    def of(cls, results: List[BatchResult]) -> "BatchSummary":
        def count(state: str) -> int:
            return sum(1 for r in results if r.state == state)

        return cls(count("paid"), count("declined"), count("ambiguous"), count("failed"), sum(1 for r in results if r.skipped), results)


class SqliteJournal:
    """The embedded journal: one SQLite file (``sqlite3`` from the standard library; WAL,
    ``synchronous=FULL``, so a put is on disk when it returns). Safe to share between the
    threads of one run; one run at a time: it holds the file's lock (SQLite's exclusive locking
    mode) while open, so a second run on the same file fails to open it (`ConfigurationError`,
    ``journal_in_use``) instead of paying the same orders. Many workers share a
    `bcpay.PostgresJournal` instead."""

    def __init__(self, path: Union[str, "os.PathLike[str]"]) -> None:
        import sqlite3
        import threading

        self.path = os.fspath(path)
        self._lock = threading.Lock()
        with _storage_error(f"opening {self.path}"):
            self._db = sqlite3.connect(self.path, timeout=2, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
        try:
            # Takes the lock now, and keeps it until the journal is closed.
            self._db.execute("BEGIN EXCLUSIVE")
            self._db.execute("COMMIT")
        except sqlite3.OperationalError as e:
            self._db.close()
            raise _journal_error("journal_in_use", f"opening {self.path}: another run holds it ({e})") from e
        with _storage_error(f"opening {self.path}"):
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS bcpay_journal (order_id INTEGER PRIMARY KEY, state TEXT NOT NULL, record TEXT NOT NULL, updated_at_ms INTEGER NOT NULL)"
            )

    def get(self, order_id: int) -> Optional[str]:
        with self._lock, _storage_error("reading a record"):
            row = self._db.execute("SELECT record FROM bcpay_journal WHERE order_id = ?", (order_id,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, order_id: int, state: str, record: str) -> None:
        with self._lock, _storage_error("writing a record"):
            self._db.execute(
                "INSERT INTO bcpay_journal (order_id, state, record, updated_at_ms) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(order_id) DO UPDATE SET state = excluded.state, record = excluded.record, updated_at_ms = excluded.updated_at_ms",
                (order_id, state, record, int(time.time() * 1000)),
            )

    def states(self) -> Dict[int, str]:
        """Every order's state, for reports."""
        with self._lock:
            return {int(o): str(s) for o, s in self._db.execute("SELECT order_id, state FROM bcpay_journal")}

    def close(self) -> None:
        """Closes the file, letting another run open it."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> "SqliteJournal":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqliteJournal({self.path!r})"


class _storage_error:
    """Turns a storage failure (sqlite3's or psycopg's) into a `ConfigurationError`
    (``journal_unavailable``): a payment whose ``sending`` record was not put was not sent."""

    def __init__(self, what: str) -> None:
        self._what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: Any, tb: Any) -> None:
        import sqlite3
        import sys

        psycopg = sys.modules.get("psycopg")
        if isinstance(error, sqlite3.Error) or (psycopg is not None and isinstance(error, psycopg.Error)):
            raise _journal_error("journal_unavailable", f"{self._what}: {error}") from error

    @staticmethod
    def lost(order_id: int) -> BcpayError:
        return _journal_error("lease_lost", f"order {order_id} is claimed by another worker (this worker's lease ran out)")


def _journal_error(code: str, text: str) -> BcpayError:
    return from_details(f"configuration: The billing journal cannot be used — {text}", _dumps({
        "kind": "configuration", "class_name": "ConfigurationError", "title": "The billing journal cannot be used", "detail": text,
        "code_text": code, "retry": {"type": "never"},
        "remedy": "Check the journal (path, permissions, disk space, database); a payment whose sending record was not written was not sent."}))


class _RunJournal:
    """The journal of one run: a `Journal` the caller gave, or a `SqliteJournal` at a path the
    caller gave, opened for the run and closed after it (so that the next run can open it)."""

    def __init__(self, journal: Union[Journal, str, "os.PathLike[str]"]) -> None:
        self._given = journal

    def __enter__(self) -> Any:
        self._opened = SqliteJournal(self._given) if isinstance(self._given, (str, os.PathLike)) else None
        return self._opened or self._given

    def __exit__(self, *exc: object) -> None:
        if self._opened is not None:
            self._opened.close()


def _item(index: int, item: Any) -> Tuple[Any, Any]:
    """An ``(order_id, payment)`` pair; anything else is a typed error naming the item."""
    if isinstance(item, tuple) and len(item) == 2:
        return item
    description = f"payments[{index}]: expected an (order_id, payment) pair"
    raise from_details(f"validation: The input is invalid — payments[{index}]: invalid_input", _dumps({
        "kind": "validation", "class_name": "ValidationError", "title": "The input is invalid", "retry": {"type": "never"},
        "field_errors": [{"path": f"payments[{index}]", "code": "invalid_input", "description": description}]}))


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value)


Progress = Callable[[BatchResult], None]


def _refused(order_id: Any, error: BcpayError) -> BatchResult:
    """A row whose payment could not start (invalid input): failed, nothing sent or written. A
    journal that cannot be used stops the run instead."""
    if error.code_text in ("journal_unavailable", "lease_lost"):
        raise error
    return BatchResult(order_id=order_id, state="failed", skipped=False, error=RecordedError(kind=error.kind, text=str(error)))


class Batch:
    """Charges many orders under a journal: a rerun after a crash skips what is finished,
    settles what a stopped run may have sent (from the orders' transactions, never by sending
    again), and pays the rest. ``payments`` are ``(order_id, payment)`` pairs, one per order;
    ``journal`` is a `Journal`, or a path for a `SqliteJournal` opened for each run and closed
    after it; ``concurrency`` payments run at once (threads), sharing the client's rate limiter;
    ``on_progress`` hears each result;
    ``options`` are flow options (e.g. ``is_recurring=True`` for stored cards without a CVV).

    >>> summary = Batch(client, "billing.db", is_recurring=True).run(rows)  # doctest: +SKIP
    """

    def __init__(self, client: "Client", journal: Union[Journal, str, "os.PathLike[str]"], *, concurrency: int = 4, on_progress: Optional[Progress] = None, **options: Any) -> None:
        self._client = client
        self._journal = journal
        self._concurrency = max(1, int(concurrency))
        self._on_progress = on_progress
        self._options = options

    def run(self, payments: Iterable[Tuple[int, "Payment"]]) -> BatchSummary:
        from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

        results: List[BatchResult] = []
        with _RunJournal(self._journal) as journal, ThreadPoolExecutor(max_workers=self._concurrency) as pool:
            running: "set[Future[BatchResult]]" = set()

            def collect(futures: Iterable["Future[BatchResult]"]) -> None:
                for f in futures:
                    result = f.result()
                    results.append(result)
                    if self._on_progress is not None:
                        self._on_progress(result)

            for index, item in enumerate(payments):
                order_id, payment = _item(index, item)
                if len(running) >= self._concurrency:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    collect(done)
                running.add(pool.submit(self._pay, journal, order_id, payment))
            collect(wait(running).done)
        return BatchSummary.of(results)

    def _pay(self, journal: Any, order_id: Any, payment: Any) -> BatchResult:
        try:
            return self._client.pay_journaled(order_id, payment, journal, **self._options)
        except BcpayError as e:
            return _refused(order_id, e)

    def work(self, payment_for: Callable[[int], "Payment"], *, poll_s: float = 0.25) -> BatchSummary:
        """One worker of many over a shared journal (`bcpay.PostgresJournal`) whose orders were
        queued with ``journal.enqueue(order_ids)``: claims ``concurrency`` orders at a time under
        a lease, pays each with ``payment_for(order_id)`` (your billing data: which stored
        instrument pays this order), and returns when no order is queued — including orders a
        dead worker held, claimed once their lease runs out and settled before anything else.
        The summary covers the orders this worker finished."""
        import threading

        journal: Any = self._journal
        lease_ms = journal.lease_ms or self._client._lease_ms(self._options)
        journal.lease_ms = lease_ms
        results: List[BatchResult] = []
        stop = threading.Event()

        def heartbeat() -> None:
            while not stop.wait(lease_ms / 3000):
                journal.renew()

        beating = threading.Thread(target=heartbeat, name="bcpay-lease", daemon=True)
        beating.start()
        try:
            self._work(journal, lease_ms, payment_for, poll_s, results)
        finally:
            stop.set()
            beating.join()
        return BatchSummary.of(results)

    def _work(self, journal: Any, lease_ms: int, payment_for: Callable[[int], "Payment"], poll_s: float, results: List[BatchResult]) -> None:
        from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

        with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
            running: "set[Future[Optional[BatchResult]]]" = set()
            while True:
                for order_id in journal.claim(self._concurrency - len(running), lease_ms):
                    running.add(pool.submit(self._work_one, journal, order_id, payment_for))
                if not running:
                    if journal.remaining() == 0:
                        break
                    time.sleep(poll_s)  # other workers hold the rest: wait for them, or for their leases to run out
                    continue
                done, running = wait(running, timeout=poll_s, return_when=FIRST_COMPLETED)
                for f in done:
                    result = f.result()
                    if result is not None:
                        results.append(result)
                        if self._on_progress is not None:
                            self._on_progress(result)

    def _work_one(self, journal: Any, order_id: int, payment_for: Callable[[int], "Payment"]) -> Optional[BatchResult]:
        try:
            result = self._pay(journal, order_id, payment_for(order_id))
        except BcpayError as e:
            if e.code_text == "lease_lost":
                return None  # another worker holds the order now
            raise
        journal.finish(order_id)
        return result


class AsyncBatch:
    """`Batch` for asyncio: ``await AsyncBatch(client, "billing.db").run(rows)``, with
    ``concurrency`` payments in flight on the event loop."""

    def __init__(self, client: "AsyncClient", journal: Union[Journal, str, "os.PathLike[str]"], *, concurrency: int = 8, on_progress: Optional[Progress] = None, **options: Any) -> None:
        self._client = client
        self._journal = journal
        self._concurrency = max(1, int(concurrency))
        self._on_progress = on_progress
        self._options = options

    async def run(self, payments: Iterable[Tuple[int, "Payment"]]) -> BatchSummary:
        with _RunJournal(self._journal) as journal:
            return await self._run(journal, payments)

    async def _run(self, journal: Any, payments: Iterable[Tuple[int, "Payment"]]) -> BatchSummary:
        import asyncio

        results: List[BatchResult] = []
        slots = asyncio.Semaphore(self._concurrency)

        async def one(order_id: Any, payment: Any) -> None:
            try:
                result = await self._client.pay_journaled(order_id, payment, journal, **self._options)
            except BcpayError as e:
                result = _refused(order_id, e)
            finally:
                slots.release()
            results.append(result)
            if self._on_progress is not None:
                self._on_progress(result)

        tasks = []
        for index, item in enumerate(payments):
            order_id, payment = _item(index, item)
            await slots.acquire()
            tasks.append(asyncio.ensure_future(one(order_id, payment)))
        await asyncio.gather(*tasks)
        return BatchSummary.of(results)
