// hyper.test.mjs -- hyper-mcp's world through the official SDK client: a
// hyper-mcp config file (JSON and YAML) served by `wasmcap serve --config`
// over stdio and over Streamable HTTP, with plugins of both hyper-mcp
// interfaces built by the tests (tests/guests/extism_v1.c: describe/call;
// extism_v2.c: list_tools/call_tool; extism_fs.c reads files through WASI),
// and each runtime_config grant honoured: allowed_hosts (a local web server
// reachable, another host name refused), allowed_paths (a host folder seen
// at the guest path, nothing beside it), env_vars (what config_get reads),
// skip_tools (hidden from the list and not callable).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

import { WASMCAP, startClient, startHttpServer, textOf } from "./lib.mjs";

const GUESTS = path.join(path.dirname(WASMCAP), "guests");
let dir, web, webPort;

// A hyper-mcp config with the three plugins; JSON or YAML text.
function hyperConfig(format) {
  const v1 = path.join(GUESTS, "extism_v1.wasm");
  const v2 = path.join(GUESTS, "extism_v2.wasm");
  const fs = path.join(GUESTS, "extism_fs.wasm");
  const data = path.join(dir, "granted");
  if (format === "json") {
    return JSON.stringify({
      plugins: {
        v1: {
          url: `file://${v1}`,
          description: "hyper-mcp interface v1",
          runtime_config: {
            allowed_hosts: ["127.0.0.1"],
            env_vars: { greeting: "hello from hyper-mcp.json" },
            skip_tools: ["count", "f.*", "missing_u[0-9]+"],
            memory_limit: "64Mi",
          },
        },
        v2: { url: v2, runtime_config: { skip_tools: ["sample", "elicit"] } },
        files: { url: fs, runtime_config: { allowed_paths: [`${data}:/plugin/data`] } },
      },
    });
  }
  return [
    "# hyper-mcp's config, as hyper-mcp users write it",
    "plugins:",
    "  v1:",
    `    url: file://${v1}`,
    "    description: hyper-mcp interface v1",
    "    runtime_config:",
    "      allowed_hosts:",
    "        - 127.0.0.1",
    "      env_vars:",
    "        greeting: hello from hyper-mcp.yaml",
    "      skip_tools: [count, \"f.*\", \"missing_u[0-9]+\"]",
    "      memory_limit: 64Mi",
    "  v2:",
    `    url: ${v2}`,
    "    runtime_config:",
    "      skip_tools: [sample, elicit]",
    "  files:",
    `    url: ${fs}`,
    "    runtime_config:",
    "      allowed_paths:",
    `        - "${data}:/plugin/data"`,
    "",
  ].join("\n");
}

function writeConfig(format) {
  const file = path.join(dir, `hyper-mcp.${format}`);
  writeFileSync(file, hyperConfig(format));
  return file;
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "wasmcap-hyper-"));
  mkdirSync(path.join(dir, "granted"));
  writeFileSync(path.join(dir, "granted", "note.txt"), "a granted note");
  writeFileSync(path.join(dir, "secret.txt"), "NOT GRANTED");
  web = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => { body += d; });
    req.on("end", () => {
      res.writeHead(201, { "x-reply": "yes" });
      res.end(`${req.method} ${body}`);
    });
  });
  await new Promise((resolve) => web.listen(0, "127.0.0.1", resolve));
  webPort = web.address().port;
});

after(async () => {
  await new Promise((resolve) => web.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

// A call that must fail: the SDK throws for a protocol error, or the
// result is isError; returns the text either way.
async function failure(client, name, args) {
  try {
    const r = await client.callTool({ name, arguments: args });
    assert.equal(r.isError, true, `${name} did not fail: ${JSON.stringify(r)}`);
    return textOf(r);
  } catch (e) {
    return e.message;
  }
}

async function exercise(client, format) {
  const names = (await client.listTools()).tools.map((t) => t.name);
  // both interfaces listed, hyper-mcp's <plugin>-<tool> names
  for (const n of ["v1-echo", "v1-config", "v1-http", "v1-nonzero", "v2-greet", "v2-notify", "files-read_file"])
    assert.ok(names.includes(n), `${n} missing from ${names}`);
  // skip_tools: anchored regexes hide exactly what they match
  for (const n of ["v1-count", "v1-forget", "v1-fail", "v1-free_twice", "v1-missing_u8", "v1-missing_u64", "v2-sample", "v2-elicit"])
    assert.ok(!names.includes(n), `${n} should be hidden`);
  assert.ok(/unknown tool|not found|skip/i.test(await failure(client, "v1-count", {})), "a skipped tool is not callable");

  // v1 and v2 called
  const greet = await client.callTool({ name: "v2-greet", arguments: { who: format } });
  assert.equal(textOf(greet), `hello, ${format}`);
  const echo = await client.callTool({ name: "v1-echo", arguments: { a: 1 } });
  assert.ok(textOf(echo).includes("\"name\":\"echo\""), textOf(echo));

  // env_vars: the plugin's config_get
  const cfg = await client.callTool({ name: "v1-config", arguments: { key: "greeting" } });
  assert.equal(textOf(cfg), `hello from hyper-mcp.${format}`);

  // allowed_hosts: 127.0.0.1 reachable, localhost (the same server) not granted
  const ok = await client.callTool({ name: "v1-http", arguments: { url: `http://127.0.0.1:${webPort}/post` } });
  assert.ok(!ok.isError && textOf(ok).startsWith("201 POST ping"), textOf(ok));
  const denied = await failure(client, "v1-http", { url: `http://localhost:${webPort}/post` });
  assert.ok(denied.includes("allowed_hosts"), denied);

  // allowed_paths: the host folder at the guest path, and nothing beside it
  const note = await client.callTool({ name: "files-read_file", arguments: { path: "/plugin/data/note.txt" } });
  assert.equal(textOf(note), "a granted note");
  for (const p of ["/plugin/data/../secret.txt", path.join(dir, "secret.txt")]) {
    const out = await client.callTool({ name: "files-read_file", arguments: { path: p } });
    assert.equal(out.isError, true, `${p}: ${textOf(out)}`);
    assert.ok(!textOf(out).includes("NOT GRANTED") && textOf(out).startsWith("errno="), textOf(out));
  }
}

for (const format of ["json", "yaml"]) {
  test(`hyper-mcp.${format} over stdio`, async () => {
    const s = await startClient({ config: writeConfig(format) });
    try {
      await exercise(s.client, format);
    } catch (e) {
      e.message += `\nstderr:\n${s.stderr().slice(-3000)}`;
      throw e;
    } finally {
      await s.close();
    }
  });

  test(`hyper-mcp.${format} over Streamable HTTP`, async () => {
    const server = await startHttpServer({ config: writeConfig(format) });
    const client = new Client({ name: "wasmcap-hyper-e2e", version: "1.0.0" });
    try {
      await client.connect(new StreamableHTTPClientTransport(server.url));
      await exercise(client, format);
    } catch (e) {
      e.message += `\nstderr:\n${server.stderr().slice(-3000)}`;
      throw e;
    } finally {
      await client.close();
      await server.stop();
    }
  });
}
