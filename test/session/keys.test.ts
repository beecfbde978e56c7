import { describe, expect, it } from "vitest";
import { isSessionKeyShape, newSessionKey } from "../../src/session/keys.js";

describe("newSessionKey", () => {
  it("is 43 base64url characters (256 bits) and distinct across many calls", () => {
    const keys = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const key = newSessionKey();
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(key, "base64url")).toHaveLength(32);
      keys.add(key);
    }
    expect(keys.size).toBe(5000);
  });

  it("isSessionKeyShape accepts only that shape", () => {
    expect(isSessionKeyShape(newSessionKey())).toBe(true);
    expect(isSessionKeyShape("")).toBe(false);
    expect(isSessionKeyShape("a".repeat(42))).toBe(false);
    expect(isSessionKeyShape(`${"a".repeat(42)}=`)).toBe(false);
    expect(isSessionKeyShape(`${"a".repeat(42)};`)).toBe(false);
  });
});
