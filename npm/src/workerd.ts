/**
 * `bcpay` on Cloudflare Workers (the `workerd` export condition): the same package, with the
 * core compiled by the runtime from the package's `.wasm` file — Workers refuse to compile
 * WebAssembly from bytes at run time, which is how the other entries load the inlined module.
 */
import wasmModule from "./generated/bcpay_wasm.wasm";
import * as mainModule from "./generated/bcpay_wasm.js";
import { _useCoreModule } from "./index.js";

_useCoreModule(mainModule, wasmModule);

export * from "./index.js";
