#!/usr/bin/env node
// `npx bcpay-sandbox --port 8787`: runs this platform's sandbox binary with the same arguments.
import { spawn } from "node:child_process";
import { binaryPath } from "../index.js";

const child = spawn(binaryPath(), process.argv.slice(2), { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)));
