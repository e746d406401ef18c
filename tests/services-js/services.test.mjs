// services.test.mjs -- any NATS service works: a service written with the
// official NATS JavaScript client's service framework (npm nats, pinned in
// package-lock.json) is discovered by wasmcap serve over stdio and called
// through the official MCP SDK client.  Discovery, list_changed when it
// appears and vanishes, a queue group's two instances sharing the calls,
// timeout, no responders, the error header, a garbage reply, an
// outputSchema violation, and a flood of INFO replies kept within the caps.
//
// Run by tests/services-js/run.sh (ctest services_js): WASMCAP_BIN is the
// server, and nats-server is started here on a free 127.0.0.1 port.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { connect, JSONCodec, StringCodec } from "nats";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";

const WASMCAP = process.env.WASMCAP_BIN;
const jc = JSONCodec();
const sc = StringCodec();

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function waitForPort(port, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise((resolve) => {
      const c = tcpConnect(port, "127.0.0.1", () => { c.end(); resolve(true); });
      c.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port} after ${ms} ms`);
}

/** Resolves when pred() holds, polling, or fails after ms. */
async function eventually(pred, ms, what) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const skuSchema = JSON.stringify({ type: "object", properties: { sku: { type: "string" } }, required: ["sku"] });
const stockSchema = JSON.stringify({ type: "object", properties: { on_hand: { type: "integer" } }, required: ["on_hand"] });

/** One instance of the JS service "jsinv", counting the calls it answers. */
async function startService(nc, instance) {
  const counts = { stock: 0 };
  const srv = await nc.services.add({ name: "jsinv", version: "1.0.0", description: "inventory in JavaScript", queue: "q" });
  const meta = (description, extra = {}) => ({ description, ...extra });
  srv.addEndpoint("stock", {
    subject: "jsinv.stock",
    metadata: meta("units on hand", { input_schema: skuSchema, output_schema: stockSchema }),
    handler: (err, msg) => {
      counts.stock++;
      const { sku } = msg.json();
      msg.respond(jc.encode({ sku, on_hand: 42, instance }));
    },
  });
  srv.addEndpoint("silent", { subject: "jsinv.silent", metadata: meta("never answers"), handler: () => {} });
  srv.addEndpoint("failing", {
    subject: "jsinv.failing", metadata: meta("answers with an error"),
    handler: (err, msg) => msg.respondError(409, "out of stock"),
  });
  srv.addEndpoint("garbage", {
    subject: "jsinv.garbage", metadata: meta("answers garbage"),
    handler: (err, msg) => msg.respond(sc.encode("not json{")),
  });
  srv.addEndpoint("bad_shape", {
    subject: "jsinv.bad_shape", metadata: meta("breaks its output schema", { output_schema: stockSchema }),
    handler: (err, msg) => msg.respond(jc.encode({ on_hand: "many" })),
  });
  return { srv, counts };
}

let natsProc, natsUrl, dir, nc, client, changes = 0;

before(async () => {
  assert.ok(WASMCAP, "WASMCAP_BIN names the server");
  dir = mkdtempSync(path.join(tmpdir(), "wasmcap-services-js-"));
  const port = await freePort();
  natsUrl = `nats://127.0.0.1:${port}`;
  natsProc = spawn("nats-server", ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", path.join(dir, "js")],
                   { stdio: "ignore" });
  await waitForPort(port, 10000);
  nc = await connect({ servers: natsUrl });
  const config = path.join(dir, "wasmcap.json");
  writeFileSync(config, JSON.stringify({
    bus: {
      url: natsUrl,
      services: {
        interval_ms: 300, window_ms: 250, timeout_ms: 400, max_services: 8,
        // declared, never served: its tool answers "no responders"
        declared: [{ name: "ghost", endpoints: [{ name: "boo", subject: "ghost.boo" }] }],
      },
    },
    audit: { enabled: false },
  }));
  const transport = new StdioClientTransport({ command: WASMCAP, args: ["serve", "--config", config], stderr: process.env.WASMCAP_STDERR ? "inherit" : "ignore" });
  client = new Client({ name: "services-js", version: "1.0.0" });
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => { changes++; });
  await client.connect(transport);
});

after(async () => {
  await client?.close();
  await nc?.close();
  natsProc?.kill("SIGTERM");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const toolNames = async () => (await client.listTools()).tools.map((t) => t.name).sort();
const textOf = (r) => r.content?.[0]?.text ?? "";

test("a JS service is discovered, called, load-balanced, and its failures are isError results", async () => {
  assert.deepEqual(await toolNames(), ["ghost-boo"], "only the declared service at first");
  const one = await startService(nc, 1);
  const before = changes;
  await eventually(() => changes > before, 5000, "tools/list_changed after the service appeared");
  const names = await toolNames();
  for (const n of ["jsinv-stock", "jsinv-silent", "jsinv-failing", "jsinv-garbage", "jsinv-bad_shape"])
    assert.ok(names.includes(n), `${n} in ${names}`);
  const stock = (await client.listTools()).tools.find((t) => t.name === "jsinv-stock");
  assert.equal(stock.description, "units on hand");
  assert.deepEqual(stock.inputSchema, JSON.parse(skuSchema));
  assert.deepEqual(stock.outputSchema, JSON.parse(stockSchema));

  const r = await client.callTool({ name: "jsinv-stock", arguments: { sku: "A1" } });
  assert.ok(!r.isError, textOf(r));
  assert.equal(r.structuredContent.on_hand, 42);
  assert.equal(r.structuredContent.sku, "A1");

  const bad = await client.callTool({ name: "jsinv-stock", arguments: { sku: 7 } });
  assert.ok(bad.isError && /invalid arguments/.test(textOf(bad)), textOf(bad));
  const timeout = await client.callTool({ name: "jsinv-silent", arguments: {} });
  assert.ok(timeout.isError && /did not answer within 400 ms/.test(textOf(timeout)), textOf(timeout));
  const none = await client.callTool({ name: "ghost-boo", arguments: {} });
  assert.ok(none.isError && /no responders/.test(textOf(none)), textOf(none));
  const failing = await client.callTool({ name: "jsinv-failing", arguments: {} });
  assert.ok(failing.isError && /error 409: out of stock/.test(textOf(failing)), textOf(failing));
  const garbage = await client.callTool({ name: "jsinv-garbage", arguments: {} });
  assert.ok(garbage.isError && /not JSON/.test(textOf(garbage)), textOf(garbage));
  const shape = await client.callTool({ name: "jsinv-bad_shape", arguments: {} });
  assert.ok(shape.isError && /outputSchema/.test(textOf(shape)), textOf(shape));

  // a second instance in the queue group shares the calls
  const two = await startService(nc, 2);
  await nc.flush();
  const seen = new Set();
  for (let i = 0; i < 40; i++) {
    const c = await client.callTool({ name: "jsinv-stock", arguments: { sku: "A1" } });
    seen.add(c.structuredContent.instance);
  }
  assert.ok(one.counts.stock > 1 && two.counts.stock > 0, `both answered: ${one.counts.stock} and ${two.counts.stock}`);
  assert.deepEqual([...seen].sort(), [1, 2]);

  // both stop: the tools vanish and the clients are told
  const beforeVanish = changes;
  await one.srv.stop();
  await two.srv.stop();
  await eventually(() => changes > beforeVanish, 5000, "tools/list_changed after the service vanished");
  assert.deepEqual(await toolNames(), ["ghost-boo"]);
});

test("a flood of INFO replies stays within max_services", async () => {
  const sub = nc.subscribe("$SRV.INFO", {
    callback: (err, msg) => {
      for (let i = 0; i < 300; i++) {
        const info = i % 7 === 6 ? { type: "io.nats.micro.v1.info_response" } : {
          type: "io.nats.micro.v1.info_response", name: `flood${i}`, id: `f${i}`, version: "1.0.0",
          description: "", metadata: {}, endpoints: [{ name: "e", subject: `flood.${i}`, metadata: {} }],
        };
        nc.publish(msg.reply, jc.encode(info));
      }
    },
  });
  const before = changes;
  await eventually(() => changes > before, 5000, "the flood's services");
  const names = await toolNames();
  const flood = names.filter((n) => n.startsWith("flood"));
  assert.ok(flood.length > 0 && flood.length <= 8, `at most max_services (8): ${flood.length}`);
  // the server still answers promptly
  const none = await client.callTool({ name: "ghost-boo", arguments: {} });
  assert.ok(none.isError);
  sub.unsubscribe();
});
