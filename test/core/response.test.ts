import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  contentType,
  created,
  getHeader,
  header,
  notFound,
  redirect,
  response,
  setCookie,
  status,
} from "../../src/core/response.js";
import type { Response, ResponseHeaders } from "../../src/core/types.js";

const frozen = (res: Response): Response =>
  Object.freeze({ ...res, headers: Object.freeze({ ...res.headers }) });

describe("response", () => {
  it("is a 200 with no headers (no guessed content-type) and the body", () => {
    expect(response("hi")).toEqual({ status: 200, headers: {}, body: "hi" });
    expect(response()).toEqual({ status: 200, headers: {}, body: undefined });
  });

  it("returns a fresh headers object each time", () => {
    expect(response("a").headers).not.toBe(response("a").headers);
  });
});

describe("status", () => {
  it("returns a copy with the new status and leaves the input alone", () => {
    const res = frozen({ status: 200, headers: { "x-a": "1" }, body: "b" });
    const out = status(res, 410);
    expect(out).toEqual({ status: 410, headers: { "x-a": "1" }, body: "b" });
    expect(res.status).toBe(200);
  });

  it("keeps extra keys of the response, and their types", () => {
    const res = { status: 200, headers: {}, session: { n: 1 } };
    expect(status(res, 201).session).toEqual({ n: 1 });
    expectTypeOf(header(res, "x-a", "1").session).toEqualTypeOf<{ n: number }>();
    expectTypeOf(setCookie(res, "a", "1").headers).toEqualTypeOf<ResponseHeaders>();
  });

  it.each([99, 600, 200.5, Number.NaN, "200" as unknown as number])("rejects %s", (code) => {
    expect(() => status(response(), code)).toThrow(/status: code must be an integer from 100 to 599/);
  });
});

describe("header", () => {
  it("sets a header under its lower-case name", () => {
    expect(header(response(), "X-Request-Id", "abc").headers).toEqual({ "x-request-id": "abc" });
  });

  it("replaces an existing header that differs only in case, keeping the other headers", () => {
    const res = frozen({ status: 200, headers: { "Content-Type": "text/html", "X-Other": "1" } });
    const out = header(res, "content-type", "text/plain");
    expect(out.headers).toEqual({ "content-type": "text/plain", "X-Other": "1" });
    expect(res.headers).toEqual({ "Content-Type": "text/html", "X-Other": "1" });
  });

  it("drops every case variant, not only the first", () => {
    const res = { status: 200, headers: { "X-A": "1", "x-a": "2", "X-a": "3" } };
    expect(header(res, "x-A", "4").headers).toEqual({ "x-a": "4" });
  });

  it("accepts an array value (one line per element)", () => {
    expect(header(response(), "vary", ["accept", "origin"]).headers).toEqual({ vary: ["accept", "origin"] });
  });

  it.each(["", "x y", "x:y", "é", "a\n"])("rejects the header name %j", (name) => {
    expect(() => header(response(), name, "v")).toThrow(/header: header name must be an RFC 9110 token/);
  });

  it.each(["a\r\nset-cookie: x=1", "a\n", "a\0", "☃"])(
    "rejects the value %j (response splitting)",
    (value) => {
      expect(() => header(response(), "x-a", value)).toThrow(/header: value of "x-a" must be a string/);
      expect(() => header(response(), "x-a", ["ok", value])).toThrow(/header: value of "x-a"/);
    },
  );

  it("never mutates and always lands on one lower-case key (property)", () => {
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,8}$/);
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.string({ unit: "grapheme-ascii" })),
        name,
        fc.string(),
        (h, n, v) => {
          const clean = v.replace(/[^\t\x20-\x7e]/g, "");
          const res = frozen({ status: 200, headers: h });
          const out = header(res, n, clean);
          const keys = Object.keys(out.headers).filter((k) => k.toLowerCase() === n.toLowerCase());
          expect(keys).toEqual([n.toLowerCase()]);
          expect(getHeader(out, n)).toBe(clean);
          expect(res.headers).toEqual(h);
          for (const [k, val] of Object.entries(h)) {
            if (k.toLowerCase() !== n.toLowerCase()) expect(out.headers[k]).toBe(val);
          }
        },
      ),
    );
  });
});

describe("getHeader", () => {
  const res: Response = {
    status: 200,
    headers: { "Content-Type": "text/html", "set-cookie": ["a=1", "b=2"] },
  };

  it("finds a header whatever the case of either name", () => {
    expect(getHeader(res, "content-type")).toBe("text/html");
    expect(getHeader(res, "CONTENT-TYPE")).toBe("text/html");
    expect(getHeader(res, "Set-Cookie")).toEqual(["a=1", "b=2"]);
  });

  it("is undefined for a missing header, including Object.prototype names", () => {
    expect(getHeader(res, "x-missing")).toBeUndefined();
    expect(getHeader(res, "constructor")).toBeUndefined();
    expect(getHeader(res, "__proto__")).toBeUndefined();
  });

  it("prefers the lower-case spelling when several are present", () => {
    expect(getHeader({ status: 200, headers: { "X-A": "upper", "x-a": "lower" } }, "X-A")).toBe("lower");
  });
});

describe("contentType", () => {
  it("sets content-type, replacing any spelling of it", () => {
    const res = { status: 200, headers: { "Content-Type": "text/html" }, body: "{}" };
    expect(contentType(res, "application/json")).toEqual({
      status: 200,
      headers: { "content-type": "application/json" },
      body: "{}",
    });
  });
});

describe("redirect", () => {
  it("is a 302 with location and an empty body by default", () => {
    expect(redirect("/login")).toEqual({ status: 302, headers: { location: "/login" }, body: "" });
  });

  it.each([300, 301, 303, 307, 308])("accepts status %i", (code) => {
    expect(redirect("https://example.com/", code).status).toBe(code);
  });

  it.each([200, 304, 305, 306, 309, 404])("rejects status %i", (code) => {
    expect(() => redirect("/", code)).toThrow(/redirect: status must be one of/);
  });

  it.each(["", "/a\r\nset-cookie: x=1", "/☃"])("rejects the url %j", (url) => {
    expect(() => redirect(url)).toThrow(/redirect: url must be a non-empty string/);
  });
});

describe("notFound and created", () => {
  it("notFound is a 404 with the body", () => {
    expect(notFound("nope")).toEqual({ status: 404, headers: {}, body: "nope" });
    expect(notFound()).toEqual({ status: 404, headers: {}, body: undefined });
  });

  it("created is a 201 with location and an optional body", () => {
    expect(created("/users/42")).toEqual({
      status: 201,
      headers: { location: "/users/42" },
      body: undefined,
    });
    expect(created("/users/42", '{"id":42}').body).toBe('{"id":42}');
    expect(() => created("/x\ny")).toThrow(/created: url must be/);
  });
});

describe("setCookie", () => {
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

  it("throws the serializer's TypeError for a bad name, value or attribute", () => {
    expect(() => setCookie(response(), "bad name", "v")).toThrow(TypeError);
    expect(() => setCookie(response(), "a", "x;y")).toThrow(/Cookie "a": value/);
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
