// serve_v2.mjs -- a hyper-mcp v2 plugin (tests/guests/extism_v2.wasm)
// served by `wasmcap serve` over stdio: its tools, prompts, resources,
// templates and completions listed and used through MCP, and its calls to
// hyper-mcp's host functions reaching the client (progress, logging,
// sampling answered by this client).
//
// usage: node serve_v2.mjs WASMCAP_BINARY GUEST_DIR
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startWasmcap } from "./wasmcap_stdio.mjs";

const [bin, guestDir] = process.argv.slice(2);
const dir = mkdtempSync(path.join(tmpdir(), "wasmcap-extism-v2-"));
const configPath = path.join(dir, "wasmcap.json");
writeFileSync(configPath, JSON.stringify({
  server: { tier: "fast" },
  storage: { kv_dir: path.join(dir, "kv"), cache_dir: path.join(dir, "cache") },
  plugins: { v2: { path: path.resolve(guestDir, "extism_v2.wasm"), permissions: { sampling: true } } },
}));
const sampled = [];
const server = startWasmcap(bin, configPath, {
  "sampling/createMessage": (params) => {
    sampled.push(params);
    return { role: "assistant", content: { type: "text", text: "a reply" }, model: "test" };
  },
});
const ok = async (method, params) => {
  const m = await server.request(method, params);
  assert.ok(m.result, `${method}: ${JSON.stringify(m.error)}\n${server.stderr()}`);
  return m.result;
};
let code = 0;
try {
  await ok("initialize", { protocolVersion: "2025-06-18", capabilities: { sampling: {} },
                           clientInfo: { name: "serve_v2", version: "1" } });
  server.notify("notifications/initialized", {});
  await ok("logging/setLevel", { level: "debug" });

  const tools = (await ok("tools/list", {})).tools.map((t) => t.name).sort();
  assert.deepEqual(tools, ["v2-bad_user_input", "v2-elicit", "v2-greet", "v2-notify", "v2-roots", "v2-sample",
                           "v2-url_done"]);
  const greet = await ok("tools/call", { name: "v2-greet", arguments: { who: "ann" } });
  assert.equal(greet.content[0].text, "hello, ann");

  assert.deepEqual((await ok("prompts/list", {})).prompts.map((p) => p.name), ["v2-haiku"]);
  const prompt = await ok("prompts/get", { name: "v2-haiku", arguments: { topic: "rain" } });
  assert.equal(prompt.messages[0].content.text, "a haiku about rain");

  assert.deepEqual((await ok("resources/list", {})).resources.map((r) => r.uri), ["mem://v2/notes"]);
  assert.deepEqual((await ok("resources/templates/list", {})).resourceTemplates.map((r) => r.uriTemplate),
                   ["mem://v2/items/{id}"]);
  const read = await ok("resources/read", { uri: "mem://v2/items/9" });
  assert.equal(read.contents[0].text, "contents of mem://v2/items/9");
  const done = await ok("completion/complete", { ref: { type: "ref/prompt", name: "v2-haiku" },
                                                 argument: { name: "topic", value: "au" } });
  assert.deepEqual(done.completion.values, ["autumn", "august"]);

  const notified = await ok("tools/call", { name: "v2-notify", arguments: {}, _meta: { progressToken: "p7" } });
  assert.equal(notified.content[0].text, "notified");
  const progress = server.notifications.find((n) => n.method === "notifications/progress");
  assert.equal(progress?.params.progressToken, "p7");
  assert.equal(progress?.params.message, "half");
  const log = server.notifications.find((n) => n.method === "notifications/message" && n.params.data === "careful");
  assert.equal(log?.params.level, "warning");

  const sample = await ok("tools/call", { name: "v2-sample", arguments: {} });
  assert.ok(sample.content[0].text.includes("a reply"), sample.content[0].text);
  assert.equal(sampled[0].messages[0].content.text, "hi");
  const elicit = await ok("tools/call", { name: "v2-elicit", arguments: {} });
  assert.ok(elicit.isError && elicit.content[0].text.includes("permissions.elicitation"), elicit.content[0].text);
  console.log("serve_v2: the v2 plugin served through MCP as hyper-mcp serves it");
} catch (e) {
  console.log(`FAIL ${e.stack}`);
  code = 1;
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
