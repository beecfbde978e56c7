import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import { appendSetCookie, setCookie } from "../../src/cookies/set-cookie-header.js";
import { getHeader, response } from "../../src/core/response.js";
import type { Response, ResponseHeaders } from "../../src/core/types.js";

const frozen = (res: Response): Response =>
  Object.freeze({ ...res, headers: Object.freeze({ ...res.headers }) });

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

describe("setCookie", () => {
  it("keeps extra keys of the response and widens the headers' type", () => {
    const res = { status: 200, headers: {}, session: { n: 1 } };
    expectTypeOf(setCookie(res, "a", "1").session).toEqualTypeOf<{ n: number }>();
    expectTypeOf(setCookie(res, "a", "1").headers).toEqualTypeOf<ResponseHeaders>();
  });

  it("adds a set-cookie line built by serializeCookie, as an array", () => {
    const out = setCookie(response("ok"), "theme", "dark", { path: "/", httpOnly: true, sameSite: "lax" });
    expect(out.headers).toEqual({ "set-cookie": ["theme=dark; Path=/; HttpOnly; SameSite=Lax"] });
    expect(out.body).toBe("ok");
  });

  it("appends to existing lines, whatever their spelling or shape, without mutating", () => {
    const res = frozen({ status: 200, headers: { "Set-Cookie": "a=1", "x-other": "y" } });
    const once = setCookie(res, "b", "2");
    expect(once.headers).toEqual({ "x-other": "y", "set-cookie": ["a=1", "b=2"] });
    const twice = setCookie(frozen(once), "c", "3", { maxAge: 0 });
    expect(twice.headers["set-cookie"]).toEqual(["a=1", "b=2", "c=3; Max-Age=0"]);
    expect(once.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(res.headers).toEqual({ "Set-Cookie": "a=1", "x-other": "y" });
  });

  it("merges every spelling of set-cookie into one lower-case array", () => {
    const res = { status: 200, headers: { "Set-Cookie": ["a=1", "b=2"], "set-cookie": "c=3" } };
    const lines = setCookie(res, "d", "4").headers["set-cookie"];
    expect(Object.keys(setCookie(res, "d", "4").headers)).toEqual(["set-cookie"]);
    expect([...(lines as readonly string[])].sort()).toEqual(["a=1", "b=2", "c=3", "d=4"]);
  });

  it("throws the serializer's TypeError for a bad name, value or attribute, and encodes a value with ;", () => {
    expect(() => setCookie(response(), "bad name", "v")).toThrow(TypeError);
    expect(() => setCookie(response(), "a", 1 as never)).toThrow(/Cookie "a": value must be a string/);
    expect(setCookie(response(), "a", "x;y").headers["set-cookie"]).toEqual(["a=x%3By"]);
    expect(() => setCookie(response(), "a", "v", { sameSite: "none" })).toThrow(/secure/);
  });

  it("keeps N cookies as N lines in order (property)", () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,10}$/);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, fc.stringMatching(/^[A-Za-z0-9]{0,10}$/)), { maxLength: 10 }),
        (cookies) => {
          let res: Response = response();
          for (const [n, v] of cookies) res = setCookie(res, n, v);
          const expected = cookies.map(([n, v]) => `${n}=${v}`);
          expect(getHeader(res, "set-cookie") ?? []).toEqual(expected);
        },
      ),
    );
  });
});
