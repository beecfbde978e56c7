// The README's "A small application" runs as examples/login.ts. This drives it in-process and fails when the
// README's code block and the example drift apart.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { app } from "../../examples/login.js";
import { createClient } from "../../src/testing/client.js";

const region = (text: string, start: string, end: string) => {
  const from = text.indexOf(start) + start.length;
  return text.slice(from, text.indexOf(end, from)).trim();
};

describe("README: a small application", () => {
  it("logs in with JSON, greets by name, refuses bad input, logs out", async () => {
    const client = createClient(app, { baseUrl: "http://localhost" });
    expect((await client.get("/")).body).toBe("Hello, stranger");

    const bad = await client.post("/login", { json: { name: "" } });
    expect(bad.status).toBe(400);
    expect((await client.post("/login", { body: "name=ada" })).status).toBe(415);

    const login = await client.post("/login", { json: { name: "ada" } });
    expect(login.status).toBe(303);
    expect((await client.get("/")).body).toBe("Hello, ada");
    const head = await client.request("HEAD", "/");
    expect(head.status).toBe(200);
    expect(head.body).toBe("");

    expect((await client.get("/admin")).status).toBe(403);
    expect((await client.get("/nowhere")).status).toBe(404);

    await client.post("/logout");
    expect((await client.get("/")).body).toBe("Hello, stranger");
  });

  it("shows the code the example runs", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const example = readFileSync(new URL("../../examples/login.ts", import.meta.url), "utf8");
    const block = region(region(readme, "## A small application", "\n## "), "```ts", "```");
    const code = region(example, "// #region readme", "// #endregion readme");
    // The README adds the package imports before, and the serve() call after, the example's region.
    expect(block).toContain(code);
    expect(block).toMatch(/from "ringlet";[\s\S]*from "ringlet\/node";[\s\S]*from "ringlet\/session";/);
  });
});
