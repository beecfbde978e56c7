import { describe, expect, it } from "vitest";
import { appendSetCookie } from "../../src/cookies/set-cookie-header.js";

describe("appendSetCookie", () => {
  it("adds a set-cookie header when there is none", () => {
    expect(appendSetCookie({ a: "1" }, "x=1")).toEqual({ a: "1", "set-cookie": "x=1" });
    expect(appendSetCookie(undefined, ["x=1", "y=2"])).toEqual({ "set-cookie": ["x=1", "y=2"] });
  });

  it("appends to an existing string or array, never replacing", () => {
    expect(appendSetCookie({ "set-cookie": "a=1" }, "b=2")).toEqual({ "set-cookie": ["a=1", "b=2"] });
    expect(appendSetCookie({ "set-cookie": ["a=1"] }, ["b=2", "c=3"])).toEqual({
      "set-cookie": ["a=1", "b=2", "c=3"],
    });
  });

  it("merges a differently cased header into the lower-case one", () => {
    expect(appendSetCookie({ "Set-Cookie": "a=1", other: "o" }, "b=2")).toEqual({
      other: "o",
      "set-cookie": ["a=1", "b=2"],
    });
  });

  it("copies every own header, an own __proto__ key as data, never as the prototype", () => {
    const headers = JSON.parse('{"__proto__":"x","a":"1"}') as Record<string, string>;
    const out = appendSetCookie(headers, "b=2");
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(["__proto__", "a", "set-cookie"]);
    expect(Object.getOwnPropertyDescriptor(out, "__proto__")?.value).toBe("x");
    expect(Object.keys(headers)).toEqual(["__proto__", "a"]);
    const plain = { a: "1" };
    expect(appendSetCookie(plain, "b=2")).not.toBe(plain);
    expect(plain).toEqual({ a: "1" });
  });

  it("does not mutate its input", () => {
    const lines = ["a=1"];
    const headers = Object.freeze({ "set-cookie": Object.freeze(lines) });
    appendSetCookie(headers, "b=2");
    expect(headers["set-cookie"]).toEqual(["a=1"]);
  });
});
