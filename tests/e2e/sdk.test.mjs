// sdk.test.mjs -- wasmcap serve, end to end, through the official MCP
// TypeScript SDK client over stdio (pinned in package.json).
//
// One server (tests/e2e/wasmcap.json: the four example plugins and the
// test-only faults plugin, page_size 2, max_message_bytes 1 MiB, faults with
// timeout_ms 3000, memory_limit 16 MiB, max_output_bytes 256 KiB) serves
// the tests in order; a few tests start their own server to observe
// something in isolation.  Every failure case is followed by a call that
// must work.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ResourceListChangedNotificationSchema,
  McpError,
  ErrorCode,
  LATEST_PROTOCOL_VERSION,
} from "@modelcontextprotocol/sdk/types.js";

import { startClient, listAll, textOf, sleep } from "./lib.mjs";
import { checkCalculator, checkHello, checkNotes, checkSupplyRisk, checkToolPages } from "./examples.mjs";

let srv; // the shared server
const sampled = []; // sampling requests the client answered
const elicited = []; // elicitation requests the client answered
const logs = [];    // notifications/message params received

function setup(client) {
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    sampled.push(req.params);
    const text = req.params.messages?.[0]?.content?.text ?? "";
    if (text === "refuse")
      throw new McpError(ErrorCode.InvalidRequest, "the user declined to sample");
    return { role: "assistant", content: { type: "text", text: `echo: ${text}` }, model: "e2e-model", stopReason: "endTurn" };
  });
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    elicited.push(req.params);
    if (/decline/.test(req.params.message)) return { action: "decline" };
    return { action: "accept", content: { name: "Ada" } };
  });
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { logs.push(n.params); });
}

before(async () => {
  srv = await startClient({ capabilities: { sampling: {}, elicitation: {} }, setup });
});

after(async () => {
  if (srv) {
    const status = await srv.close();
    assert.deepEqual(status, { code: 0, signal: null }, `server exit on EOF; stderr:\n${srv.stderr().slice(-2000)}`);
  }
});

/** Asserts the faults plugin (and so the server) still answers. */
async function assertAlive(client, tag = "alive") {
  const r = await client.callTool({ name: "faults-echo", arguments: { text: tag } });
  assert.equal(r.isError ?? false, false, textOf(r));
  assert.deepEqual(r.structuredContent, { text: tag });
  const c = await client.callTool({ name: "calculator-calculate", arguments: { a: 20, b: 22, op: "+" } });
  assert.deepEqual(c.structuredContent, { result: 42 });
}

async function timed(fn) {
  const t0 = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - t0 };
}

// ---- initialize ---------------------------------------------------------

test("initialize: negotiated version, server info and capabilities", () => {
  const { client, transport } = srv;
  // SDK 1.32.2 asks for its latest revision; wasmcap supports it.
  assert.equal(LATEST_PROTOCOL_VERSION, "2025-11-25");
  assert.equal(transport.protocolVersion, LATEST_PROTOCOL_VERSION);
  const init = transport.received((m) => m.id !== undefined && m.result?.protocolVersion)[0];
  assert.ok(init, "an initialize result");
  assert.equal(init.result.protocolVersion, transport.protocolVersion);
  const info = client.getServerVersion();
  assert.equal(info.name, "wasmcap-e2e");
  assert.equal(typeof info.version, "string");
  const caps = client.getServerCapabilities();
  for (const cap of ["tools", "resources", "prompts", "logging", "completions"])
    assert.ok(caps[cap], `capability ${cap} in ${JSON.stringify(caps)}`);
});

// ---- tools/list ---------------------------------------------------------

test("tools/list: every tool, in pages of 2, with schemas", () => checkToolPages(srv.client));

test("tools/list: an invalid cursor is -32602", async () => {
  await assert.rejects(srv.client.listTools({ cursor: "not-a-cursor" }),
    (e) => e instanceof McpError && e.code === ErrorCode.InvalidParams);
  await assertAlive(srv.client);
});

// ---- example tools --------------------------------------------------------

test("calculator: every operation, structured and text", () => checkCalculator(srv.client));

test("supply-risk: set_stock then assess, every action", () => checkSupplyRisk(srv.client));

test("hello: a WASI command plugin answers with its stdout", () => checkHello(srv.client));

test("notes: add, get, list, delete", () => checkNotes(srv.client));

test("notes: resources, templates and reads", async () => {
  const { items: resources, pages } = await listAll((p) => srv.client.listResources(p), "resources");
  for (const n of pages) assert.ok(n <= 2, `pages ${pages}`);
  const uris = resources.map((r) => r.uri);
  assert.equal(uris[0], "notes://index", "the manifest's resources come first");
  for (const u of ["notes://index", "notes://ideas", "notes://shopping"])
    assert.ok(uris.includes(u), `${u} in ${uris}`);
  assert.ok(!uris.includes("notes://scratch"), "a deleted note is not listed");

  const { items: templates } = await listAll((p) => srv.client.listResourceTemplates(p), "resourceTemplates");
  const t = templates.find((x) => x.uriTemplate === "notes://{id}");
  assert.ok(t, JSON.stringify(templates));
  assert.equal(t.mimeType, "text/plain");

  let r = await srv.client.readResource({ uri: "notes://shopping" });
  assert.deepEqual(r.contents, [{ uri: "notes://shopping", mimeType: "text/plain", text: "milk, eggs, bread" }]);
  r = await srv.client.readResource({ uri: "notes://index" });
  assert.equal(r.contents[0].mimeType, "application/json");
  assert.deepEqual(JSON.parse(r.contents[0].text), ["ideas", "shopping"]);
  await assert.rejects(srv.client.readResource({ uri: "notes://missing" }), (e) => {
    assert.ok(e instanceof McpError, String(e));
    assert.equal(e.code, -32002);
    assert.match(e.message, /missing/);
    return true;
  });
  await assert.rejects(srv.client.readResource({ uri: "nobody://x" }),
    (e) => e instanceof McpError && e.code === -32002);
});

test("notes: a changed note notifies its subscribers (resources/updated), the index's and the list's", async () => {
  const updated = [];
  let listChanged = 0;
  srv.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => { updated.push(n.params.uri); });
  srv.client.setNotificationHandler(ResourceListChangedNotificationSchema, () => { listChanged++; });
  const settle = async (want) => {
    for (let i = 0; i < 100 && !want(); i++) await sleep(20);
  };
  const call = async (name, args) => {
    const r = await srv.client.callTool({ name: `notes-${name}`, arguments: args });
    assert.equal(r.isError ?? false, false, textOf(r));
  };
  try {
    await srv.client.subscribeResource({ uri: "notes://watched" });
    await srv.client.subscribeResource({ uri: "notes://index" });

    await call("add", { id: "watched", text: "one" });
    await settle(() => updated.length >= 2 && listChanged >= 1);
    assert.deepEqual(updated.sort(), ["notes://index", "notes://watched"], "add");
    assert.equal(listChanged, 1, "a new note changes the resource list");

    updated.length = 0;
    await call("add", { id: "watched", text: "two" });
    await settle(() => updated.length >= 2);
    assert.deepEqual(updated.sort(), ["notes://index", "notes://watched"], "replace");

    // a note nobody subscribed to: only the index's subscribers hear of it
    updated.length = 0;
    await call("add", { id: "unwatched", text: "x" });
    await call("delete", { id: "unwatched" });
    await settle(() => updated.length >= 2);
    await sleep(100);
    assert.deepEqual(updated, ["notes://index", "notes://index"], "only the index");

    updated.length = 0;
    await call("delete", { id: "watched" });
    await settle(() => updated.length >= 2);
    assert.deepEqual(updated.sort(), ["notes://index", "notes://watched"], "delete");
    assert.equal(listChanged, 4, "each note that came or went changed the list");

    // after unsubscribing, nothing
    await srv.client.unsubscribeResource({ uri: "notes://watched" });
    await srv.client.unsubscribeResource({ uri: "notes://index" });
    updated.length = 0;
    await call("add", { id: "watched", text: "three" });
    await call("delete", { id: "watched" });
    await sleep(200);
    assert.deepEqual(updated, [], "unsubscribed");
  } finally {
    await srv.client.callTool({ name: "notes-delete", arguments: { id: "watched" } }); // the notes the next tests expect
    srv.client.removeNotificationHandler("notifications/resources/updated");
    srv.client.removeNotificationHandler("notifications/resources/list_changed");
  }
});

test("notes: prompt and completion", async () => {
  const { items: prompts } = await listAll((p) => srv.client.listPrompts(p), "prompts");
  const p = prompts.find((x) => /summarize$/.test(x.name));
  assert.ok(p, JSON.stringify(prompts));
  assert.equal(p.name, "notes-summarize");
  assert.deepEqual(p.arguments.map((a) => [a.name, a.required]), [["id", true]]);

  const got = await srv.client.getPrompt({ name: p.name, arguments: { id: "shopping" } });
  assert.equal(got.messages.length, 1);
  assert.equal(got.messages[0].role, "user");
  assert.match(got.messages[0].content.text, /milk, eggs, bread/);
  await assert.rejects(srv.client.getPrompt({ name: p.name, arguments: {} }),
    (e) => e instanceof McpError && e.code === ErrorCode.InvalidParams && /id/.test(e.message));
  await assert.rejects(srv.client.getPrompt({ name: p.name, arguments: { id: "missing" } }),
    (e) => e instanceof McpError && e.code === ErrorCode.InvalidParams && /missing/.test(e.message));
  await assert.rejects(srv.client.getPrompt({ name: "no-such-prompt" }),
    (e) => e instanceof McpError && e.code === ErrorCode.InvalidParams);

  let c = await srv.client.complete({ ref: { type: "ref/prompt", name: p.name }, argument: { name: "id", value: "sh" } });
  assert.deepEqual(c.completion.values, ["shopping"]);
  c = await srv.client.complete({ ref: { type: "ref/prompt", name: p.name }, argument: { name: "id", value: "" } });
  assert.deepEqual(c.completion.values, ["ideas", "shopping"]);
  c = await srv.client.complete({ ref: { type: "ref/resource", uri: "notes://{id}" }, argument: { name: "id", value: "i" } });
  assert.deepEqual(c.completion.values, ["ideas"]);
  c = await srv.client.complete({ ref: { type: "ref/prompt", name: p.name }, argument: { name: "id", value: "zz" } });
  assert.deepEqual(c.completion.values, []);
});

test("parallel calls: 300 at once, every answer matched to its request", async () => {
  const calls = [];
  for (let i = 0; i < 300; i++) {
    const op = ["+", "-", "*", "/"][i % 4];
    const a = i - 150, b = (i % 7) + 1;
    const want = op === "+" ? a + b : op === "-" ? a - b : op === "*" ? a * b : a / b;
    calls.push(srv.client.callTool({ name: "calculator-calculate", arguments: { a, b, op } })
      .then((r) => assert.deepEqual(r.structuredContent, { result: want }, `${a} ${op} ${b}`)));
    if (i % 50 === 0)
      calls.push(srv.client.callTool({ name: "faults-echo", arguments: { text: `e${i}` } })
        .then((r) => assert.deepEqual(r.structuredContent, { text: `e${i}` })));
  }
  await Promise.all(calls);
});

// ---- errors of tools/call ------------------------------------------------

test("unknown tool: McpError -32602 naming it", async () => {
  await assert.rejects(srv.client.callTool({ name: "no-such-tool", arguments: {} }), (e) => {
    assert.ok(e instanceof McpError, String(e));
    assert.equal(e.code, ErrorCode.InvalidParams);
    assert.match(e.message, /no-such-tool/);
    return true;
  });
  await assertAlive(srv.client);
});

test("wrong argument types: isError naming the field", async () => {
  const r = await srv.client.callTool({ name: "calculator-calculate", arguments: { a: "six", b: 7, op: "*" } });
  assert.equal(r.isError, true);
  assert.match(textOf(r), /\ba\b/, "names the field a");
  assert.match(textOf(r), /number/, "says what it should be");
  const m = await srv.client.callTool({ name: "calculator-calculate", arguments: { a: 1, b: 2 } });
  assert.equal(m.isError, true);
  assert.match(textOf(m), /\bop\b/, "names the missing field");
  const o = await srv.client.callTool({ name: "calculator-calculate", arguments: { a: 1, b: 2, op: "^" } });
  assert.equal(o.isError, true);
  assert.match(textOf(o), /\bop\b/);
  await assertAlive(srv.client);
});

test("trap: isError saying the plugin trapped", async () => {
  const r = await srv.client.callTool({ name: "faults-trap", arguments: {} });
  assert.equal(r.isError, true);
  assert.match(textOf(r), /plugin 'faults' trapped/);
  assert.match(textOf(r), /unreachable/i);
  await assertAlive(srv.client);
});

test("loop: stopped at timeout_ms with a message naming the limit", async () => {
  const { value: r, ms } = await timed(() => srv.client.callTool({ name: "faults-loop", arguments: {} }));
  assert.equal(r.isError, true);
  assert.match(textOf(r), /time limit of 3000 ms \(raise plugins\.faults\.permissions\.timeout_ms\)/, textOf(r));
  assert.ok(ms >= 2900 && ms < 9000, `took ${ms} ms for a 3000 ms limit`);
  await assertAlive(srv.client);
});

test("hog: stopped at memory_limit with a message naming the limit", async () => {
  const r = await srv.client.callTool({ name: "faults-hog", arguments: {} });
  assert.equal(r.isError, true);
  assert.match(textOf(r), /memory limit of 16 MiB \(raise plugins\.faults\.permissions\.memory_limit\)/, textOf(r));
  await assertAlive(srv.client);
});

test("big: output over max_output_bytes is refused naming the limit", async () => {
  const r = await srv.client.callTool({ name: "faults-big", arguments: { bytes: 1 << 20 } });
  assert.equal(r.isError, true);
  assert.match(textOf(r), /output limit of 256 KiB \(raise plugins\.faults\.permissions\.max_output_bytes\)/, textOf(r).slice(0, 300));
  assert.ok(JSON.stringify(r).length < 64 * 1024, "the oversized output is not passed on");
  const small = await srv.client.callTool({ name: "faults-big", arguments: { bytes: 1000 } });
  assert.equal(small.isError ?? false, false, textOf(small).slice(0, 300));
  assert.equal(textOf(small), "x".repeat(1000));
  await assertAlive(srv.client);
});

test("bad_output: structuredContent violating outputSchema is an isError result", async () => {
  const r = await srv.client.callTool({ name: "faults-bad_output", arguments: {} });
  assert.equal(r.isError, true);
  assert.match(textOf(r), /output ?schema/i, textOf(r));
  assert.match(textOf(r), /\/count: expected integer/, "names the failing property and the expected type");
  await assertAlive(srv.client);
});

test("a large argument under the limits (100,000 characters, ~170 KB) goes through intact", async () => {
  const text = "ünï ✓ \"q\"\n\t".repeat(10000).slice(0, 100000);
  const r = await srv.client.callTool({ name: "faults-echo", arguments: { text } });
  assert.equal(r.isError ?? false, false, textOf(r).slice(0, 300));
  assert.equal(r.structuredContent.text, text);
});

test("10 MB argument: refused by max_message_bytes, the session goes on", async () => {
  const huge = "x".repeat(10 << 20);
  const { ms } = await timed(() => assert.rejects(
    srv.client.callTool({ name: "faults-echo", arguments: { text: huge } }, undefined, { timeout: 10000 }),
    (e) => {
      // The server finds the request's id while it discards the line (the
      // SDK writes "id" last), so the refusal answers this very request.
      assert.ok(e instanceof McpError, String(e));
      assert.equal(e.code, ErrorCode.InvalidRequest, e.message);
      assert.match(e.message, /over the limit of 1048576 bytes/);
      assert.match(e.message, /server\.max_message_bytes/);
      return true;
    }));
  assert.ok(ms < 6000, `${ms} ms`);
  await assertAlive(srv.client);
});

// ---- sampling -------------------------------------------------------------

test("sampling: the plugin's request reaches the client and its answer comes back", async () => {
  const n = sampled.length;
  const r = await srv.client.callTool({ name: "faults-sample", arguments: { prompt: "What is \"2+2\"?" } });
  assert.equal(r.isError ?? false, false, textOf(r));
  assert.equal(sampled.length, n + 1);
  assert.equal(sampled[n].messages[0].role, "user");
  assert.equal(sampled[n].messages[0].content.text, "What is \"2+2\"?");
  assert.equal(sampled[n].maxTokens, 100);
  assert.deepEqual(r.structuredContent.answer,
    { role: "assistant", content: { type: "text", text: "echo: What is \"2+2\"?" }, model: "e2e-model", stopReason: "endTurn" });
});

test("sampling: a refusal by the client is an isError result", async () => {
  const r = await srv.client.callTool({ name: "faults-sample", arguments: { prompt: "refuse" } });
  assert.equal(r.isError, true);
  assert.match(textOf(r), /sampling failed \(-5\)/);
  assert.match(textOf(r), /declined/);
  await assertAlive(srv.client);
});

test("elicitation: the plugin asks the user through the client", async () => {
  const n = elicited.length;
  let r = await srv.client.callTool({ name: "faults-ask", arguments: { question: "Who are you?" } });
  assert.equal(r.isError ?? false, false, textOf(r));
  assert.equal(elicited.length, n + 1);
  assert.equal(elicited[n].message, "Who are you?");
  assert.deepEqual(elicited[n].requestedSchema.required, ["name"]);
  assert.deepEqual(r.structuredContent.answer, { action: "accept", content: { name: "Ada" } });
  r = await srv.client.callTool({ name: "faults-ask", arguments: { question: "please decline" } });
  assert.deepEqual(r.structuredContent.answer, { action: "decline" });
});

test("sampling and elicitation: a client without the capability gets an isError result", async () => {
  const other = await startClient();
  try {
    const r = await other.client.callTool({ name: "faults-sample", arguments: { prompt: "hi" } });
    assert.equal(r.isError, true);
    assert.match(textOf(r), /sampling failed \(-6\)/, textOf(r));
    assert.match(textOf(r), /sampling/);
    const e = await other.client.callTool({ name: "faults-ask", arguments: { question: "name?" } });
    assert.equal(e.isError, true);
    assert.match(textOf(e), /elicitation failed \(-6\)/, textOf(e));
    await assertAlive(other.client);
  } finally {
    assert.deepEqual(await other.close(), { code: 0, signal: null });
  }
});

// ---- progress and logging ---------------------------------------------------

test("progress: one notification per step, in order, before the result", async () => {
  const events = [];
  const from = srv.transport.log.length;
  const r = await srv.client.callTool({ name: "faults-slow", arguments: { steps: 4, step_ms: 30 } }, undefined,
    { onprogress: (p) => events.push(p) });
  assert.equal(r.isError ?? false, false, textOf(r));
  assert.deepEqual(r.structuredContent, { steps: 4 });
  const want = [1, 2, 3, 4].map((i) => [i, 4, `step ${i} of 4 done`]);
  // On the wire: all four, in order, then the result.
  const call = srv.transport.log.slice(from).find((e) => e.dir === "out" && e.m.method === "tools/call").m;
  const token = call.params._meta.progressToken;
  const wire = srv.transport.log.slice(from).filter((e) => e.dir === "in" &&
    (e.m.id === call.id || (e.m.method === "notifications/progress" && e.m.params.progressToken === token)));
  assert.deepEqual(wire.map((e) => e.m.id === call.id ? "result" :
    [e.m.params.progress, e.m.params.total, e.m.params.message]), [...want, "result"]);
  // Through the SDK: it runs notification handlers a microtask late but
  // takes a response at once, so a notification that arrives in the same
  // read as the response is dropped (SDK 1.32.2 behaviour); the earlier
  // ones reach onprogress in order.
  assert.ok(events.length >= 2, `onprogress saw ${events.length} events`);
  assert.deepEqual(events.map((e) => [e.progress, e.total, e.message]), want.slice(0, events.length));
});

test("progress: none without a progress token", async () => {
  const from = srv.transport.log.length;
  const r = await srv.client.callTool({ name: "faults-slow", arguments: { steps: 2, step_ms: 5 } });
  assert.deepEqual(r.structuredContent, { steps: 2 });
  assert.deepEqual(srv.transport.received((m) => m.method === "notifications/progress", from), []);
});

test("logging: setLevel filters notifications/message", async () => {
  const stepLogs = () => logs.filter((l) => JSON.stringify(l.data).includes("of 3 done"));
  await srv.client.setLoggingLevel("warning");
  logs.length = 0;
  await srv.client.callTool({ name: "faults-slow", arguments: { steps: 3, step_ms: 5 } });
  await sleep(100);
  assert.deepEqual(stepLogs(), [], "info messages are below warning");

  await srv.client.setLoggingLevel("info");
  await srv.client.callTool({ name: "faults-slow", arguments: { steps: 3, step_ms: 5 } });
  await sleep(100);
  const got = stepLogs();
  assert.equal(got.length, 3, JSON.stringify(logs));
  for (const [i, l] of got.entries()) {
    assert.equal(l.level, "info");
    assert.match(JSON.stringify(l.data), new RegExp(`step ${i + 1} of 3 done`));
  }
  await assert.rejects(srv.client.setLoggingLevel("loud"),
    (e) => e instanceof McpError && e.code === ErrorCode.InvalidParams);
});

// ---- cancellation ------------------------------------------------------------

test("cancellation: aborted calls stop on the server and free their workers", async () => {
  // The config has 2 workers: two slow calls of ~2.4 s occupy both.  After
  // they are cancelled a third call must not wait for them.
  const controllers = [new AbortController(), new AbortController()];
  const from = srv.transport.log.length;
  const progress = [0, 0];
  const calls = controllers.map((c, k) => srv.client.callTool(
    { name: "faults-slow", arguments: { steps: 60, step_ms: 40 } }, undefined,
    { signal: c.signal, onprogress: () => { progress[k]++; } }));
  await sleep(300);
  assert.ok(progress[0] > 0 && progress[1] > 0, `both calls running (progress ${progress})`);
  const ids = srv.transport.log.slice(from)
    .filter((e) => e.dir === "out" && e.m.method === "tools/call").map((e) => e.m.id);
  assert.equal(ids.length, 2);
  for (const c of controllers) c.abort("test cancels");
  for (const p of calls) await assert.rejects(p, /test cancels/);
  const cancelledAt = srv.transport.log.length;
  const { ms } = await timed(() => assertAlive(srv.client, "after cancel"));
  assert.ok(ms < 1200, `the next call took ${ms} ms: the cancelled calls still held the workers`);
  await sleep(2500); // past the time the slow calls would have taken
  // A step or two may have been under way when the cancellation arrived;
  // anything beyond that means the calls went on running.
  const progressOf = (from, to) => srv.transport.log.slice(from, to)
    .filter((e) => e.dir === "in" && e.m.method === "notifications/progress").map((e) => e.m.params.progress);
  const reached = Math.max(...progressOf(from, cancelledAt));
  const late = srv.transport.received((m) =>
    (m.method === "notifications/progress" && m.params.progress > reached + 3) || ids.includes(m.id), cancelledAt);
  assert.deepEqual(late, [], `no progress past step ${reached + 3} and no response after the cancellation`);
});

test("cancellation: an endless loop is interrupted before its deadline", async () => {
  const c = new AbortController();
  const call = srv.client.callTool({ name: "faults-loop", arguments: {} }, undefined, { signal: c.signal });
  const call2 = srv.client.callTool({ name: "faults-loop", arguments: {} }, undefined, { signal: c.signal });
  await sleep(200);
  c.abort("stop looping");
  await assert.rejects(call, /stop looping/);
  await assert.rejects(call2, /stop looping/);
  const { ms } = await timed(() => assertAlive(srv.client, "after loop"));
  assert.ok(ms < 1200, `the next call took ${ms} ms: the loops were not interrupted`);
});
