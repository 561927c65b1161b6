//! `bcpay-sandbox [--port N] [--faults SPEC] [--seed N] [--api-token T] [--payments-quota N] [--payments-window-ms N] [--management-quota N] [--latency-ms N] [--stop-when-stdin-closes]`
//!
//! Prints `listening on http://127.0.0.1:<port>` once ready, then serves until killed (or, with
//! `--stop-when-stdin-closes`, until its standard input closes: see [`stop_when_stdin_closes`]).
//! `BCPAY_SANDBOX_FAULTS` supplies faults when `--faults` is absent.

use bcpay_sandbox::{Faults, Sandbox, SandboxConfig, stop_when_stdin_closes};

fn main() {
    if let Err(e) = run() {
        eprintln!("bcpay-sandbox: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut config = SandboxConfig::default();
    let mut port = 0u16;
    if let Ok(spec) = std::env::var("BCPAY_SANDBOX_FAULTS") {
        config.faults = Faults::parse(&spec)?;
    }
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| v.parse::<u64>().map_err(|_| format!("{flag}: {v:?} is not a number"));
        match flag.as_str() {
            "--port" => port = number(value()?)? as u16,
            "--faults" => config.faults = Faults::parse(&value()?)?,
            "--seed" => config.seed = number(value()?)?,
            "--api-token" => config.api_token = value()?,
            "--payments-quota" => config.payments_quota = number(value()?)? as u32,
            "--management-quota" => config.management_quota = number(value()?)? as u32,
            "--payments-window-ms" => config.payments_window_ms = number(value()?)?,
            "--latency-ms" => config.latency_ms = number(value()?)?,
            "--stop-when-stdin-closes" => stop_when_stdin_closes(),
            "-h" | "--help" => {
                println!(
                    "bcpay-sandbox [--port N] [--faults name=p,...] [--seed N] [--api-token T] [--payments-quota N] [--payments-window-ms N] [--management-quota N] [--latency-ms N] [--stop-when-stdin-closes]"
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let sandbox = Sandbox::start(config, port).await.map_err(|e| e.to_string())?;
        println!("listening on {}", sandbox.base_url());
        use std::io::Write;
        let _ = std::io::stdout().flush();
        std::future::pending::<()>().await;
        Ok(())
    })
}
