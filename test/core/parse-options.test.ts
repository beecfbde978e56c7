import { describe, expect, it } from "vitest";
import { z } from "zod";
import * as zm from "zod/mini";
import { parseOptions } from "../../src/core/parse-options.js";

const schema = z.strictObject({
  name: z.string().optional(),
  nested: z.strictObject({ n: z.number().int() }).optional(),
});

describe("parseOptions", () => {
  it("returns the parsed options", () => {
    expect(parseOptions("thing", schema, { name: "a" })).toEqual({ name: "a" });
  });

  it("names the option, the problem and the value when it is a number, boolean, null or undefined", () => {
    expect(() => parseOptions("thing", schema, { name: 5 })).toThrow(
      'thing: option "name": must be a string (got 5)',
    );
    expect(() => parseOptions("thing", schema, { nested: { n: 1.5 } })).toThrow(
      /option "nested\.n".*\(got 1\.5\)$/,
    );
    expect(() => parseOptions("thing", schema, { name: false })).toThrow(/\(got false\)$/);
    expect(() => parseOptions("thing", schema, { name: null })).toThrow(/\(got null\)$/);
  });

  it("never prints a string's or an object's contents: option values may be secrets", () => {
    const numeric = z.strictObject({ url: z.number().optional(), list: z.number().optional() });
    const secret = "redis://:hunter2@db.internal:6379";
    const cases: [unknown, string][] = [
      [{ url: secret }, "a string"],
      [{ url: "" }, "an empty string"],
      [{ url: [secret] }, "an array"],
      [{ url: { password: secret } }, "an object"],
      [{ url: new TextEncoder().encode(secret) }, `${secret.length} bytes`],
      [{ url: () => secret }, "a function"],
      [{ url: 1n }, "a bigint"],
    ];
    for (const [options, got] of cases) {
      let message = "";
      try {
        parseOptions("thing", numeric, options);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(new RegExp(`^thing: option "url": .* \\(got ${got}\\)$`));
      expect(message).not.toContain("hunter2");
    }
    expect(() => parseOptions("thing", numeric, secret)).toThrow(
      /^thing: options must be an object, got a string$/,
    );
  });

  it("lets a custom issue say what it got", () => {
    const custom = z.strictObject({
      key: z.string().superRefine((_value, ctx) => {
        ctx.addIssue({ code: "custom", message: "must be long", params: { got: "3 bytes" } });
      }),
    });
    expect(() => parseOptions("thing", custom, { key: "abc" })).toThrow(
      'thing: option "key": must be long (got 3 bytes)',
    );
  });

  it("names unknown options, also nested ones", () => {
    expect(() => parseOptions("thing", schema, { nmae: "a" })).toThrow('thing: unknown option "nmae"');
    expect(() => parseOptions("thing", schema, { nested: { n: 1, m: 2 } })).toThrow(
      'unknown option "nested.m"',
    );
  });

  it("rejects options that are not an object", () => {
    expect(() => parseOptions("thing", schema, "x")).toThrow(
      "thing: options must be an object, got a string",
    );
  });
});

describe("parseOptions with zod/mini, which carries no messages of its own", () => {
  it("says which type was expected where a check has no message", () => {
    const schema = zm.strictObject({ attrs: zm.optional(zm.strictObject({ n: zm.optional(zm.number()) })) });
    expect(() => parseOptions("thing", schema, { attrs: 5 })).toThrow(
      'thing: option "attrs": must be an object (got 5)',
    );
    expect(() => parseOptions("thing", schema, { attrs: { n: "x" } })).toThrow(
      'thing: option "attrs.n": must be a number (got a string)',
    );
  });
});
