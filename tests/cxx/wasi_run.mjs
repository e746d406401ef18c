// wasi_run.mjs FILE.wasm [ARGS...] -- runs a WASI command in node's V8 (a
// second engine with the exception-handling proposal), with stdin, stdout
// and stderr passed through, as `wasmcap exec` does: the exit status is the
// guest's, and a trap or an exception that leaves the module is reported on
// stderr with status 134.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const [file, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: {}, returnOnExit: true });
try {
  const module = await WebAssembly.compile(await readFile(file));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  process.exitCode = wasi.start(instance);
} catch (e) {
  process.stderr.write(`wasi_run: ${e instanceof WebAssembly.Exception ? 'uncaught exception' : e}\n`);
  process.exitCode = 134;
}
