// examples.mjs -- what the example plugins must answer, whatever the transport:
// the stdio suite (sdk.test.mjs) and the HTTP one (http.test.mjs) run these
// same checks through their own clients.

import assert from "node:assert/strict";

import { listAll, textOf } from "./lib.mjs";

export const EXAMPLE_TOOLS = [
  "calculator-calculate", "calculator-evaluate",
  "notes-add", "notes-get", "notes-list", "notes-delete",
  "supply-risk-assess", "supply-risk-set_stock",
  "hello-greet",
];
export const FAULT_TOOLS = ["echo", "trap", "loop", "hog", "big", "slow", "sample", "ask", "bad_output", "poll"].map((t) => `faults-${t}`);

// tools/list of tests/e2e/wasmcap.json in pages of 2: every tool once, with schemas.
export async function checkToolPages(client) {
  const { items, pages } = await listAll((p) => client.listTools(p), "tools");
  const names = items.map((t) => t.name);
  for (const name of [...EXAMPLE_TOOLS, ...FAULT_TOOLS])
    assert.ok(names.includes(name), `${name} listed in ${names.join(", ")}`);
  assert.equal(new Set(names).size, names.length, "no tool listed twice");
  assert.ok(pages.length >= Math.ceil(items.length / 2), `pages ${pages}`);
  for (const n of pages.slice(0, -1)) assert.equal(n, 2, `pages ${pages}`);
  assert.ok(pages.at(-1) >= 1 && pages.at(-1) <= 2, `pages ${pages}`);
  for (const t of items) {
    assert.equal(t.inputSchema?.type, "object", `${t.name} inputSchema`);
    assert.equal(typeof t.description, "string", `${t.name} description`);
  }
  const calc = items.find((t) => t.name === "calculator-calculate");
  assert.deepEqual(calc.inputSchema.required, ["a", "b", "op"]);
  assert.equal(calc.outputSchema?.type, "object");
  assert.equal(calc.annotations?.readOnlyHint, true);
  assert.ok(items.find((t) => t.name === "supply-risk-assess").outputSchema, "supply-risk-assess outputSchema");
  assert.ok(items.find((t) => t.name === "faults-bad_output").outputSchema, "faults-bad_output outputSchema");
}

export async function checkCalculator(client) {
  const cases = [[6, 7, "*", 42], [1.5, 2.25, "+", 3.75], [10, 4, "-", 6], [7, 2, "/", 3.5], [-3, 0.5, "*", -1.5]];
  for (const [a, b, op, want] of cases) {
    const r = await client.callTool({ name: "calculator-calculate", arguments: { a, b, op } });
    assert.equal(r.isError ?? false, false, textOf(r));
    assert.deepEqual(r.structuredContent, { result: want });
    assert.equal(textOf(r), String(want));
  }
  const e = await client.callTool({ name: "calculator-evaluate", arguments: { expression: "(2 + 3) * 4 ^ 2" } });
  assert.deepEqual(e.structuredContent, { result: 80 });
  const z = await client.callTool({ name: "calculator-calculate", arguments: { a: 1, b: 0, op: "/" } });
  assert.equal(z.isError, true);
  assert.match(textOf(z), /division by zero/);
}

export async function checkSupplyRisk(client) {
  const call = (name, args) => client.callTool({ name: `supply-risk-${name}`, arguments: args });
  let r = await call("set_stock", { sku: "WIDGET-1", quantity: 100, daily_demand: 10 });
  assert.equal(r.isError ?? false, false, textOf(r));
  assert.deepEqual(r.structuredContent, { sku: "WIDGET-1", quantity: 100, daily_demand: 10 });
  // the model (plugins/supply-risk/model/fit.h) was fitted to this rule; its
  // int8 output stays within a few 1/256 steps of it
  const expect = (cover, buffer) => 1 / (1 + Math.exp(0.5 * (cover - buffer)));
  for (const [buffer, action] of [[0, "Hold"], [7, "Hold"], [10, "RouteSecondary"], [20, "Expedite"]]) {
    r = await call("assess", { sku: "WIDGET-1", buffer_days: buffer });
    assert.equal(r.isError ?? false, false, textOf(r));
    assert.equal(r.structuredContent.sku, "WIDGET-1");
    assert.equal(r.structuredContent.current_stock, 100);
    assert.equal(r.structuredContent.recommended_action, action, `buffer ${buffer}: ${textOf(r)}`);
    assert.ok(Math.abs(r.structuredContent.stockout_probability - expect(10, buffer)) < 0.03,
      `buffer ${buffer}: ${r.structuredContent.stockout_probability} vs ${expect(10, buffer)}`);
    assert.match(textOf(r), /WIDGET-1/);
  }
  // demand given in the call overrides the stored one: 100 / 50 = 2 days of cover
  r = await call("assess", { sku: "WIDGET-1", buffer_days: 2, daily_demand: 50 });
  assert.ok(Math.abs(r.structuredContent.stockout_probability - 0.5) < 0.03, textOf(r));
  r = await call("assess", { sku: "UNKNOWN-9", buffer_days: 3 });
  assert.equal(r.isError, true);
  assert.match(textOf(r), /set_stock/);
  r = await call("assess", { sku: "WIDGET-1", buffer_days: -1 });
  assert.equal(r.isError, true);
  assert.match(textOf(r), /buffer_days/);
}

export async function checkHello(client) {
  const r = await client.callTool({ name: "hello-greet", arguments: { name: "world" } });
  assert.equal(r.isError ?? false, false, textOf(r));
  assert.deepEqual(r.content, [{ type: "text", text: "Hello, world!" }]);
  const u = await client.callTool({ name: "hello-greet", arguments: { name: "Zoë \"Z\"" } });
  assert.equal(textOf(u), "Hello, Zoë \"Z\"!");
  const e = await client.callTool({ name: "hello-greet", arguments: { name: "" } });
  assert.equal(e.isError, true);
  assert.match(textOf(e), /name/);
}

export async function checkNotes(client) {
  const call = (name, args) => client.callTool({ name: `notes-${name}`, arguments: args });
  let r = await call("add", { id: "shopping", text: "milk, eggs" });
  assert.deepEqual(r.structuredContent, { id: "shopping", bytes: 10, replaced: false }, textOf(r));
  r = await call("add", { id: "shopping", text: "milk, eggs, bread" });
  assert.deepEqual(r.structuredContent, { id: "shopping", bytes: 17, replaced: true });
  r = await call("add", { id: "ideas", text: "Ünïcode ✓ and \"quotes\"\nsecond line" });
  assert.equal(r.structuredContent.replaced, false);
  r = await call("get", { id: "ideas" });
  assert.deepEqual(r.structuredContent, { id: "ideas", text: "Ünïcode ✓ and \"quotes\"\nsecond line" });
  r = await call("list", {});
  assert.deepEqual(r.structuredContent, { ids: ["ideas", "shopping"] });
  r = await call("get", { id: "nothing-here" });
  assert.equal(r.isError, true);
  assert.match(textOf(r), /no note 'nothing-here'/);
  r = await call("add", { id: "Bad Id", text: "x" });
  assert.equal(r.isError, true);
  assert.match(textOf(r), /\bid\b/, textOf(r));
  await call("add", { id: "scratch", text: "to be deleted" });
  r = await call("delete", { id: "scratch" });
  assert.deepEqual(r.structuredContent, { id: "scratch", deleted: true });
  r = await call("delete", { id: "scratch" });
  assert.deepEqual(r.structuredContent, { id: "scratch", deleted: false });
}
