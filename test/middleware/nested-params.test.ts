import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import { compose } from "../../src/core/compose.js";
import { HttpError } from "../../src/core/http-error.js";
import { json } from "../../src/core/response.js";
import type { Request } from "../../src/core/types.js";
import {
  DEFAULT_NESTED_DEPTH,
  type NestedParam,
  type NestedParams,
  nestParams,
  parseNestedKeys,
} from "../../src/middleware/nested-params.js";
import { type Params, paramsRequest, parseUrlEncoded, wrapParams } from "../../src/middleware/params.js";

/** A plain-object copy of a tree, so toEqual compares contents and not prototypes. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object" && value !== null) {
    expect(Object.getPrototypeOf(value)).toBeNull();
    return Object.fromEntries(
      Object.keys(value).map((k) => [k, plain((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
const nest = (text: string, maxDepth?: number) => plain(nestParams(parseUrlEncoded(text), { maxDepth }));

describe("parseNestedKeys", () => {
  it.each<[string, string[]]>([
    ["a", ["a"]],
    ["a[b]", ["a", "b"]],
    ["a[b][c]", ["a", "b", "c"]],
    ["a[]", ["a", ""]],
    ["a[][b]", ["a", "", "b"]],
    ["a[b][]", ["a", "b", ""]],
    ["a[ b ]", ["a", " b "]],
    ["a[__proto__]", ["a", "__proto__"]],
    ["a[b", ["a[b"]],
    ["a]b", ["a]b"]],
    ["a[b]c", ["a[b]c"]],
    ["a[b]]", ["a[b]]"]],
    ["a[b[c]]", ["a[b[c]]"]],
    ["[a]", ["[a]"]],
    ["[]", ["[]"]],
    ["", [""]],
  ])("reads %j as %j", (name, keys) => {
    expect(parseNestedKeys(name)).toEqual(keys);
  });
});

describe("nestParams", () => {
  it.each<[string, unknown]>([
    ["a=1", { a: "1" }],
    ["a=1&a=2", { a: ["1", "2"] }],
    ["a[]=1", { a: ["1"] }],
    ["a[]=1&a[]=2", { a: ["1", "2"] }],
    ["a[b][c]=1", { a: { b: { c: "1" } } }],
    ["a[b]=1&a[c]=2", { a: { b: "1", c: "2" } }],
    [
      "user[name]=Ann&user[roles][]=admin&user[roles][]=dev",
      { user: { name: "Ann", roles: ["admin", "dev"] } },
    ],
    ["a[][b]=1&a[][b]=2", { a: [{ b: "1" }, { b: "2" }] }],
    ["a[][]=1&a[][]=2", { a: [["1"], ["2"]] }],
    ["a[0][b]=1&a[1][b]=2", { a: { "0": { b: "1" }, "1": { b: "2" } } }],
    ["a[b]=1&a[b]=2", { a: { b: ["1", "2"] } }],
    ["a=1&a[]=2", { a: ["1", "2"] }],
    ["a=1&a[b]=2", { a: { b: "2" } }],
    ["a[b]=2&a=1", { a: "1" }],
    ["a[]=1&a[b]=2", { a: { b: "2" } }],
    ["a[b]=2&a[]=1", { a: ["1"] }],
    ["a[b=1&c]d=2", { "a[b": "1", "c]d": "2" }],
  ])("nests %j", (text, expected) => {
    expect(nest(text)).toEqual(expected);
  });

  it("keeps __proto__, constructor and prototype as plain keys at every level", () => {
    const tree = nestParams(
      parseUrlEncoded(
        "__proto__[polluted]=1&constructor[prototype][polluted]=2&a[__proto__][polluted]=3&a[constructor][prototype]=4&b[][__proto__]=5&prototype=6",
      ),
    );
    // Computed keys: a literal `__proto__:` would set the expected object's prototype instead.
    expect(plain(tree)).toEqual({
      ["__proto__"]: { polluted: "1" },
      constructor: { prototype: { polluted: "2" } },
      a: { ["__proto__"]: { polluted: "3" }, constructor: { prototype: "4" } },
      b: [{ ["__proto__"]: "5" }],
      prototype: "6",
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain("polluted");
  });

  it("leaves objects that are values (uploaded files) alone", () => {
    const file = { filename: "a.txt", size: 1 };
    const tree = nestParams<string | typeof file>({
      "doc[file]": file,
      "doc[title]": "A",
      "files[]": [file, file],
    });
    expect(tree.doc).toEqual({ file, title: "A" });
    expect((tree.doc as NestedParams<string | typeof file>).file).toBe(file);
    expect(tree.files).toEqual([file, file]);
  });

  it(`answers more than maxDepth (default ${DEFAULT_NESTED_DEPTH}) bracket groups with 400`, () => {
    const deep = (n: number) => `a${"[x]".repeat(n)}=1`;
    expect(() => nest(deep(DEFAULT_NESTED_DEPTH))).not.toThrow();
    expect(() => nest(deep(DEFAULT_NESTED_DEPTH + 1))).toThrow(HttpError);
    expect(() => nest(deep(DEFAULT_NESTED_DEPTH + 1))).toThrow("Parameter name nested deeper than 10 levels");
    try {
      nest("a[][][]=1", 2);
    } catch (error) {
      expect((error as HttpError).status).toBe(400);
    }
    expect(nest("a[][]=1", 2)).toEqual({ a: [["1"]] });
    // A name that is not nested syntax has no depth, whatever its brackets.
    expect(nest(`${"[".repeat(50)}=1`, 2)).toEqual({ [`${"[".repeat(50)}`]: "1" });
  });

  it("stays linear on a name made of many bracket groups", () => {
    const name = `a${"[]".repeat(100_000)}`;
    const started = performance.now();
    expect(parseNestedKeys(name)).toHaveLength(100_001);
    expect(() => nestParams({ [name]: "1" })).toThrow(HttpError);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  // Names built from the pieces that matter: the dangerous keys, brackets in any arrangement.
  const piece = fc.constantFrom(
    "__proto__",
    "constructor",
    "prototype",
    "toString",
    "valueOf",
    "hasOwnProperty",
    "length",
    "0",
    "a",
    "[",
    "]",
    "[]",
    "[__proto__]",
    "[constructor]",
    "[prototype]",
    "[length]",
    "[0]",
  );
  const name = fc.array(piece, { minLength: 1, maxLength: 8 }).map((ps) => ps.join(""));
  const value = fc.constantFrom("1", "x", "__proto__", "");

  it("never writes to a prototype, whatever the names (property)", () => {
    const snapshot = () =>
      [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((p) =>
        Object.getOwnPropertyNames(p).join(","),
      );
    const before = snapshot();
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 12 }), (pairs) => {
        const text = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
        let tree: NestedParams | undefined;
        try {
          tree = nestParams(parseUrlEncoded(text), { maxDepth: 4 });
        } catch (error) {
          expect(error).toBeInstanceOf(HttpError);
        }
        expect(snapshot()).toEqual(before);
        expect(({} as Record<string, unknown>)[1]).toBeUndefined();
        expect(({} as Record<string, unknown>).x).toBeUndefined();
        if (tree !== undefined) {
          // Every object in the tree has no prototype; every list is a plain array.
          const walk = (node: NestedParam): void => {
            if (typeof node === "string") return;
            if (Array.isArray(node)) {
              expect(Object.getPrototypeOf(node)).toBe(Array.prototype);
              for (const child of node) walk(child);
              return;
            }
            expect(Object.getPrototypeOf(node)).toBeNull();
            for (const k of Object.keys(node)) walk((node as NestedParams)[k]!);
          };
          walk(tree);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("reads back any tree written as nested names (property)", () => {
    const key = fc.oneof(
      fc.constantFrom("__proto__", "constructor", "prototype", "0", "a", "b"),
      fc.string({ minLength: 1, maxLength: 5 }).filter((k) => !/[[\]]/.test(k)),
    );
    const leaf = fc.string({ maxLength: 5 });
    const { tree } = fc.letrec<{ tree: Record<string, unknown>; node: unknown }>((tie) => ({
      tree: fc
        .uniqueArray(fc.tuple(key, tie("node")), { selector: ([k]) => k, minLength: 1, maxLength: 4 })
        .map((entries) => Object.fromEntries(entries)),
      node: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.array(leaf, { minLength: 1, maxLength: 3 }),
        tie("tree"),
      ),
    }));
    /** The names and values a form would send for `tree`. */
    const flatten = (node: unknown, prefix: string, out: [string, string][]): [string, string][] => {
      if (typeof node === "string") out.push([prefix, node]);
      else if (Array.isArray(node)) for (const v of node) out.push([`${prefix}[]`, v]);
      else
        for (const [k, v] of Object.entries(node as object))
          flatten(v, prefix === "" ? k : `${prefix}[${k}]`, out);
      return out;
    };
    fc.assert(
      fc.property(tree, (t) => {
        const search = new URLSearchParams(flatten(t, "", []));
        expect(plain(nestParams(parseUrlEncoded(search.toString()), { maxDepth: 100 }))).toEqual(
          JSON.parse(JSON.stringify(t)),
        );
      }),
      { numRuns: 500 },
    );
  });
});

function request(queryString: string, extra: object = {}): Request {
  return Object.freeze({
    method: "GET",
    uri: "/",
    queryString,
    scheme: "http",
    protocol: "HTTP/1.1",
    headers: Object.freeze({}),
    serverName: "localhost",
    serverPort: 80,
    remoteAddr: "127.0.0.1",
    body: undefined,
    ...extra,
  });
}

describe("wrapParams({ nested })", () => {
  it("nests params from a router, the query and the form, and leaves queryParams and formParams flat", () => {
    const req = paramsRequest(request("user[name]=Ann&tags[]=a", { params: { "user[id]": "7" } }), {
      nested: true,
    });
    if (req instanceof Promise) throw new Error("expected a synchronous result");
    expect(plain(req.params)).toEqual({ user: { id: "7", name: "Ann" }, tags: ["a"] });
    expect({ ...req.queryParams }).toEqual({ "user[name]": "Ann", "tags[]": "a" });
  });

  it("is off by default", () => {
    const req = paramsRequest(request("user[name]=Ann")) as { params: Params };
    expect({ ...req.params }).toEqual({ "user[name]": "Ann" });
  });

  it("throws a 400 for a name deeper than maxDepth", () => {
    expect(() => paramsRequest(request("a[b][c]=1"), { nested: { maxDepth: 1 } })).toThrow(
      "Parameter name nested deeper than 1 levels",
    );
  });

  it("types params as a tree, in compose too", () => {
    const app = compose(wrapParams({ nested: true }))((req) => {
      expectTypeOf(req.params).toEqualTypeOf<NestedParams>();
      expectTypeOf(req.queryParams).toEqualTypeOf<Params>();
      return json(req.params);
    });
    expect(app).toBeTypeOf("function");
    wrapParams(
      (req) => {
        expectTypeOf(req.params).toEqualTypeOf<NestedParams>();
        return json(req.params);
      },
      { nested: { maxDepth: 3 } },
    );
    wrapParams((req) => {
      expectTypeOf(req.params).toEqualTypeOf<Params>();
      return json(req.params);
    });
  });

  it("rejects bad nested options at construction, naming them", () => {
    expect(() => wrapParams({ nested: "yes" } as never)).toThrow(
      'wrapParams: option "nested": must be a boolean or { maxDepth } (got a string)',
    );
    expect(() => wrapParams({ nested: { maxDepth: 0 } })).toThrow(
      'wrapParams: option "nested.maxDepth": must be a positive integer (got 0)',
    );
    expect(() => wrapParams({ nested: { depth: 3 } } as never)).toThrow(
      /wrapParams: (unknown option "nested.depth"|option "nested")/,
    );
  });
});

describe("wrapParams({ nested: true }) over HTTP through serve()", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve(
      wrapParams((req) => json(req.params), { nested: true }),
      { port: 0, hostname: "127.0.0.1" },
    );
  });
  afterAll(() => server.close());

  it("nests a form body merged over the query string", async () => {
    const res = await fetch(`${server.url}/?user[id]=7&page=2`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "user[name]=Ann&user[roles][]=admin&user[roles][]=dev&__proto__[polluted]=1",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      user: { id: "7", name: "Ann", roles: ["admin", "dev"] },
      page: "2",
      ["__proto__"]: { polluted: "1" },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("answers a name nested too deep with 400", async () => {
    const res = await fetch(`${server.url}/?a${"[b]".repeat(11)}=1`);
    expect(res.status).toBe(400);
  });
});
