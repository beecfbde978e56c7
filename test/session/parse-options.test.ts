import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseOptions } from "../../src/session/parse-options.js";

const schema = z.strictObject({
  name: z.string().optional(),
  nested: z.strictObject({ n: z.number().int() }).optional(),
});

describe("parseOptions", () => {
  it("returns the parsed options", () => {
    expect(parseOptions("thing", schema, { name: "a" })).toEqual({ name: "a" });
  });

  it("names the option, the problem and the value", () => {
    expect(() => parseOptions("thing", schema, { name: 5 })).toThrow(
      'thing: option "name": Invalid input: expected string, received number (got 5)',
    );
    expect(() => parseOptions("thing", schema, { nested: { n: 1.5 } })).toThrow(
      /option "nested\.n".*got 1\.5/,
    );
  });

  it("names unknown options, also nested ones", () => {
    expect(() => parseOptions("thing", schema, { nmae: "a" })).toThrow('thing: unknown option "nmae"');
    expect(() => parseOptions("thing", schema, { nested: { n: 1, m: 2 } })).toThrow(
      'unknown option "nested.m"',
    );
  });

  it("rejects options that are not an object", () => {
    expect(() => parseOptions("thing", schema, "x")).toThrow('thing: options must be an object, got "x"');
  });
});
