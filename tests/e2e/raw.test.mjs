// raw.test.mjs -- what the SDK client cannot send: malformed JSON, batches,
// a wrong jsonrpc version, unknown methods, oversized lines, stray
// responses.  Lines are written to `wasmcap serve`'s stdin as they are and
// the answers checked for their exact error codes; the server must go on
// answering after each, write nothing but JSON-RPC lines to stdout, and
// exit 0 on EOF.

import { test } from "node:test";
import assert from "node:assert/strict";

import { startRaw, sleep } from "./lib.mjs";

const INIT = JSON.stringify({
  jsonrpc: "2.0", id: "init", method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});

const byId = (id) => (m) => m.id === id;

async function ping(peer, id) {
  peer.send(JSON.stringify({ jsonrpc: "2.0", id, method: "ping" }));
  const m = await peer.next(byId(id));
  assert.deepEqual(m, { jsonrpc: "2.0", id, result: {} });
}

function assertError(m, code, id) {
  assert.equal(m.jsonrpc, "2.0", JSON.stringify(m));
  assert.equal(m.id, id, JSON.stringify(m));
  assert.equal(m.error?.code, code, JSON.stringify(m));
  assert.equal(typeof m.error.message, "string");
  assert.ok(m.error.message.length > 0);
  assert.equal(m.result, undefined);
}

test("raw protocol errors, each followed by a working request", async () => {
  const peer = startRaw();
  try {
    // ping works before initialize
    await ping(peer, 1);

    peer.send(INIT);
    const init = await peer.next(byId("init"));
    assert.equal(init.result.protocolVersion, "2025-06-18");
    peer.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));

    // malformed JSON: parse error, id null
    peer.send('{"jsonrpc":"2.0","id":2,"method":');
    assertError(await peer.next((m) => m.error?.code === -32700), -32700, null);
    await ping(peer, 3);

    // not an object at all
    peer.send('"just a string"');
    assertError(await peer.next((m) => m.error && m.id === null), -32600, null);
    await ping(peer, 4);

    // a batch (removed in 2025-06-18): invalid request, id null, nothing in it runs
    peer.send(JSON.stringify([{ jsonrpc: "2.0", id: 5, method: "ping" }, { jsonrpc: "2.0", id: 6, method: "ping" }]));
    assertError(await peer.next((m) => m.error && m.id === null), -32600, null);
    await ping(peer, 7);
    assert.equal(peer.queue.filter((m) => m.id === 5 || m.id === 6).length, 0, "no member of the batch ran");

    // wrong jsonrpc version: invalid request, with the id it carried
    peer.send(JSON.stringify({ jsonrpc: "1.0", id: 8, method: "ping" }));
    assertError(await peer.next(byId(8)), -32600, 8);
    // missing jsonrpc
    peer.send(JSON.stringify({ id: 9, method: "ping" }));
    assertError(await peer.next(byId(9)), -32600, 9);
    // method not a string
    peer.send(JSON.stringify({ jsonrpc: "2.0", id: 10, method: 42 }));
    assertError(await peer.next(byId(10)), -32600, 10);
    await ping(peer, 11);

    // unknown method: method not found, with its id (string ids too)
    peer.send(JSON.stringify({ jsonrpc: "2.0", id: "u-12", method: "no/such/method", params: {} }));
    const unknown = await peer.next(byId("u-12"));
    assertError(unknown, -32601, "u-12");
    assert.match(unknown.error.message, /no\/such\/method/);

    // an unknown notification, and a response to nothing: no answer at all
    peer.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/no-such-thing" }));
    peer.send(JSON.stringify({ jsonrpc: "2.0", id: 424242, result: {} }));
    await ping(peer, 13);

    // bad params: tools/call without a name, params not an object
    peer.send(JSON.stringify({ jsonrpc: "2.0", id: 14, method: "tools/call", params: { arguments: {} } }));
    assertError(await peer.next(byId(14)), -32602, 14);
    peer.send(JSON.stringify({ jsonrpc: "2.0", id: 15, method: "tools/call", params: [1, 2] }));
    assertError(await peer.next(byId(15)), -32602, 15);
    peer.send(JSON.stringify({ jsonrpc: "2.0", id: 16, method: "tools/call", params: { name: "calculator-calculate", arguments: "6*7" } }));
    assertError(await peer.next(byId(16)), -32602, 16);

    // a line over max_message_bytes (1 MiB in the test config): refused, answered by its id
    const big = JSON.stringify({ jsonrpc: "2.0", id: 17, method: "tools/call",
      params: { name: "faults-echo", arguments: { text: "y".repeat(2 << 20) } } });
    peer.send(big);
    const refused = await peer.next(byId(17), 10000);
    assertError(refused, -32600, 17);
    assert.match(refused.error.message, /max_message_bytes/);
    assert.equal(peer.queue.filter((m) => m.id === 17 && m.result).length, 0, "the oversized request did not run");

    // and a real call still works, on the same connection
    peer.send(JSON.stringify({ jsonrpc: "2.0", id: 18, method: "tools/call",
      params: { name: "calculator-calculate", arguments: { a: 6, b: 7, op: "*" } } }));
    const r = await peer.next(byId(18));
    assert.deepEqual(r.result.structuredContent, { result: 42 });

    // duplicate ids in flight are the client's problem, but must not crash:
    // both get an answer of some kind
    for (let i = 0; i < 2; i++)
      peer.send(JSON.stringify({ jsonrpc: "2.0", id: 19, method: "ping" }));
    await peer.next(byId(19));
    await peer.next(byId(19));
    await ping(peer, 20);
  } finally {
    await sleep(50);
    const status = await peer.end();
    const stdout = peer.lines;
    for (const line of stdout) {
      const m = JSON.parse(line); // every line of stdout is JSON...
      assert.equal(m.jsonrpc, "2.0", line); // ...and JSON-RPC
    }
    assert.deepEqual(status, { code: 0, signal: null }, `exit on EOF; stderr:\n${peer.stderr().slice(-2000)}`);
  }
});

test("EOF with calls in flight: answered, then exit 0", async () => {
  const peer = startRaw();
  peer.send(INIT);
  await peer.next(byId("init"));
  peer.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  // 2,000 pipelined calls, written at once, then EOF right behind them.
  let batch = "";
  for (let i = 0; i < 2000; i++)
    batch += JSON.stringify({ jsonrpc: "2.0", id: 100 + i, method: "tools/call",
      params: { name: "calculator-calculate", arguments: { a: i, b: 2, op: "*" } } }) + "\n";
  peer.proc.stdin.write(batch);
  const status = await peer.end();
  assert.deepEqual(status, { code: 0, signal: null }, peer.stderr().slice(-2000));
  const answers = peer.lines.map((l) => JSON.parse(l)).filter((m) => m.id >= 100);
  assert.equal(answers.length, 2000, "every call answered before the exit");
  assert.equal(new Set(answers.map((m) => m.id)).size, 2000, "each exactly once");
  for (const m of answers)
    assert.deepEqual(m.result.structuredContent, { result: (m.id - 100) * 2 });
});

test("answers are not held back behind long calls", async () => {
  // Two workers.  201 (1 s) and 202 (3 s) take both; 203 (fast) and 204
  // (2 s) wait.  At 1 s the worker done with 201 sees 203 and 204 queued and
  // holds 201's answer back to batch it, runs 203, holds that answer too
  // (204 is still queued), and takes 204.  Both answers must still reach
  // the client promptly, not when 204 or 202 ends.
  const peer = startRaw();
  try {
    peer.send(INIT);
    await peer.next(byId("init"));
    peer.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
    const slow = (id, ms) => JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call",
      params: { name: "faults-slow", arguments: { steps: 1, step_ms: ms } } });
    const fast = JSON.stringify({ jsonrpc: "2.0", id: 203, method: "tools/call",
      params: { name: "calculator-calculate", arguments: { a: 2, b: 21, op: "*" } } });
    const start = Date.now();
    peer.proc.stdin.write([slow(201, 1000), slow(202, 2900), fast, slow(204, 2000)].join("\n") + "\n");
    await peer.next(byId(201), 5000);
    const m = await peer.next(byId(203), 5000);
    const ms = Date.now() - start;
    assert.deepEqual(m.result.structuredContent, { result: 42 });
    assert.ok(ms < 1800, `the answers after the first long call took ${ms} ms`);
    assert.ok(!peer.queue.some((x) => x.id === 202 || x.id === 204), "the other long calls still run");
    await peer.next(byId(202), 10000);
    await peer.next(byId(204), 10000);
  } finally {
    await peer.end();
  }
});

test("EOF while the optimized tier is still compiling: exit 0 at once", async () => {
  // An empty code cache: the server starts on the fast tier and compiles
  // the optimized one with gcc in the background.  A client that closes
  // stdin right away must not wait for the compiler (the SDK client sends
  // SIGTERM after 2 s).
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const path = await import("node:path");
  const cache = mkdtempSync(path.join(tmpdir(), "wasmcap-e2e-cold-"));
  try {
    const peer = startRaw({ env: { WASMCAP_E2E_CACHE: cache } });
    await ping(peer, 1);
    await sleep(300); // the background build is under way
    const t0 = Date.now();
    const status = await peer.end();
    const ms = Date.now() - t0;
    assert.deepEqual(status, { code: 0, signal: null }, peer.stderr().slice(-2000));
    assert.ok(ms < 1500, `exit took ${ms} ms after EOF`);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test("a config error fails at start with a message naming the file", async () => {
  const { spawn } = await import("node:child_process");
  const { WASMCAP } = await import("./lib.mjs");
  const proc = spawn(WASMCAP, ["serve", "--config", "/nonexistent/wasmcap.json"], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "", stdout = "";
  proc.stderr.on("data", (d) => { stderr += d; });
  proc.stdout.on("data", (d) => { stdout += d; });
  const code = await new Promise((resolve) => proc.once("exit", resolve));
  assert.notEqual(code, 0);
  assert.match(stderr, /\/nonexistent\/wasmcap\.json/);
  assert.equal(stdout, "", "nothing on stdout, which belongs to the protocol");
});

test("stdio and HTTP together (--http ... --stdio): both answer, end of input stops both", async () => {
  const peer = startRaw({ args: ["--http", "127.0.0.1:0", "--stdio"] });
  try {
    let port;
    for (let i = 0; i < 100 && !port; i++) {
      port = peer.stderr().match(/on http:\/\/127\.0\.0\.1:(\d+)\/mcp/)?.[1];
      if (!port) await sleep(50);
    }
    assert.ok(port, `no HTTP address in the log: ${peer.stderr()}`);
    await ping(peer, 1);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    const init = await fetch(`http://127.0.0.1:${port}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: INIT,
    });
    assert.equal(init.status, 200);
    assert.match(init.headers.get("mcp-session-id") ?? "", /^[0-9a-f]{32}$/);
    await ping(peer, 2);
  } finally {
    const status = await peer.end();
    assert.deepEqual(status, { code: 0, signal: null });
  }
});
