// revision-2025-03-26.test.mjs -- clients of protocol revision 2025-03-26:
// the official SDK at 1.11 (package.json: "sdk-1-11"), which knows no later
// revision and refuses a server that answers with one, connects and calls
// tools over stdio, Streamable HTTP and the legacy /sse; and the batches
// that revision allows, sent raw over stdio and Streamable HTTP.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { Client } from "sdk-1-11/client/index.js";
import { StdioClientTransport } from "sdk-1-11/client/stdio.js";
import { StreamableHTTPClientTransport } from "sdk-1-11/client/streamableHttp.js";
import { SSEClientTransport } from "sdk-1-11/client/sse.js";
import { LATEST_PROTOCOL_VERSION } from "sdk-1-11/types.js";

import { CONFIG, WASMCAP, RecordingTransport, serverEnv, startHttpServer, startRaw, textOf } from "./lib.mjs";

const REVISION = "2025-03-26";
let srv; // one HTTP server for the HTTP tests

before(async () => { srv = await startHttpServer(); });
after(async () => {
  if (srv) {
    const status = await srv.stop();
    assert.deepEqual(status, { code: 0, signal: null }, `server exit; stderr:\n${srv.stderr().slice(-2000)}`);
  }
});

/** Connects an SDK 1.11 client through inner and checks what it negotiated. */
async function connect(inner) {
  const transport = new RecordingTransport(inner);
  const client = new Client({ name: "sdk-1-11-e2e", version: "1.0.0" }, { capabilities: {} });
  await client.connect(transport);
  const init = transport.received((m) => m.result?.protocolVersion !== undefined)[0];
  assert.equal(init?.result.protocolVersion, REVISION, "the server answers the client's revision");
  return { client, transport };
}

/** What every transport must carry for these clients: lists and calls. */
async function useTools(client) {
  const tools = await client.listTools();
  const calc = tools.tools.find((t) => t.name === "calculator-calculate");
  assert.ok(calc, "calculator listed");
  // what 2025-06-18 added is not sent to these clients
  assert.equal(calc.outputSchema, undefined, "no outputSchema in 2025-03-26");
  assert.equal(tools.tools.filter((t) => t.title !== undefined).length, 0, "no titles in 2025-03-26");
  const r = await client.callTool({ name: "calculator-calculate", arguments: { a: 6, b: 7, op: "*" } });
  assert.equal(r.isError ?? false, false, textOf(r));
  assert.equal(textOf(r), "42");
  assert.equal(r.structuredContent, undefined, "no structuredContent in 2025-03-26");
  const e = await client.callTool({ name: "faults-echo", arguments: { text: "old client" } });
  assert.equal(e.isError ?? false, false, textOf(e));
  await client.ping();
}

test("the SDK 1.11 client speaks 2025-03-26 as its latest revision", () => {
  assert.equal(LATEST_PROTOCOL_VERSION, REVISION);
});

test("stdio: an SDK 1.11 client connects and calls tools", async () => {
  const data = serverEnv();
  const inner = new StdioClientTransport({
    command: WASMCAP, args: ["serve", "--config", CONFIG], env: { ...process.env, ...data.env }, stderr: "pipe",
  });
  const { client } = await connect(inner);
  try {
    await useTools(client);
  } finally {
    await client.close();
    data.cleanup();
  }
});

test("Streamable HTTP: an SDK 1.11 client connects and calls tools", async () => {
  const http = new StreamableHTTPClientTransport(srv.url);
  const { client } = await connect(http);
  try {
    await useTools(client);
  } finally {
    await http.terminateSession().catch(() => {});
    await client.close();
  }
});

test("legacy /sse: an SDK 1.11 client connects and calls tools", async () => {
  const sse = new SSEClientTransport(new URL("/sse", srv.base));
  const { client } = await connect(sse);
  try {
    await useTools(client);
  } finally {
    await client.close();
  }
});

const rpc = (id, method, params) => ({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
const initialize = (version) => rpc(1, "initialize", {
  protocolVersion: version, capabilities: {}, clientInfo: { name: "raw", version: "1" },
});

test("stdio: a batch in a 2025-03-26 session is answered with one array", async () => {
  const peer = startRaw();
  try {
    peer.send(JSON.stringify(initialize(REVISION)));
    const init = await peer.next((m) => m.id === 1);
    assert.equal(init.result.protocolVersion, REVISION);
    peer.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
    peer.send(JSON.stringify([
      rpc(2, "tools/call", { name: "calculator-calculate", arguments: { a: 1, b: 2, op: "+" } }),
      { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 99 } },
      rpc(3, "ping"),
    ]));
    const answers = await peer.next((m) => Array.isArray(m));
    assert.deepEqual(answers.map((a) => a.id).sort(), [2, 3]);
    assert.equal(textOf(answers.find((a) => a.id === 2).result), "3");
    peer.send("[]");
    const empty = await peer.next((m) => !Array.isArray(m) && m.id === null);
    assert.equal(empty.error.code, -32600);
  } finally {
    assert.deepEqual(await peer.end(), { code: 0, signal: null });
  }
});

test("stdio: a 2025-06-18 session still refuses batches", async () => {
  const peer = startRaw();
  try {
    peer.send(JSON.stringify(initialize("2025-06-18")));
    await peer.next((m) => m.id === 1);
    peer.send(JSON.stringify([rpc(2, "ping")]));
    const refused = await peer.next((m) => m.id === null);
    assert.equal(refused.error.code, -32600);
    assert.equal(peer.queue.filter((m) => Array.isArray(m) || m.id === 2).length, 0, "nothing of the batch ran");
  } finally {
    await peer.end();
  }
});

/** POSTs body to the endpoint; returns {status, headers, messages (JSON bodies or SSE events' data)}. */
async function post(body, session, version = REVISION) {
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
  if (session) { headers["mcp-session-id"] = session; headers["mcp-protocol-version"] = version; }
  const res = await fetch(srv.url, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await res.text();
  let messages = [];
  if (/event-stream/.test(res.headers.get("content-type") ?? "")) {
    messages = text.split("\n\n").map((ev) => ev.split("\n").filter((l) => l.startsWith("data:"))
      .map((l) => l.slice(5).trim()).join("")).filter(Boolean).map((d) => JSON.parse(d));
  } else if (text) {
    messages = [JSON.parse(text)];
  }
  return { status: res.status, headers: res.headers, messages };
}

async function openSession(version) {
  const r = await post(initialize(version));
  assert.equal(r.status, 200);
  assert.equal(r.messages[0].result.protocolVersion, version);
  const session = r.headers.get("mcp-session-id");
  assert.ok(session, "a session id");
  assert.equal((await post({ jsonrpc: "2.0", method: "notifications/initialized" }, session, version)).status, 202);
  return session;
}

test("Streamable HTTP: a POSTed batch is answered on its stream, notifications alone with 202", async () => {
  const session = await openSession(REVISION);
  const r = await post([
    rpc(2, "tools/call", { name: "calculator-calculate", arguments: { a: 2, b: 3, op: "*" } }),
    rpc(3, "ping"),
    { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 99 } },
  ], session);
  assert.equal(r.status, 200);
  const answers = r.messages.flat();
  assert.deepEqual(answers.map((a) => a.id).sort(), [2, 3], JSON.stringify(r.messages));
  assert.equal(textOf(answers.find((a) => a.id === 2).result), "6");
  const quiet = await post([{ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 98 } }], session);
  assert.equal(quiet.status, 202);
  const empty = await post([], session);
  assert.equal(empty.messages.flat()[0]?.error?.code, -32600, JSON.stringify(empty));
  await fetch(srv.url, { method: "DELETE", headers: { "mcp-session-id": session } });
});

test("Streamable HTTP: a 2025-06-18 session still refuses batches with 400", async () => {
  const session = await openSession("2025-06-18");
  const r = await post([rpc(2, "ping")], session, "2025-06-18");
  assert.equal(r.status, 400);
  assert.equal(r.messages[0].error.code, -32600);
  assert.match(r.messages[0].error.message, /batches are not supported/);
  await fetch(srv.url, { method: "DELETE", headers: { "mcp-session-id": session } });
});
