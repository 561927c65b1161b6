//! `bcpay`: the command-line host of bcpay. `bcpay demo` tells the whole story against an
//! embedded sandbox; the other commands work against any store (or `bcpay sandbox`).

mod app_server;
mod charge;
mod demo;

use anstream::{eprintln, println};
use bcpay::api::MethodsQuery;
use bcpay::model::{Payment, RefundItem};
use bcpay::secret::ApiToken;
use bcpay::{Client, ClientConfig, PaymentError, ReqwestTransport};
use bcpay_sandbox::{Faults, Sandbox, SandboxConfig};
use clap::{Args, Parser, Subcommand};
use owo_colors::OwoColorize;
use std::io::Read;

#[derive(Parser)]
#[command(
    name = "bcpay",
    version,
    about = "Take BigCommerce payments safely: a guided demo, a local sandbox, and the Payments API from the command line."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the store is. Flags win over environment variables.
#[derive(Args, Clone)]
struct StoreArgs {
    /// Store hash.
    #[arg(long, env = "BCPAY_STORE_HASH", global = true)]
    store_hash: Option<String>,
    /// API account access token (X-Auth-Token). Prefer the environment variable: flags show up in `ps`.
    #[arg(long, env = "BCPAY_API_TOKEN", hide_env_values = true, global = true)]
    api_token: Option<String>,
    /// Management API base URL.
    #[arg(long, env = "BCPAY_API_BASE", global = true)]
    api_base: Option<String>,
    /// Payments API base URL.
    #[arg(long, env = "BCPAY_PAYMENTS_BASE", global = true)]
    payments_base: Option<String>,
    /// Per-request timeout in milliseconds.
    #[arg(long, default_value_t = 30_000, global = true)]
    timeout_ms: u64,
}

#[derive(Subcommand)]
enum Command {
    /// Start an embedded sandbox and walk through the whole API as a story.
    Demo,
    /// Stand in for a merchant's server while building an app: an embedded sandbox behind
    /// `POST /checkout` (a new order and its accepted methods) and `POST /pay` (a payment the
    /// app relays; the app holds no token).
    AppServer {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 8090)]
        port: u16,
        /// How long an unclear payment is settled before it is reported ambiguous.
        #[arg(long, default_value_t = 60_000)]
        settle_window_ms: u64,
        /// Stop when standard input closes (a test host passes a pipe it holds, so the server
        /// ends with the host even if the host crashes).
        #[arg(long)]
        stop_when_stdin_closes: bool,
    },
    /// Serve the sandbox until interrupted.
    Sandbox {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Faults, e.g. `reset_after_commit=0.05,slow=0.02,slow_ms=3000` (see README).
        #[arg(long, env = "BCPAY_SANDBOX_FAULTS", default_value = "")]
        faults: String,
        /// Seed for fault decisions.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Delay (ms) before each API request is handled: a network's round trip.
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
    },
    /// List the accepted payment methods for an order.
    Methods {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        order_id: u64,
    },
    /// Create a payment access token and show its claims (never the token itself).
    Token {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        order_id: u64,
    },
    /// Pay an order: methods → token → process, with retries and reconciliation.
    Pay {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        order_id: u64,
        /// Payment method id, e.g. stripe.card.
        #[arg(long)]
        method: String,
        /// The instrument as JSON, `@file`, or `-` for standard input (keeps card data out of
        /// shell history), e.g. {"type":"stored_card","token":"…","verification_value":"123"}.
        #[arg(long)]
        instrument: String,
        /// Save the card for later.
        #[arg(long)]
        save: bool,
    },
    /// Show an order's status.
    Order {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        order_id: u64,
    },
    /// List an order's transactions.
    Transactions {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        order_id: u64,
    },
    /// Whether an order is paid and how much is due (the order and all its transactions).
    Status {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        order_id: u64,
    },
    /// Capture an authorized payment.
    Capture {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        order_id: u64,
    },
    /// Void an authorized payment.
    Void {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        order_id: u64,
    },
    /// Refund an amount of an order through a provider (quote first, then refund).
    Refund {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        order_id: u64,
        /// Amount in the order's currency, e.g. 10.50.
        #[arg(long)]
        amount: f64,
        /// Reason recorded with the refund.
        #[arg(long, default_value = "requested by customer")]
        reason: String,
    },
    /// Pay many orders from a CSV file under the rate limit.
    Charge {
        #[command(flatten)]
        store: StoreArgs,
        /// CSV with header: order_id,payment_method_id,instrument_type,token,verification_value,gift_certificate_code
        #[arg(long)]
        file: std::path::PathBuf,
        /// Flows in flight at once.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// The journal (SQLite) that makes the run resumable: a rerun skips finished rows and
        /// settles the ones a stopped run left in flight. Default: `<file>.journal.db`.
        #[arg(long)]
        journal: Option<std::path::PathBuf>,
        /// Merchant-initiated charges of stored instruments (`is_recurring`): no CVV needed.
        #[arg(long)]
        recurring: bool,
        /// Flow options as JSON, e.g. `{"settle_window_ms":120000}` (keys as in the core's
        /// `FlowOptions`).
        #[arg(long)]
        options: Option<String>,
        /// Process Payment requests the store allows per 4 s window (BigCommerce's default is 50).
        #[arg(long, default_value_t = 50)]
        payments_quota: u32,
    },
}

fn client(store: &StoreArgs) -> Result<Client<ReqwestTransport>, PaymentError> {
    let missing =
        |what: &str, env: &str| PaymentError::configuration(what, "missing", &format!("--{} or {env} is required", what.replace('_', "-")));
    let hash = store.store_hash.clone().ok_or_else(|| missing("store_hash", "BCPAY_STORE_HASH"))?;
    let token = store.api_token.clone().ok_or_else(|| missing("api_token", "BCPAY_API_TOKEN"))?;
    let mut config = ClientConfig::new(&hash, ApiToken::new(token))?.with_host("cli");
    if let Some(b) = &store.api_base {
        config = config.with_api_base(b)?;
    }
    if let Some(b) = &store.payments_base {
        config = config.with_payments_base(b)?;
    }
    Ok(Client::with_transport(config, ReqwestTransport::new(store.timeout_ms)))
}

fn read_instrument(spec: &str) -> Result<String, PaymentError> {
    let io = |e: std::io::Error| {
        PaymentError::configuration("instrument", "unreadable", &format!("could not read the instrument: {}", e.kind()))
    };
    if spec == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map_err(io)?;
        Ok(s)
    } else if let Some(path) = spec.strip_prefix('@') {
        std::fs::read_to_string(path).map_err(io)
    } else {
        Ok(spec.to_owned())
    }
}

/// Prints an error the way every command does: kind, title, fields, shopper message, remedy.
pub(crate) fn print_error(e: &PaymentError) {
    eprintln!("{} {}", "✗".red().bold(), e.to_string().red());
    for f in &e.field_errors {
        eprintln!("    {} {}: {} ({})", "·".dimmed(), f.path.bold(), f.description, f.code.dimmed());
    }
    eprintln!("    {} {}", "shopper sees:".dimmed(), e.shopper_message);
    eprintln!("    {} {}", "remedy:".dimmed(), e.remedy);
}

fn print_json(value: &impl serde::Serialize) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

async fn run(cli: Cli) -> Result<(), PaymentError> {
    match cli.command {
        Command::Demo => demo::run().await,
        Command::AppServer {
            port,
            settle_window_ms,
            stop_when_stdin_closes,
        } => {
            if stop_when_stdin_closes {
                bcpay_sandbox::stop_when_stdin_closes();
            }
            app_server::run(port, settle_window_ms).await
        }
        Command::Sandbox {
            port,
            faults,
            seed,
            latency_ms,
        } => {
            let faults = Faults::parse(&faults).map_err(|e| PaymentError::configuration("faults", "invalid_faults", &e))?;
            let config = SandboxConfig {
                faults,
                seed,
                latency_ms,
                ..SandboxConfig::default()
            };
            let sandbox = Sandbox::start(config, port)
                .await
                .map_err(|e| PaymentError::configuration("port", "unavailable", &e.to_string()))?;
            println!("bcpay sandbox listening on {}", sandbox.base_url().bold());
            println!(
                "  export BCPAY_STORE_HASH=abc123 BCPAY_API_TOKEN={} BCPAY_API_BASE={} BCPAY_PAYMENTS_BASE={}",
                sandbox.api_token(),
                sandbox.base_url(),
                sandbox.base_url()
            );
            println!("  ledger: {}/__sandbox/ledger   (Ctrl-C stops)", sandbox.base_url());
            let _ = tokio::signal::ctrl_c().await;
            Ok(())
        }
        Command::Methods { store, order_id } => {
            print_json(&client(&store)?.get_payment_methods(&MethodsQuery::OrderId(order_id)).await?);
            Ok(())
        }
        Command::Token { store, order_id } => {
            let token = client(&store)?.create_access_token(order_id, false).await?;
            print_json(
                &serde_json::json!({"claims": token.claims, "expires_at_ms": token.expires_at_ms, "token": token.secret.to_string()}),
            );
            Ok(())
        }
        Command::Pay {
            store,
            order_id,
            method,
            instrument,
            save,
        } => {
            let raw = read_instrument(&instrument)?;
            let instrument: serde_json::Value = serde_json::from_str(&raw)
                .map_err(|_| PaymentError::configuration("instrument", "invalid_json", "the instrument must be a JSON object"))?;
            let payment: Payment =
                serde_json::from_value(serde_json::json!({"instrument": instrument, "payment_method_id": method, "save_instrument": save}))
                    .map_err(|_| {
                        PaymentError::configuration(
                            "instrument",
                            "invalid_instrument",
                            "the instrument does not match any instrument type of the Payments API",
                        )
                    })?;
            print_json(&client(&store)?.pay(order_id, vec![payment]).await?);
            Ok(())
        }
        Command::Order { store, order_id } => {
            print_json(&client(&store)?.get_order(order_id).await?);
            Ok(())
        }
        Command::Transactions { store, order_id } => {
            print_json(&client(&store)?.get_transactions(order_id).await?);
            Ok(())
        }
        Command::Status { store, order_id } => {
            print_json(&client(&store)?.get_order_payment_status(order_id).await?);
            Ok(())
        }
        Command::Capture { store, order_id } => {
            client(&store)?.capture(order_id).await?;
            println!("{} captured order {order_id}", "✓".green());
            Ok(())
        }
        Command::Void { store, order_id } => {
            client(&store)?.void(order_id).await?;
            println!("{} voided order {order_id}", "✓".green());
            Ok(())
        }
        Command::Refund {
            store,
            order_id,
            amount,
            reason,
        } => {
            let c = client(&store)?;
            let items = vec![RefundItem {
                item_type: "ORDER".into(),
                item_id: order_id as i64,
                quantity: None,
                amount: Some(amount),
                reason: Some(reason),
            }];
            let refund = c.refund(order_id, items).await?;
            print_json(&refund);
            Ok(())
        }
        Command::Charge {
            store,
            file,
            concurrency,
            journal,
            recurring,
            options,
            payments_quota,
        } => {
            let mut options = match options {
                Some(text) => bcpay::json_api::input::<bcpay::FlowOptions>(&text, "options")?,
                None => bcpay::FlowOptions::default(),
            };
            options.is_recurring |= recurring;
            let limits = bcpay::RateLimitConfig {
                payments_quota,
                ..Default::default()
            };
            let client = client(&store)?.with_limiter(bcpay::RateLimiter::shared(limits));
            charge::run(
                client,
                charge::ChargeArgs {
                    file,
                    concurrency,
                    journal,
                    options,
                },
            )
            .await
        }
    }
}

#[tokio::main]
async fn main() {
    // `bcpay … | head` should end quietly, as other command-line tools do.
    #[cfg(unix)]
    // SAFETY: restoring the default SIGPIPE disposition before any thread is spawned.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    if let Err(e) = run(cli).await {
        print_error(&e);
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    /// The CLI's environment variables are the core's (`SETTINGS_FROM_ENV`), which the Node and
    /// Python clients read too: clap wants them as literals, so this keeps the two lists one.
    #[test]
    fn the_store_flags_read_the_core_s_environment_variables() {
        use clap::CommandFactory;
        let cli = super::Cli::command();
        let methods = cli.find_subcommand("methods").expect("a store command");
        for (setting, variable) in bcpay::config::SETTINGS_FROM_ENV {
            let arg = methods
                .get_arguments()
                .find(|a| a.get_id().as_str() == *setting)
                .unwrap_or_else(|| panic!("no --{setting}"));
            assert_eq!(arg.get_env().and_then(|e| e.to_str()), Some(*variable), "{setting}");
        }
    }
}
