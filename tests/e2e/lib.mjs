// lib.mjs -- what the e2e tests share: where wasmcap and its config are, a
// temporary data directory per server, an SDK client over stdio that keeps
// a log of every message in both directions, and a raw line-level peer for
// what the SDK cannot send; for HTTP, `wasmcap serve --http` on a free port
// and SDK clients over Streamable HTTP and the legacy HTTP+SSE transport,
// with a fetch that records (and can cut) what goes over the wire.
//
// WASMCAP_BIN overrides the server binary (default: build/wasmcap of the
// source tree); WASMCAP_E2E_CACHE the code cache shared between runs
// (default: build/e2e-cache next to the binary), so the optimized tier is
// built once and not by every server the tests start.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "../..");
export const WASMCAP = path.resolve(process.env.WASMCAP_BIN ?? path.join(ROOT, "build/wasmcap"));
export const CONFIG = path.join(HERE, "wasmcap.json");
export const CACHE = path.resolve(process.env.WASMCAP_E2E_CACHE ?? path.join(path.dirname(WASMCAP), "e2e-cache"));

/** A fresh data directory (kv store) and the environment that points the config at it. */
export function serverEnv() {
  const dir = mkdtempSync(path.join(tmpdir(), "wasmcap-e2e-"));
  mkdirSync(CACHE, { recursive: true });
  return {
    dir,
    env: { WASMCAP_E2E_DIR: dir, WASMCAP_E2E_CACHE: CACHE },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Wraps a transport to record every message: {dir: "in"|"out", m, t}. */
export class RecordingTransport {
  constructor(inner) {
    this.inner = inner;
    this.log = [];
    this.protocolVersion = undefined;
    inner.onmessage = (m, extra) => {
      this.log.push({ dir: "in", m, t: Date.now() });
      this.onmessage?.(m, extra);
    };
    inner.onerror = (e) => this.onerror?.(e);
    inner.onclose = () => this.onclose?.();
  }
  start() { return this.inner.start(); }
  send(m, opts) {
    this.log.push({ dir: "out", m, t: Date.now() });
    return this.inner.send(m, opts);
  }
  close() { return this.inner.close(); }
  setProtocolVersion(v) { this.protocolVersion = v; this.inner.setProtocolVersion?.(v); }
  // The inner transport's (Streamable HTTP: set by initialize; stdio and
  // legacy SSE: none), so that Client.connect initializes as usual.
  get sessionId() { return this.inner.sessionId; }
  /** Messages received since index `from` that satisfy pred. */
  received(pred, from = 0) { return this.log.slice(from).filter((e) => e.dir === "in" && pred(e.m)).map((e) => e.m); }
}

/**
 * Starts `wasmcap serve --config CONFIG` with the SDK client connected.
 * opts.capabilities: the client's capabilities; opts.setup(client): runs
 * before connect (request handlers).  Returns {client, transport, proc,
 * stderr(), exited (promise of {code, signal}), close()}.
 */
export async function startClient(opts = {}) {
  const data = serverEnv();
  const inner = new StdioClientTransport({
    command: WASMCAP,
    args: ["serve", "--config", opts.config ?? CONFIG],
    env: { ...process.env, ...data.env },
    stderr: "pipe",
  });
  let stderr = "";
  inner.stderr.on("data", (d) => { stderr += d.toString(); });
  const transport = new RecordingTransport(inner);
  const client = new Client({ name: "wasmcap-e2e", version: "1.0.0" }, { capabilities: opts.capabilities ?? {} });
  const errors = [];
  client.onerror = (e) => errors.push(e);
  opts.setup?.(client);
  await client.connect(transport);
  // The SDK keeps the child private; the exit status is part of what we test.
  const proc = inner._process;
  const exited = new Promise((resolve) => {
    if (proc.exitCode !== null) resolve({ code: proc.exitCode, signal: proc.signalCode });
    else proc.once("exit", (code, signal) => resolve({ code, signal }));
  });
  return {
    client, transport, proc, exited, errors,
    stderr: () => stderr,
    async close() {
      await client.close();
      const status = await exited;
      data.cleanup();
      return status;
    },
  };
}

/** Every page of a paginated list method: {items, pages}. */
export async function listAll(fn, key) {
  const items = [];
  const pages = [];
  let cursor;
  do {
    const page = await fn(cursor === undefined ? {} : { cursor });
    pages.push(page[key].length);
    items.push(...page[key]);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return { items, pages };
}

export function textOf(result) {
  return (result.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A raw peer: spawns the server and exchanges lines.  send(text) writes
 * text + "\n" as it is; next(pred, ms) resolves with the first parsed line
 * received (from now on or already queued) that satisfies pred.  opts.env
 * adds to the environment (e.g. another WASMCAP_E2E_CACHE).
 */
export function startRaw(opts = {}) {
  const data = serverEnv();
  const proc = spawn(WASMCAP, ["serve", "--config", opts.config ?? CONFIG, ...(opts.args ?? [])], {
    env: { ...process.env, ...data.env, ...opts.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines = [];       // every stdout line, raw
  const queue = [];       // parsed, not yet taken
  const waiters = [];
  let stderr = "";
  let buf = "";
  proc.stderr.on("data", (d) => { stderr += d.toString(); });
  proc.stdout.on("data", (d) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      let m;
      try { m = JSON.parse(line); } catch { m = { unparsable: line }; }
      queue.push(m);
      for (const w of [...waiters]) w();
    }
  });
  const exited = new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  proc.stdin.on("error", () => {}); // EPIPE when the server has gone: reported by the test itself
  return {
    proc, lines, queue, exited,
    stderr: () => stderr,
    send(text) { proc.stdin.write(text + "\n"); },
    next(pred = () => true, ms = 5000) {
      return new Promise((resolve, reject) => {
        const look = () => {
          const i = queue.findIndex(pred);
          if (i < 0) return false;
          const [m] = queue.splice(i, 1);
          cleanup();
          resolve(m);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching message within ${ms} ms; queued: ${JSON.stringify(queue).slice(0, 500)}; stderr: ${stderr.slice(-1000)}`));
        }, ms);
        const cleanup = () => {
          clearTimeout(timer);
          const k = waiters.indexOf(look);
          if (k >= 0) waiters.splice(k, 1);
        };
        if (!look()) waiters.push(look);
      });
    },
    async end() {
      proc.stdin.end();
      const status = await exited;
      data.cleanup();
      return status;
    },
  };
}

// ---- HTTP ------------------------------------------------------------------

/**
 * Starts `wasmcap serve --config CONFIG --http 127.0.0.1:0` and waits for
 * its "serving ... on http://HOST:PORT/mcp" log line: port 0 makes the
 * server bind a free port itself, so there is no race with other
 * processes for it.  opts.args: more arguments; opts.env: more environment.
 * Returns {base, url (the /mcp endpoint as a URL), port, proc, exited,
 * stderr(), stop()}; stop() sends SIGTERM and resolves with the exit status.
 */
export async function startHttpServer(opts = {}) {
  const data = serverEnv();
  const proc = spawn(WASMCAP, ["serve", "--config", opts.config ?? CONFIG, "--http", "127.0.0.1:0", ...(opts.args ?? [])], {
    env: { ...process.env, ...data.env, ...opts.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const exited = new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wasmcap serve --http did not say where it listens within 30 s; stderr:\n${stderr.slice(-2000)}`)), 30000);
    proc.stderr.on("data", (d) => {
      stderr += d.toString();
      const m = /serving \d+ plugin\(s\) on (http:\/\/[^/\s]+)(\/\S*?)(?: and stdio)? \(/.exec(stderr);
      if (m) { clearTimeout(timer); resolve({ base: m[1], endpoint: m[2] }); }
    });
    exited.then((st) => { clearTimeout(timer); reject(new Error(`wasmcap serve --http exited (${JSON.stringify(st)}); stderr:\n${stderr.slice(-2000)}`)); });
  });
  let where;
  try {
    where = await listening;
  } catch (e) {
    proc.kill("SIGKILL");
    data.cleanup();
    throw e;
  }
  return {
    proc, exited,
    base: where.base,
    url: new URL(where.endpoint, where.base),
    port: Number(new URL(where.base).port),
    stderr: () => stderr,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      const status = await exited;
      data.cleanup();
      return status;
    },
  };
}

/**
 * A fetch that records every exchange in `log` ({method, url, rpc (the
 * JSON-RPC message POSTed, parsed), headers (sent, lower-case), status
 * (null when the fetch failed, and error says why), contentType, events (the SSE events read, as {id, data} with data parsed
 * when not empty)}) and, when `cut` is armed with cutAfter(pred, n), cuts
 * the first POST whose JSON-RPC body satisfies pred once n messages (events
 * with data) of its event stream went through: the rest of what was read
 * (up to half of the next event) is dropped, the connection aborted, and
 * the body stream fails as a network error would.
 */
export function wireFetch() {
  const log = [];
  let arm = null; // {pred, n, resolve}
  const cuts = [];
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  async function wrapped(url, init = {}) {
    const method = (init.method ?? "GET").toUpperCase();
    const headers = {};
    new Headers(init.headers ?? {}).forEach((v, k) => { headers[k] = v; });
    let rpc;
    if (typeof init.body === "string") { try { rpc = JSON.parse(init.body); } catch { rpc = init.body; } }
    const entry = { method, url: String(url), rpc, headers, status: undefined, contentType: undefined, events: [], t: Date.now() };
    log.push(entry);
    const mine = new AbortController();
    const signal = init.signal ? AbortSignal.any([init.signal, mine.signal]) : mine.signal;
    let res;
    try {
      res = await fetch(url, { ...init, signal });
    } catch (e) {
      entry.status = null; // no answer: entry.error says why
      entry.error = [e.message, e.cause?.code, e.cause?.message].filter(Boolean).join(": ");
      throw e;
    }
    entry.status = res.status;
    entry.contentType = res.headers.get("content-type") ?? undefined;
    if (!res.body || !/^text\/event-stream/.test(entry.contentType ?? "")) return res;
    let cut = null;
    if (arm && method === "POST" && rpc && arm.pred(rpc)) { cut = arm; arm = null; }
    const reader = res.body.getReader();
    let text = "";       // read, not yet passed on
    let messages = 0;    // events with data passed on
    const parse = (raw) => {
      const ev = { id: undefined, data: "" };
      for (const line of raw.split("\n")) {
        if (line.startsWith("id:")) ev.id = line.slice(3).trim();
        else if (line.startsWith("data:")) ev.data += line.slice(5).replace(/^ /, "");
        else if (line.startsWith("retry:")) ev.retry = Number(line.slice(6));
        else if (line.startsWith("event:")) ev.event = line.slice(6).trim();
      }
      if (ev.data) { try { ev.data = JSON.parse(ev.data); } catch { /* as is */ } }
      return ev;
    };
    const body = new ReadableStream({
      async pull(controller) {
        for (;;) {
          let r;
          try { r = await reader.read(); } catch (e) { controller.error(e); return; }
          if (r.done) {
            if (text) controller.enqueue(enc.encode(text));
            controller.close();
            return;
          }
          text += dec.decode(r.value, { stream: true });
          let out = "";
          let k;
          while ((k = text.indexOf("\n\n")) >= 0) {
            const raw = text.slice(0, k + 2);
            const ev = parse(raw.slice(0, -2));
            if (cut && messages >= cut.n) {
              // Cut here: half of this event goes through, then the connection dies.
              out += raw.slice(0, Math.floor(raw.length / 2));
              if (out) controller.enqueue(enc.encode(out));
              const info = { entry, after: entry.events.at(-1)?.id, dropped: [ev, ...[...text.slice(k + 2).matchAll(/id: (\S+)/g)].map((m) => ({ id: m[1] }))] };
              cuts.push(info);
              cut.resolve(info);
              mine.abort(new Error("cut by the test"));
              reader.cancel().catch(() => {});
              controller.error(new TypeError("terminated: the test cut the connection"));
              return;
            }
            entry.events.push(ev);
            if (ev.data !== "") messages++;
            out += raw;
            text = text.slice(k + 2);
          }
          if (out) { controller.enqueue(enc.encode(out)); return; }
        }
      },
      cancel(reason) { return reader.cancel(reason); },
    });
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  }
  return {
    fetch: wrapped,
    log,
    cuts,
    /** Arms a cut (see above); resolves with {entry, after, dropped} when it happens. */
    cutAfter(pred, n) { return new Promise((resolve) => { arm = { pred, n, resolve }; }); },
  };
}

/**
 * An SDK client over Streamable HTTP to server.url.  opts: capabilities,
 * setup(client), reconnectionOptions, sessionId (connect to an existing
 * session without initializing), protocolVersion (with sessionId), wire
 * (a wireFetch(); one is made if absent).  Returns {client, transport (a
 * RecordingTransport), http (the SDK transport), wire, errors, close()}.
 */
export async function connectHttp(server, opts = {}) {
  const wire = opts.wire ?? wireFetch();
  const http = new StreamableHTTPClientTransport(server.url, {
    fetch: wire.fetch,
    sessionId: opts.sessionId,
    reconnectionOptions: opts.reconnectionOptions,
  });
  if (opts.protocolVersion) http.setProtocolVersion(opts.protocolVersion);
  const transport = new RecordingTransport(http);
  const client = new Client({ name: opts.name ?? "wasmcap-e2e-http", version: "1.0.0" }, { capabilities: opts.capabilities ?? {} });
  const errors = [];
  client.onerror = (e) => errors.push(e);
  opts.setup?.(client);
  await client.connect(transport);
  return {
    client, transport, http, wire, errors,
    async close({ terminate = true } = {}) {
      if (terminate && http.sessionId) await http.terminateSession().catch(() => {});
      await client.close();
    },
  };
}

/**
 * An SDK client over the legacy HTTP+SSE transport (GET /sse, POST
 * /messages).  opts.rewriteVersion: the protocolVersion the initialize
 * request asks for instead of the SDK's latest (what a 2024-11-05 client
 * sends).  Returns {client, transport, sse, wire, errors, close()}.
 */
export async function connectSse(server, opts = {}) {
  const wire = opts.wire ?? wireFetch();
  const sse = new SSEClientTransport(new URL("/sse", server.base), { fetch: wire.fetch });
  let inner = sse;
  if (opts.rewriteVersion) {
    inner = {
      start: () => sse.start(),
      close: () => sse.close(),
      send: (m, o) => sse.send(m.method === "initialize" ? { ...m, params: { ...m.params, protocolVersion: opts.rewriteVersion } } : m, o),
      setProtocolVersion: (v) => sse.setProtocolVersion?.(v),
      get sessionId() { return undefined; },
    };
    sse.onmessage = (m, extra) => inner.onmessage?.(m, extra);
    sse.onerror = (e) => inner.onerror?.(e);
    sse.onclose = () => inner.onclose?.();
  }
  const transport = new RecordingTransport(inner);
  const client = new Client({ name: opts.name ?? "wasmcap-e2e-sse", version: "1.0.0" }, { capabilities: opts.capabilities ?? {} });
  const errors = [];
  client.onerror = (e) => errors.push(e);
  opts.setup?.(client);
  await client.connect(transport);
  return { client, transport, sse, wire, errors, close: () => client.close() };
}
