// wasmcap_stdio.mjs -- `wasmcap serve` over stdio for the Extism tests:
// JSON-RPC lines, requests matched to answers by id, the server's own
// requests (sampling, roots) answered by handlers, notifications kept.
import { spawn } from "node:child_process";

/** handlers: {method: (params) => result} for requests from the server. */
export function startWasmcap(bin, configPath, handlers = {}) {
  const proc = spawn(bin, ["serve", "--config", configPath], { stdio: ["pipe", "pipe", "pipe"] });
  let buf = "", stderr = "";
  const waiting = new Map(), notifications = [];
  const send = (m) => proc.stdin.write(JSON.stringify({ jsonrpc: "2.0", ...m }) + "\n");
  proc.stdout.on("data", (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      const msg = JSON.parse(line);
      if (msg.method && msg.id !== undefined) {
        const h = handlers[msg.method];
        send(h ? { id: msg.id, result: h(msg.params) } : { id: msg.id, error: { code: -32601, message: "no handler" } });
      } else if (msg.method) {
        notifications.push(msg);
      } else if (waiting.has(msg.id)) {
        waiting.get(msg.id)(msg);
        waiting.delete(msg.id);
      }
    }
  });
  proc.stderr.on("data", (d) => { stderr += d; });
  let next = 1;
  const request = (method, params) => new Promise((resolve, reject) => {
    const id = next++;
    const timer = setTimeout(() => reject(new Error(`${method}: no answer in 20 s; stderr:\n${stderr}`)), 20000);
    waiting.set(id, (m) => { clearTimeout(timer); resolve(m); });
    send({ id, method, params });
  });
  const notify = (method, params) => send({ method, params });
  const close = () => new Promise((resolve) => { proc.on("exit", resolve); proc.stdin.end(); });
  return { proc, request, notify, notifications, close, stderr: () => stderr };
}
