/**
 * `bcpay/billing`: billing runs that survive crashes, for Node. Everything `bcpay` exports, plus
 * a journal of every payment (`SqliteJournal` over better-sqlite3, or your own `Journal`) and a
 * `Batch` over many orders. Before each Process Payment the order is recorded as `sending`,
 * durably, and after it the outcome; a rerun skips finished orders, settles the ones a stopped
 * run may have sent (from the order's transactions, never by sending again) and pays the rest.
 * The rules are bcpay-core's (`core/src/journal.rs`); this module stores records.
 *
 * Importing it makes every client created afterwards use a build of the core that includes the
 * journal (a larger module than `bcpay`'s default, which stays within its size budget for edge
 * runtimes).
 */
import * as billingModule from "./generated/bcpay_billing.js";
import { BILLING_WASM_BASE64 } from "./generated/bcpay_billing_bytes.js";
import { BcpayError, Client, _useCoreModule } from "./index.js";
import type { CallOptions } from "./index.js";
import { toCamel } from "./errors.js";
import type { Json } from "./errors.js";
import type { FlowOptions, Payment, PaymentReceipt } from "./types.js";

_useCoreModule(billingModule as unknown as Parameters<typeof _useCoreModule>[0], BILLING_WASM_BASE64);

export * from "./index.js";

/** Where an order's payment stands in the journal. */
export type JournalState = "sending" | "paid" | "declined" | "ambiguous" | "failed";

/**
 * Where a billing run keeps one record per order. `put` must be durable and synchronous: the
 * Process Payment it precedes goes out when it returns (better-sqlite3 is synchronous). A `put`
 * that throws stops that payment before anything unrecorded is sent.
 */
export interface Journal {
  /** The order's record as put (JSON text), if any. */
  get(orderId: number): string | null | undefined;
  /** Stores `record` for the order, replacing its previous one; `state` is the record's. */
  put(orderId: number, state: JournalState, record: string): void;
}

/** How one order ended (see `JournalState`); `skipped`: finished by an earlier run. */
export interface BatchResult {
  orderId: number;
  state: JournalState;
  skipped: boolean;
  attempts: number;
  error?: { kind: string; code?: number; text: string };
  receipt?: PaymentReceipt;
}

/** Every order of a run and the counts by state (`skipped` counts those finished earlier). */
export interface BatchSummary {
  paid: number;
  declined: number;
  ambiguous: number;
  failed: number;
  skipped: number;
  results: BatchResult[];
}

/** The part of a better-sqlite3 `Database` the journal uses. */
export interface SqliteDatabase {
  pragma(source: string): unknown;
  exec(source: string): unknown;
  prepare(source: string): { get(...params: unknown[]): unknown; run(...params: unknown[]): unknown; all(...params: unknown[]): unknown[] };
}

/**
 * The embedded journal: a table in a SQLite database opened with better-sqlite3@12
 * (`new SqliteJournal(new Database("billing.db"))`), in WAL mode with `synchronous=FULL`, so a
 * put is on disk when it returns. One run at a time: it holds the file's lock (SQLite's
 * exclusive locking mode) until you close the database, so a second run on the same file throws
 * a `ConfigurationError` (`codeText` `journal_in_use`) instead of paying the same orders.
 */
export class SqliteJournal implements Journal {
  readonly #get: ReturnType<SqliteDatabase["prepare"]>;
  readonly #put: ReturnType<SqliteDatabase["prepare"]>;
  readonly #states: ReturnType<SqliteDatabase["prepare"]>;

  constructor(db: SqliteDatabase) {
    db.pragma("locking_mode = EXCLUSIVE");
    try {
      // Takes the lock now, and keeps it until the database is closed.
      db.exec("BEGIN EXCLUSIVE; COMMIT;");
    } catch (err) {
      throw BcpayError.fromDetails({ kind: "configuration", class_name: "ConfigurationError", title: "The billing journal cannot be used",
        message: `configuration: The billing journal cannot be used — another run holds it (${(err as Error).message})`,
        code_text: "journal_in_use", retry: { type: "never" }, remedy: "Wait for the other run to end: a journal serves one run at a time." });
    }
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec("CREATE TABLE IF NOT EXISTS bcpay_journal (order_id INTEGER PRIMARY KEY, state TEXT NOT NULL, record TEXT NOT NULL, updated_at_ms INTEGER NOT NULL)");
    this.#get = db.prepare("SELECT record FROM bcpay_journal WHERE order_id = ?");
    this.#put = db.prepare(
      "INSERT INTO bcpay_journal (order_id, state, record, updated_at_ms) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT(order_id) DO UPDATE SET state = excluded.state, record = excluded.record, updated_at_ms = excluded.updated_at_ms",
    );
    this.#states = db.prepare("SELECT order_id, state FROM bcpay_journal");
  }

  get(orderId: number): string | undefined {
    const row = this.#get.get(orderId) as { record: string } | undefined;
    return row?.record;
  }

  put(orderId: number, state: JournalState, record: string): void {
    this.#put.run(orderId, state, record, Date.now());
  }

  /** Every order's state, for reports. */
  states(): Record<number, JournalState> {
    const out: Record<number, JournalState> = {};
    for (const row of this.#states.all() as { order_id: number; state: JournalState }[]) out[row.order_id] = row.state;
    return out;
  }
}

function result(done: Json): BatchResult {
  const { record, skipped } = done as { record: Record<string, Json>; skipped: boolean };
  const r = toCamel<Omit<BatchResult, "skipped">>(record);
  return { orderId: r.orderId, state: r.state, skipped, attempts: r.attempts, error: r.error, receipt: r.receipt };
}

/**
 * Pays `orderId` with `payment` under `journal`: skipped when its record is final, settled from
 * the order's transactions when an earlier run may have sent it, else paid, the `sending` record
 * put before Process Payment goes out. Resolves with how the order ended (it does not reject for
 * a decline or an ambiguous outcome); rejects for invalid input, or with a `ConfigurationError`
 * (`codeText` `journal_unavailable`) when the journal cannot be written.
 */
export async function payJournaled(client: Client, orderId: number, payment: Payment, journal: Journal, options: FlowOptions & CallOptions = {}): Promise<BatchResult> {
  const stored = Number.isSafeInteger(orderId) ? (journal.get(orderId) ?? undefined) : undefined;
  const done = await Client._payJournaled(client, orderId, payment, stored, (id, state, record) => journal.put(id, state as JournalState, record), options);
  return result(done);
}

/**
 * Charges many orders under a journal (see the module's documentation): `run(payments)` with
 * `[orderId, payment]` pairs, one per order; `concurrency` payments at once, sharing the client's
 * rate limiter; `onProgress` hears each result; the remaining options are flow options (e.g.
 * `isRecurring: true` for stored cards without a CVV). A row with invalid input fails alone; a
 * journal that cannot be written rejects the run.
 */
export class Batch {
  readonly #client: Client;
  readonly #journal: Journal;
  readonly #concurrency: number;
  readonly #onProgress?: (result: BatchResult) => void;
  readonly #options: FlowOptions;

  constructor(client: Client, journal: Journal, options: FlowOptions & { concurrency?: number; onProgress?: (result: BatchResult) => void } = {}) {
    const { concurrency, onProgress, ...flowOptions } = options;
    this.#client = client;
    this.#journal = journal;
    this.#concurrency = Math.max(1, Math.floor(concurrency ?? 8));
    this.#onProgress = onProgress;
    this.#options = flowOptions;
  }

  async run(payments: Iterable<[number, Payment]> | AsyncIterable<[number, Payment]>): Promise<BatchSummary> {
    const results: BatchResult[] = [];
    const running = new Set<Promise<void>>();
    let failure: unknown;
    const one = async (orderId: number, payment: Payment): Promise<void> => {
      let r: BatchResult;
      try {
        r = await payJournaled(this.#client, orderId, payment, this.#journal, this.#options);
      } catch (err) {
        if (!(err instanceof BcpayError) || err.codeText === "journal_unavailable") {
          failure ??= err;
          return;
        }
        r = { orderId, state: "failed", skipped: false, attempts: 0, error: { kind: err.kind, text: err.message } };
      }
      results.push(r);
      this.#onProgress?.(r);
    };
    let index = 0;
    for await (const item of payments) {
      if (failure !== undefined) break;
      if (!Array.isArray(item) || item.length !== 2) {
        failure = BcpayError.fromDetails({ kind: "validation", class_name: "ValidationError", title: "The input is invalid", message: `validation: The input is invalid — payments[${index}]: invalid_input`,
          field_errors: [{ path: `payments[${index}]`, code: "invalid_input", description: `payments[${index}]: expected an [orderId, payment] pair` }], retry: { type: "never" } });
        break;
      }
      const p = one(item[0], item[1]).finally(() => running.delete(p));
      running.add(p);
      if (running.size >= this.#concurrency) await Promise.race(running);
      index++;
    }
    await Promise.all(running);
    if (failure !== undefined) throw failure;
    const count = (state: JournalState) => results.filter((r) => r.state === state).length;
    return { paid: count("paid"), declined: count("declined"), ambiguous: count("ambiguous"), failed: count("failed"), skipped: results.filter((r) => r.skipped).length, results };
  }
}
