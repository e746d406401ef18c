// lib.mjs -- what the e2e tests share: where wasmcap and its config are, a
// temporary data directory per server, an SDK client over stdio that keeps
// a log of every message in both directions, and a raw line-level peer for
// what the SDK cannot send.
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
  get sessionId() { return undefined; }
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
  const proc = spawn(WASMCAP, ["serve", "--config", opts.config ?? CONFIG], {
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
