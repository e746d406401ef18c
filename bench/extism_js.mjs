// extism_js.mjs -- calls per second of an Extism plugin in Extism's own
// JavaScript host (@extism/extism), the figure bench/extism.sh sets beside
// wasmcap's: the guest's `calculate` tool through its `call` export, with
// the input hyper-mcp gives it, one call after another in one plugin.
//
// usage: node extism_js.mjs GUEST.wasm CALLS
import { readFile } from "node:fs/promises";
import createPlugin from "@extism/extism";

const [guest, callsArg] = process.argv.slice(2);
const calls = Number(callsArg ?? 20000);
const plugin = await createPlugin({ wasm: [{ data: await readFile(guest) }] }, { useWasi: true });
const ops = ["+", "-", "*", "/"];
const input = (i) => `{"params":{"name":"calculate","arguments":{"a":${i + 7},"b":${(i % 5) + 1},"op":"${ops[i % 4]}"}}}`;
const want = (i) => {
  const a = i + 7, b = (i % 5) + 1;
  return [a + b, a - b, a * b, Math.trunc(a / b)][i % 4];
};
for (let i = 0; i < 1000; i++) await plugin.call("call", input(i));
const start = process.hrtime.bigint();
for (let i = 0; i < calls; i++) {
  const out = await plugin.call("call", input(i));
  if (i % 997 === 0 && Number(JSON.parse(out.text()).content[0].text) !== want(i))
    throw new Error(`call ${i}: ${out.text()}`);
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`extism-js: ${calls} calls in ${seconds.toFixed(3)} s: ${Math.round(calls / seconds)} calls/s`);
await plugin.close();
