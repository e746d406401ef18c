// differential.mjs -- the same Extism test plugin in wasmcap and in
// Extism's own JavaScript host (@extism/extism, pinned by package-lock.json),
// call by call: outputs, errors and vars must agree.
//
// wasmcap runs `wasmcap serve` over stdio (JSON-RPC lines, one plugin whose
// tools are the guest's); Extism calls the guest's `call` export with the
// input hyper-mcp gives it.  Each step is classified as
//   ok <text>      the call's output (the text of its CallToolResult)
//   error <msg>    an error the guest set (error_set), digits masked
//   trap           the call stopped in the host or the guest
// and compared.  The differences docs/PLUGINS.md documents are checked to
// be exactly those; any other is reported and fails the test.
//
// usage: node differential.mjs WASMCAP_BINARY GUEST_DIR
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import createPlugin from "@extism/extism";
import { startWasmcap } from "./wasmcap_stdio.mjs";

const [wasmcapBin, guestDir] = process.argv.slice(2);
if (!wasmcapBin || !guestDir) {
  console.error("usage: node differential.mjs WASMCAP_BINARY GUEST_DIR");
  process.exit(2);
}
const guest = path.resolve(guestDir, "extism_v1.wasm");
const CONFIG = { greeting: "hi there" };
const MAX_VAR_BYTES = 1 << 20;

// In order: vars carry from one step to the next.
const steps = [
  ["echo", { a: [1, 2], s: "x\"y" }],
  ["count", {}], ["count", {}], ["count", {}], ["forget", {}], ["count", {}],
  ["config", { key: "greeting" }], ["config", { key: "nothing" }],
  ["memory", {}],
  ["fail", {}], ["fail_cleared", {}], ["count", {}],
  ["free_twice", {}], ["missing_u8", {}], ["missing_u64", {}], ["past_end", {}],
  ["input_past_end", {}], ["output_too_long", {}], ["output_bad", {}],
  ["var_big", {}], ["count", {}], ["var_bad", {}],
  ["log", {}], ["trap", {}], ["count", {}],
  ["nonzero", {}], ["huge_alloc", {}],
];

// Where wasmcap follows Extism's Rust runtime (the one hyper-mcp runs
// on) rather than its JavaScript host: [wasmcap, extism-js].
const known = {
  memory: ["ok N,171,0,16,16,0,1,0,1,0", "ok N,171,0,16,16,1,1,0,1,0"], // length(0): 0 is no block
  fail_cleared: ["ok cleared", "error \u0000"], // error_set(0) clears the error
  nonzero: ["error plugin 'x' failed in tool 'x-nonzero': Returned non-zero exit code: N", "ok (no output)"],
  huge_alloc: ["ok 0", "trap"], // alloc over the limits gives 0
};

function classifyJs(out, err) {
  if (err) {
    const m = /^Plugin-originated error: (.*)$/s.exec(err.message);
    return m ? `error ${m[1].replace(/\d+/g, "N")}` : "trap";
  }
  if (out === null) return "ok (no output)";
  const res = JSON.parse(out.text());
  return `ok ${res.content[0].text.replace(/\d{6,}/g, "N")}`;
}

function classifyWasmcap(msg) {
  if (msg.error) return `protocol error ${msg.error.message}`;
  const res = msg.result;
  const text = res.content?.[0]?.text ?? "";
  if (!res.isError) return `ok ${text.replace(/\d{6,}/g, "N")}`;
  if (/ trapped in /.test(text)) return "trap";
  return `error ${text.replace(/\d+/g, "N")}`;
}

// ---- the run ------------------------------------------------------------------

const dir = mkdtempSync(path.join(tmpdir(), "wasmcap-extism-diff-"));
let failed = 0;
try {
  const configPath = path.join(dir, "wasmcap.json");
  writeFileSync(configPath, JSON.stringify({
    server: { log_level: "info", tier: "fast" },
    storage: { kv_dir: path.join(dir, "kv"), cache_dir: path.join(dir, "cache") },
    plugins: { x: { path: guest, permissions: { config: CONFIG } } },
  }));
  const server = startWasmcap(wasmcapBin, configPath);
  const init = await server.request("initialize", {
    protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "differential", version: "1" },
  });
  if (!init.result) throw new Error(`initialize: ${JSON.stringify(init)}\n${server.stderr()}`);
  server.notify("notifications/initialized", {});

  const logs = [];
  const logger = Object.fromEntries(["trace", "debug", "info", "warn", "error", "log"].map(
    (level) => [level, (...args) => logs.push(`${level} ${args.join(" ")}`)]));
  const plugin = await createPlugin({ wasm: [{ data: await readFile(guest) }] }, {
    useWasi: true, config: CONFIG, logLevel: "info", logger, memory: { maxVarBytes: MAX_VAR_BYTES },
  });

  const seen = {};
  for (const [tool, args] of steps) {
    const input = `{"params":{"name":${JSON.stringify(tool)},"arguments":${JSON.stringify(args)}}}`;
    let out = null, err = null;
    try {
      out = await plugin.call("call", input);
    } catch (e) {
      err = e;
    }
    const js = classifyJs(out, err);
    const wc = classifyWasmcap(await server.request("tools/call", { name: `x-${tool}`, arguments: args }));
    const expected = known[tool];
    if (expected) {
      seen[tool] = true;
      if (wc !== expected[0] || js !== expected[1]) {
        failed++;
        console.log(`FAIL ${tool}: the documented difference changed:\n  wasmcap:    ${wc}\n  extism-js:  ${js}`);
      } else {
        console.log(`known difference ${tool}: wasmcap ${JSON.stringify(wc)}, extism-js ${JSON.stringify(js)}`);
      }
    } else if (wc !== js) {
      failed++;
      console.log(`FAIL ${tool} ${JSON.stringify(args)}:\n  wasmcap:    ${wc}\n  extism-js:  ${js}`);
    } else {
      console.log(`same ${tool}: ${wc}`);
    }
  }
  for (const tool of Object.keys(known))
    if (!seen[tool]) { failed++; console.log(`FAIL ${tool}: not run`); }

  // What the guest logged, and what the hosts logged of its mistakes,
  // reach both logs alike, at the same levels (wasmcap: JSON lines on stderr).
  const wcLog = server.stderr().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
    .filter((l) => l.plugin === "x").map((l) => `${l.level === "warning" ? "warn" : l.level} ${l.msg}`);
  const wanted = [
    "info an info line", "warn a warning line", "error an error line",
    `error failed to log(info): bad block reference in addr 0x${"0".repeat(48)}0555000000000000`,
    'error attempted to set variable using invalid key address (addr="777000000000000H")',
    'error attempted to set variable to invalid address (key="k"; addr="777000000000000H")',
  ];
  for (const w of wanted) {
    const inJs = logs.includes(w), inWc = wcLog.includes(w);
    if (!inJs || !inWc) { failed++; console.log(`FAIL log "${w}": wasmcap ${inWc}, extism-js ${inJs}`); }
  }
  for (const quiet of ["a trace line", "a debug line"])
    if (logs.some((l) => l.includes(quiet)) || wcLog.some((l) => l.includes(quiet))) {
      failed++;
      console.log(`FAIL log "${quiet}" was written at level info`);
    }

  await plugin.close();
  await server.close();
} catch (e) {
  failed++;
  console.log(`FAIL ${e.stack}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(failed ? `${failed} differences` : "extism differential: no differences but the documented ones");
process.exit(failed ? 1 : 0);
