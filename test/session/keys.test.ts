import { describe, expect, it } from "vitest";
import { isSessionKeyShape, newSessionKey } from "../../src/session/keys.js";

describe("newSessionKey", () => {
  it("is 43 base64url characters (256 bits) and distinct across many calls", () => {
    const keys = Array.from({ length: 5000 }, () => newSessionKey());
    // One assertion over all of them: an expect() per key would cost more than the keys.
    expect(keys.filter((key) => !/^[A-Za-z0-9_-]{43}$/.test(key))).toEqual([]);
    expect(keys.filter((key) => Buffer.from(key, "base64url").length !== 32)).toEqual([]);
    expect(new Set(keys).size).toBe(5000);
  });

  it("isSessionKeyShape accepts only that shape", () => {
    expect(isSessionKeyShape(newSessionKey())).toBe(true);
    expect(isSessionKeyShape("")).toBe(false);
    expect(isSessionKeyShape("a".repeat(42))).toBe(false);
    expect(isSessionKeyShape(`${"a".repeat(42)}=`)).toBe(false);
    expect(isSessionKeyShape(`${"a".repeat(42)};`)).toBe(false);
  });
});
