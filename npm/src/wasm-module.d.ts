// A `.wasm` file imported as a module (Cloudflare Workers, bundlers): the compiled module.
declare module "*.wasm" {
  const compiled: WebAssembly.Module;
  export default compiled;
}
