import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Response } from "../../src/core/types.js";
import { FileBody } from "../../src/files/file-body.js";
import { parseRange, rangeResponse } from "../../src/files/range.js";
import { mockRequest } from "../../src/testing/mock-request.js";

describe("parseRange", () => {
  it.each([
    ["bytes=0-99", 1000, { kind: "part", start: 0, end: 100 }],
    ["bytes=100-", 1000, { kind: "part", start: 100, end: 1000 }],
    ["bytes=-10", 1000, { kind: "part", start: 990, end: 1000 }],
    ["bytes=-5000", 1000, { kind: "part", start: 0, end: 1000 }],
    ["bytes=990-5000", 1000, { kind: "part", start: 990, end: 1000 }],
    ["BYTES = 1-1", 10, { kind: "part", start: 1, end: 2 }],
    ["bytes=999-999", 1000, { kind: "part", start: 999, end: 1000 }],
    ["bytes=1000-", 1000, { kind: "unsatisfiable" }],
    ["bytes=99999999999999999999999-", 1000, { kind: "unsatisfiable" }],
    ["bytes=-0", 1000, { kind: "unsatisfiable" }],
    ["bytes=0-", 0, { kind: "unsatisfiable" }],
    ["bytes=-1", 0, { kind: "unsatisfiable" }],
    ["bytes=5-4", 1000, { kind: "whole" }],
    ["bytes=0-1,5-6", 1000, { kind: "whole" }],
    ["bytes=-", 1000, { kind: "whole" }],
    ["bytes=a-", 1000, { kind: "whole" }],
    ["bytes=1.5-2", 1000, { kind: "whole" }],
    ["bytes=+1-2", 1000, { kind: "whole" }],
    ["items=0-1", 1000, { kind: "whole" }],
    ["0-1", 1000, { kind: "whole" }],
    ["", 1000, { kind: "whole" }],
  ])("%j of %d bytes", (header, size, decision) => {
    expect(parseRange(header, size)).toEqual(decision);
  });

  it("property: a part is always a non-empty range inside the file", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 10_000 }),
        fc.option(fc.nat({ max: 20_000 }), { nil: undefined }),
        fc.option(fc.nat({ max: 20_000 }), { nil: undefined }),
        (size, first, last) => {
          const header = `bytes=${first ?? ""}-${last ?? ""}`;
          const decision = parseRange(header, size);
          if (decision.kind !== "part") return;
          expect(decision.start).toBeGreaterThanOrEqual(0);
          expect(decision.end).toBeLessThanOrEqual(size);
          expect(decision.end).toBeGreaterThan(decision.start);
        },
      ),
    );
  });
});

describe("rangeResponse", () => {
  const bytes: Response = {
    status: 200,
    headers: { "content-type": "text/plain", "content-length": "10", etag: '"e"' },
    body: new TextEncoder().encode("0123456789"),
  };
  const get = (headers: Record<string, string>) => mockRequest("GET", "/x", { headers });

  it("slices a byte body too", () => {
    const out = rangeResponse(bytes, get({ range: "bytes=2-4" }));
    expect(out.status).toBe(206);
    expect(new TextDecoder().decode(out.body as Uint8Array)).toBe("234");
    expect(out.headers).toEqual({
      "content-type": "text/plain",
      etag: '"e"',
      "content-length": "3",
      "content-range": "bytes 2-4/10",
    });
  });

  it("slices a file body without opening it", () => {
    const file: Response = { status: 200, headers: {}, body: new FileBody("/no/such/file", 0, 100) };
    const out = rangeResponse(file, get({ range: "bytes=10-19" }));
    expect(out.body).toEqual(new FileBody("/no/such/file", 10, 20));
  });

  it("leaves alone: no Range, another method, another status, a string or streamed body", () => {
    expect(rangeResponse(bytes, get({}))).toBe(bytes);
    expect(rangeResponse(bytes, mockRequest("POST", "/x", { headers: { range: "bytes=0-1" } }))).toBe(bytes);
    const notFound = { ...bytes, status: 404 };
    expect(rangeResponse(notFound, get({ range: "bytes=0-1" }))).toBe(notFound);
    const text = { ...bytes, body: "0123456789" };
    expect(rangeResponse(text, get({ range: "bytes=0-1" }))).toBe(text);
  });

  it("416 keeps the validators and drops the content headers", () => {
    const out = rangeResponse(bytes, get({ range: "bytes=10-" }));
    expect(out).toEqual({
      status: 416,
      headers: { etag: '"e"', "content-range": "bytes */10" },
      body: undefined,
    });
  });
});
