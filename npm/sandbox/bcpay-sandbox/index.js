// The sandbox binary for this platform, from its optional dependency (the esbuild pattern: npm
// installs only the package whose `os` and `cpu` match), and a way to start it from tests.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";

const PLATFORMS = { "linux x64": "@bcpay/sandbox-linux-x64" };

/** The path of the `bcpay-sandbox` binary: BCPAY_SANDBOX_BIN when set (a platform without a
 * prebuilt binary: `pip install bcpay-sandbox` builds one from source), else this platform's. */
export function binaryPath() {
  if (process.env.BCPAY_SANDBOX_BIN) return process.env.BCPAY_SANDBOX_BIN;
  const pkg = PLATFORMS[`${process.platform} ${process.arch}`];
  if (!pkg) {
    throw new Error(
      `bcpay-sandbox has no prebuilt binary for ${process.platform} ${process.arch}: \`pip install bcpay-sandbox\` builds one from source (with a Rust toolchain); set BCPAY_SANDBOX_BIN to its path`,
    );
  }
  try {
    return createRequire(import.meta.url).resolve(`${pkg}/bin/bcpay-sandbox`);
  } catch {
    throw new Error(`${pkg} is not installed (optional dependencies disabled?): npm install ${pkg}, or set BCPAY_SANDBOX_BIN to a bcpay-sandbox binary`);
  }
}

/** Starts a sandbox on a free port (or `options.port`) with `options.args`; resolves with its
 * base URL and `stop()`. */
export function startSandbox(options = {}) {
  const child = spawn(binaryPath(), ["--port", String(options.port ?? 0), ...(options.args ?? [])], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (\S+)/);
      if (m) resolve({ url: m[1], stop: () => child.kill() });
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`bcpay-sandbox exited with ${code}`)));
  });
}
