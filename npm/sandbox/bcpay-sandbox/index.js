// The sandbox binary for this platform, from its optional dependency (the esbuild pattern: npm
// installs only the package whose `os` and `cpu` match), and a way to start it from tests.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";

const PLATFORMS = { "linux x64": "@bcpay/sandbox-linux-x64" };

/** The path of the `bcpay-sandbox` binary for this platform. */
export function binaryPath() {
  const pkg = PLATFORMS[`${process.platform} ${process.arch}`];
  if (!pkg) throw new Error(`bcpay-sandbox has no binary for ${process.platform} ${process.arch}; build it from the bcpay repository (cargo build -p bcpay-sandbox)`);
  try {
    return createRequire(import.meta.url).resolve(`${pkg}/bin/bcpay-sandbox`);
  } catch {
    throw new Error(`${pkg} is not installed (optional dependencies disabled?): npm install ${pkg}`);
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
