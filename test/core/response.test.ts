import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import { errorResponse } from "../../src/adapters/error-response.js";
import { HttpError } from "../../src/core/http-error.js";
import {
  contentType,
  created,
  getHeader,
  header,
  html,
  json,
  notFound,
  redirect,
  response,
  status,
  text,
} from "../../src/core/response.js";
import type { Response, ResponseHeaders } from "../../src/core/types.js";

const TEXT = { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" };

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
    expectTypeOf(contentType(res, "text/plain").headers).toEqualTypeOf<ResponseHeaders>();
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
  it("notFound is a 404 with the body, a string body labelled as text like ringlet's error replies", () => {
    expect(notFound("nope")).toEqual({ status: 404, headers: TEXT, body: "nope" });
    expect(notFound()).toEqual({ status: 404, headers: {}, body: undefined });
    const bytes = new Uint8Array([1]);
    expect(notFound(bytes)).toEqual({ status: 404, headers: {}, body: bytes });
    // The same headers as the reply the adapters make for an HttpError.
    const reply = errorResponse(new HttpError(404, "nope"));
    expect(notFound("nope").headers).toEqual(reply.headers);
  });

  it("text, html and json state their type and charset, with nosniff", () => {
    expect(text("hi")).toEqual({ status: 200, headers: TEXT, body: "hi" });
    expect(text("made", 201).status).toBe(201);
    expect(html("<p>hi</p>")).toEqual({
      status: 200,
      headers: { "content-type": "text/html; charset=utf-8", "x-content-type-options": "nosniff" },
      body: "<p>hi</p>",
    });
    expect(json({ id: 7, tags: ["a"] }, 201)).toEqual({
      status: 201,
      headers: { "content-type": "application/json", "x-content-type-options": "nosniff" },
      body: '{"id":7,"tags":["a"]}',
    });
    expect(json(null).body).toBe("null");
    expect(json("é").body).toBe('"é"');
  });

  it("text, html and json refuse what they cannot send, naming themselves", () => {
    expect(() => json(undefined)).toThrow(/json: undefined has no JSON text/);
    expect(() => json(() => 1)).toThrow(/json: .* has no JSON text/);
    expect(() => json(10n)).toThrow(/json: the value cannot be written as JSON/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => json(cycle)).toThrow(/json: the value cannot be written as JSON/);
    expect(() => text(42 as never)).toThrow("text: body must be a string, got 42");
    expect(() => html("x", 99)).toThrow(/html: status must be an integer from 100 to 599, got 99/);
    expect(() => json({}, 200.5)).toThrow(RangeError);
  });

  it("gives each response its own headers object where it can be changed", () => {
    // The frozen shared headers are safe: every helper that changes headers copies them.
    const a = text("a");
    expect(Object.isFrozen(a.headers)).toBe(true);
    expect(header(a, "x-a", "1").headers).toMatchObject({
      "x-a": "1",
      "content-type": "text/plain; charset=utf-8",
    });
    expect(text("b").headers).not.toHaveProperty("x-a");
  });

  it("created labels a string body as text, like notFound", () => {
    expect(created("/users/42", "made")).toEqual({
      status: 201,
      headers: { ...TEXT, location: "/users/42" },
      body: "made",
    });
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
