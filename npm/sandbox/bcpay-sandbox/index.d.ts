/** The path of the `bcpay-sandbox` binary: `BCPAY_SANDBOX_BIN` when set, else this platform's prebuilt one. */
export function binaryPath(): string;
/** Starts a sandbox on a free port (or `options.port`); resolves with its base URL and `stop()`. */
export function startSandbox(options?: { port?: number; args?: string[] }): Promise<{ url: string; stop: () => void }>;
