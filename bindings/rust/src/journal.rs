//! Durable billing runs: [`Client::pay_journaled`] drives a core [`JournaledPayment`](bcpay_core::journal::JournaledPayment) over a
//! [`Journal`] — the storage, which is all a host adds; the rules (what to record when, what a
//! later run does with each record) are the core's, in [`bcpay_core::journal`].

pub use bcpay_core::journal::*;

use crate::{Client, Transport, now_ms};
use bcpay_core::model::Payment;
use bcpay_core::{FlowOptions, PaymentError};

/// Where a billing run keeps its records, one per order. `put` must be durable when it returns:
/// a Process Payment is sent only after its `sending` record is put.
pub trait Journal: Send + Sync {
    /// The order's record as stored (`JournalRecord::to_json`), if any.
    fn get(&self, order_id: u64) -> Result<Option<String>, PaymentError>;
    /// Stores `record`, replacing the order's.
    fn put(&self, record: &JournalRecord) -> Result<(), PaymentError>;
    /// Every record, by order id.
    fn all(&self) -> Result<Vec<JournalRecord>, PaymentError>;
}

impl<T: Transport> Client<T> {
    /// Pays `order_id` with `payment` under `journal` (see [`bcpay_core::journal`]): skipped when
    /// its record is final, settled from the order's transactions when an earlier run may have
    /// sent it, else paid — its `sending` record put before Process Payment goes out and its
    /// outcome after. Returns the final record and whether the order was skipped. An error means
    /// the journal could not be used (and nothing unrecorded was sent).
    pub async fn pay_journaled(
        &self,
        order_id: u64,
        payment: Payment,
        journal: &dyn Journal,
        options: Option<FlowOptions>,
    ) -> Result<(JournalRecord, bool), PaymentError> {
        let record = journal.get(order_id)?.map(|text| JournalRecord::read(&text)).transpose()?;
        let mut op = self.session().pay_journaled(order_id, payment, record, options, now_ms(), None);
        let mut storage_error = None;
        let watched = self.watched();
        if watched {
            op.observe();
        }
        let mut out = crate::Exchanges::default();
        loop {
            let step = op.poll(now_ms());
            if watched {
                self.emit(op.take_events());
            }
            match step {
                JournalStep::Write { record } => match journal.put(&record) {
                    Ok(()) => op.written(),
                    Err(e) if storage_error.is_none() => {
                        // Nothing more goes out; the error is reported once the run has stopped.
                        storage_error = Some(e);
                        let _ = op.cancel(now_ms());
                        if journal.put(op.record()).is_ok() {
                            op.written();
                        } else {
                            return Err(storage_error.expect("just set"));
                        }
                    }
                    Err(e) => return Err(e),
                },
                JournalStep::Send { request } => out.start(self.exchange(request)),
                JournalStep::Awaiting { request_id } => match out.outcome_of(&request_id).await {
                    Some(Ok(response)) => op.on_response(&request_id, &response, now_ms()),
                    Some(Err(e)) => op.on_transport_failure(&request_id, e.failure, e.cause.as_deref(), now_ms()),
                    None => return Err(crate::unexpected_await(&request_id)),
                },
                JournalStep::Wait { until_ms } => crate::sleep_until(until_ms).await,
                JournalStep::Finished { record, skipped } => {
                    return match storage_error {
                        Some(e) => Err(e),
                        None => Ok((record, skipped)),
                    };
                }
            }
        }
    }
}

#[cfg(feature = "sqlite")]
pub use sqlite::SqliteJournal;

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::{Journal, journal_error};
    use bcpay_core::PaymentError;
    use bcpay_core::journal::JournalRecord;
    use rusqlite::{Connection, OptionalExtension, params};
    use std::path::Path;
    use std::sync::Mutex;

    /// The embedded journal: one SQLite file (WAL, `synchronous=FULL`, so a put is on disk when
    /// it returns). Safe to share between the tasks of one run; one run at a time: it holds the
    /// file's lock (SQLite's exclusive locking mode) while open, so a second run on the same
    /// journal fails to open it (`journal_in_use`) instead of paying the same orders. Many
    /// workers share a PostgreSQL journal instead.
    pub struct SqliteJournal {
        db: Mutex<Connection>,
    }

    impl SqliteJournal {
        /// Opens (or creates) the journal at `path`.
        pub fn open(path: &Path) -> Result<SqliteJournal, PaymentError> {
            let fail = |e: rusqlite::Error| journal_error(&format!("opening {}", path.display()), e);
            let db = Connection::open(path).map_err(fail)?;
            db.busy_timeout(std::time::Duration::from_secs(2)).map_err(fail)?;
            db.pragma_update(None, "locking_mode", "EXCLUSIVE").map_err(fail)?;
            // Takes the lock now, and keeps it until the journal is closed.
            db.execute_batch("BEGIN EXCLUSIVE; COMMIT;").map_err(|e| {
                let mut error = journal_error(&format!("opening {}", path.display()), e);
                error.code_text = Some("journal_in_use".to_owned());
                error.remedy = "Another run holds this journal: wait for it to end (a journal serves one run at a time).".to_owned();
                error
            })?;
            db.pragma_update(None, "journal_mode", "WAL").map_err(fail)?;
            db.pragma_update(None, "synchronous", "FULL").map_err(fail)?;
            db.execute_batch(
                "CREATE TABLE IF NOT EXISTS bcpay_journal (
                    order_id INTEGER PRIMARY KEY,
                    state TEXT NOT NULL,
                    record TEXT NOT NULL,
                    updated_at_ms INTEGER NOT NULL
                )",
            )
            .map_err(fail)?;
            Ok(SqliteJournal { db: Mutex::new(db) })
        }

        fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
            self.db.lock().unwrap_or_else(|p| p.into_inner())
        }
    }

    impl Journal for SqliteJournal {
        fn get(&self, order_id: u64) -> Result<Option<String>, PaymentError> {
            self.db()
                .query_row(
                    "SELECT record FROM bcpay_journal WHERE order_id = ?1",
                    params![order_id as i64],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| journal_error("reading a record", e))
        }

        fn put(&self, record: &JournalRecord) -> Result<(), PaymentError> {
            self.db()
                .execute(
                    "INSERT INTO bcpay_journal (order_id, state, record, updated_at_ms) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(order_id) DO UPDATE SET state = excluded.state, record = excluded.record, updated_at_ms = excluded.updated_at_ms",
                    params![record.order_id as i64, record.state.as_str(), record.to_json(), record.updated_at_ms as i64],
                )
                .map(drop)
                .map_err(|e| journal_error("writing a record", e))
        }

        fn all(&self) -> Result<Vec<JournalRecord>, PaymentError> {
            let db = self.db();
            let mut query = db
                .prepare("SELECT record FROM bcpay_journal ORDER BY order_id")
                .map_err(|e| journal_error("reading records", e))?;
            let texts = query
                .query_map([], |r| r.get::<_, String>(0))
                .and_then(Iterator::collect::<Result<Vec<_>, _>>)
                .map_err(|e| journal_error("reading records", e))?;
            texts.iter().map(|t| JournalRecord::read(t)).collect()
        }
    }
}
