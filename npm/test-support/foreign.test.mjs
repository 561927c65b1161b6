// The package's conformance vectors, host vectors and end-to-end tests, unchanged, in a runtime
// without Node's test runner: BCPAY_FOREIGN=workerd (a Worker in Cloudflare's workerd, through
// miniflare at BCPAY_MINIFLARE, importing the package's `workerd` entry) or BCPAY_FOREIGN=chromium
// (a page in headless Chromium importing dist/esm/index.js). esbuild (BCPAY_RN_TOOLS) bundles each
// test file with stand-ins for what only Node has — node:test (test-support/foreign/node-test.mjs),
// node:fs (the test data, embedded), the sandbox launcher (asks this process to start one) and, in
// the browser, node:assert/strict — and each test runs there as one test of this file. Run by
// scripts/runtimes.sh.
import { test, after } from "node:test";
import { readFileSync, readdirSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { startSandbox, stopSandboxes } from "./sandbox.mjs";

const runtime = process.env.BCPAY_FOREIGN;
if (runtime !== "workerd" && runtime !== "chromium") throw new Error("set BCPAY_FOREIGN to workerd or chromium");
const npmRoot = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = join(npmRoot, "..");
const tools = process.env.BCPAY_RN_TOOLS ?? join(repoRoot, "target/rn-tools");
const esbuild = createRequire(import.meta.url)(join(tools, "node_modules/esbuild"));
const out = join(npmRoot, "build/foreign", runtime);

const files = ["vectors", "host", "e2e"];
// Tests that check something only Node has, with the reason; everything else runs.
const skipped = {
  "connection refused is not_sent, and keeps its cause": {
    // Both answer maybe_sent, the safe reading (checked once by running it there with a free-port
    // probe in place of node:net: it fails with maybe_sent).
    workerd: "workerd words a refused connection as one lost after sending: maybe_sent (workerd.test.mjs checks it)",
    chromium: "a browser's fetch says only \"Failed to fetch\": maybe_sent",
  },
  "a client with no settings reads BCPAY_* from the environment; explicit settings win": {
    chromium: "a browser has no process.env",
  },
};

// --- this process: starts sandboxes when a test asks, and serves the browser's page -----------
let origin;
const server = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  if (req.method === "POST" && req.url === "/__harness/sandbox") {
    const base = await startSandbox(JSON.parse(Buffer.concat(chunks).toString() || "[]"));
    // The page reaches each sandbox through this origin (below), as a browser app reaches its own server.
    const reachable = runtime === "chromium" ? `${origin}/s/${new URL(base).port}` : base;
    return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ base: reachable }));
  }
  const proxied = req.url.match(/^\/s\/(\d+)(\/.*)$/);
  if (proxied) {
    const upstream = httpRequest({ host: "127.0.0.1", port: Number(proxied[1]), path: proxied[2], method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    return upstream.end(Buffer.concat(chunks));
  }
  const served = { "/": [join(out, "index.html"), "text/html"] };
  if (req.url.startsWith("/foreign/") && !req.url.includes("..")) served[req.url] = [join(out, req.url.slice(9)), "text/javascript"];
  if (req.url.startsWith("/esm/") && !req.url.includes("..")) served[req.url] = [join(npmRoot, "dist", req.url), "text/javascript"];
  const [path, type] = served[req.url] ?? [];
  let body;
  try {
    body = path && readFileSync(path);
  } catch {}
  if (!body) return res.writeHead(404).end();
  res.writeHead(200, { "content-type": type }).end(body);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
origin = `http://127.0.0.1:${server.address().port}`;

// --- the bundles ---------------------------------------------------------------------------------
const embedded = {};
for (const dir of ["tests/vectors", "tests/host", "tests/sandbox"]) {
  for (const name of readdirSync(join(repoRoot, dir))) if (name.endsWith(".json")) embedded[`${dir}/${name}`] = readFileSync(join(repoRoot, dir, name), "utf8");
}
const replacements = {
  "node:test": { path: join(npmRoot, "test-support/foreign/node-test.mjs") },
  "node:fs": {
    contents: `const files = ${JSON.stringify(embedded)};
      export function readFileSync(where) {
        const path = String(where);
        const key = Object.keys(files).find((k) => path.endsWith("/" + k));
        if (key === undefined) throw new Error("no embedded file " + path);
        return files[key];
      }`,
  },
  "../test-support/sandbox.mjs": {
    contents: `export async function startSandbox(args = []) {
        const answer = await fetch(${JSON.stringify(`${runtime === "chromium" ? "" : origin}/__harness/sandbox`)}, { method: "POST", body: JSON.stringify(args) });
        return (await answer.json()).base;
      }
      export function stopSandboxes() {}`,
  },
  // Only the skipped refused-connection test listens on a port.
  "node:net": { contents: `export function createServer() { throw new Error("node:net is Node's"); }` },
  "node:assert/strict": runtime === "chromium" ? { path: join(npmRoot, "test-support/foreign/assert.mjs") } : { external: true },
  // The package as each runtime resolves it: the `workerd` entry for a Worker; the ESM entry in a page.
  "../dist/esm/index.js": { external: true, path: runtime === "workerd" ? "../../../dist/esm/workerd.js" : "/esm/index.js" },
};
const standIns = {
  name: "stand-ins",
  setup(build) {
    build.onResolve({ filter: /.*/ }, ({ path }) => {
      const s = replacements[path];
      if (!s) return undefined;
      if (s.external) return { path: s.path ?? path, external: true };
      return s.path ? { path: s.path } : { path, namespace: "stand-in" };
    });
    build.onLoad({ filter: /.*/, namespace: "stand-in" }, ({ path }) => ({ contents: replacements[path].contents, loader: "js" }));
  },
};
mkdirSync(out, { recursive: true });
for (const file of files) {
  await esbuild.build({
    stdin: {
      contents: `export { list, run, finish } from ${JSON.stringify(join(npmRoot, "test-support/foreign/node-test.mjs"))};\nimport ${JSON.stringify(join(npmRoot, `test/${file}.test.mjs`))};`,
      resolveDir: join(npmRoot, "test"),
      loader: "js",
    },
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "neutral",
    // The test files find their data next to them; the stand-in for node:fs matches the path's end.
    define: { "import.meta.url": JSON.stringify("file:///bcpay/npm/test/bundle.mjs") },
    plugins: [standIns],
    // The package says "sideEffects": false; a test file is imported for its side effects.
    ignoreAnnotations: true,
    outfile: join(out, `${file}.mjs`),
    logLevel: "error",
  });
}

// --- the runtime -----------------------------------------------------------------------------------
let ask, close;
if (runtime === "workerd") {
  const { Miniflare } = await import(process.env.BCPAY_MINIFLARE);
  writeFileSync(
    join(out, "worker.mjs"),
    `${files.map((f) => `import * as ${f} from "./${f}.mjs";`).join("\n")}
const files = { ${files.join(", ")} };
export default {
  async fetch(request) {
    const { file, op, name } = await request.json();
    if (op === "list") return Response.json(files[file].list());
    if (op === "finish") return Response.json(await files[file].finish() ?? {});
    return Response.json(await files[file].run(name));
  },
};`,
  );
  const mf = new Miniflare({
    modules: true,
    modulesRoot: npmRoot,
    scriptPath: join(out, "worker.mjs"),
    modulesRules: [{ type: "ESModule", include: ["**/*.js", "**/*.mjs"] }, { type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2026-01-01",
    compatibilityFlags: ["nodejs_compat"],
  });
  ask = async (message) => (await mf.dispatchFetch("http://worker/", { method: "POST", body: JSON.stringify(message) })).json();
  close = () => mf.dispose();
} else {
  const { chromium } = await import("playwright-core");
  writeFileSync(join(out, "index.html"), "<!doctype html><title>bcpay tests</title>");
  const browser = await chromium.launch({
    executablePath: process.env.BCPAY_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  ask = ({ file, op, name }) => page.evaluate(async ([f, o, n]) => (await import(`/foreign/${f}.mjs`))[o](n), [file, op, name]);
  close = () => browser.close();
}

const closeAll = async () => {
  await close();
  server.close();
  stopSandboxes();
};
let names;
try {
  names = [];
  for (const file of files) {
    const listed = await ask({ file, op: "list" });
    if (listed.length === 0) throw new Error(`${file}: no tests registered in ${runtime}`);
    names.push(...listed.map((name) => [file, name]));
  }
} catch (e) {
  await closeAll();
  throw e;
}
after(async () => {
  for (const file of files) await ask({ file, op: "finish" });
  await closeAll();
});
for (const [file, name] of names) {
  const why = skipped[name]?.[runtime];
  test(`${runtime}: ${file}: ${name}`, { skip: why ?? false }, async () => {
    const result = await ask({ file, op: "run", name });
    if (!result.ok) throw new Error(result.error);
  });
}
