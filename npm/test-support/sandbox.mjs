// Starts bcpay-sandbox processes for the tests (BCPAY_SANDBOX_BIN overrides where the binary is)
// and stops them all with `stopSandboxes()`.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const bin = process.env.BCPAY_SANDBOX_BIN ?? fileURLToPath(new URL("../../target/debug/bcpay-sandbox", import.meta.url));
const sandboxes = [];

/** Starts a sandbox on an ephemeral port; resolves with its base URL. */
export function startSandbox(args = []) {
  // Its stdin is a pipe this process holds: were the tests to crash, the sandbox would stop with
  // them rather than live on holding the test runner's stderr open.
  const child = spawn(bin, ["--port", "0", "--stop-when-stdin-closes", ...args], { stdio: ["pipe", "pipe", "inherit"] });
  sandboxes.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (\S+)/);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
}

export const stopSandboxes = () => sandboxes.forEach((c) => c.kill());
