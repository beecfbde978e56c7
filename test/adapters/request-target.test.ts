import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromFetchRequest } from "../../src/adapters/fetch.js";
import { toRequest } from "../../src/adapters/node/request.js";
import { hasValidPercentEncoding, splitTarget } from "../../src/adapters/request-target.js";
import { incomingMessage, mapped } from "./incoming-message.js";

describe("splitTarget", () => {
  it("splits an origin-form target into its raw path and query", () => {
    expect(splitTarget("/a%20b/c?x=1&y=%20")).toEqual({
      uri: "/a%20b/c",
      queryString: "x=1&y=%20",
      authority: undefined,
      scheme: undefined,
    });
    expect(splitTarget("/p")).toMatchObject({ uri: "/p", queryString: undefined });
    expect(splitTarget("/p?")).toMatchObject({ uri: "/p", queryString: "" });
    expect(splitTarget("/p??a?b=/c")).toMatchObject({ uri: "/p", queryString: "?a?b=/c" });
    expect(splitTarget("//a//b/")).toMatchObject({ uri: "//a//b/", queryString: undefined });
    expect(splitTarget("/a?q=100%&r=%zz")).toMatchObject({ uri: "/a", queryString: "q=100%&r=%zz" });
  });

  it("splits an absolute-form target into authority, scheme, path and query, the scheme in any case", () => {
    expect(splitTarget("http://Example.COM:8080/p/q?r=1")).toEqual({
      uri: "/p/q",
      queryString: "r=1",
      authority: "Example.COM:8080",
      scheme: "http",
    });
    expect(splitTarget("HTTPS://example.com?x")).toEqual({
      uri: "/",
      queryString: "x",
      authority: "example.com",
      scheme: "https",
    });
    expect(splitTarget("http://h")).toMatchObject({ uri: "/", queryString: undefined, authority: "h" });
    expect(splitTarget("hTTp://h/?")).toMatchObject({ uri: "/", queryString: "", scheme: "http" });
    // The authority is checked by parseHost, not here.
    expect(splitTarget("http://user@host/y")).toMatchObject({ authority: "user@host", uri: "/y" });
  });

  it("names the problem of what is not a request target", () => {
    for (const target of [
      "",
      "*",
      "a/b",
      "ftp://x/y",
      "http:/x",
      "http:///y",
      "https://?x",
      "/a#frag",
      "/a?q#f",
      "http://h#f",
    ]) {
      expect(splitTarget(target)).toBe(`Malformed request target ${JSON.stringify(target)}`);
    }
    for (const [target, path] of [
      ["/a%zz", "/a%zz"],
      ["/a%2?ok", "/a%2"],
      ["http://h/100%", "/100%"],
    ] as const) {
      expect(splitTarget(target)).toBe(`Malformed percent-encoding in request path ${JSON.stringify(path)}`);
    }
    const long = `/${"x".repeat(300)}#`;
    expect(splitTarget(long)).toBe(`Malformed request target ${JSON.stringify(`${long.slice(0, 200)}…`)}`);
  });

  it("never throws, and what it gives puts the target back together (property)", () => {
    const char = fc.constantFrom(..."/?#%:@abAB09hHtTpPsS");
    fc.assert(
      fc.property(
        fc.string({ unit: fc.oneof(char, fc.constantFrom("http://", "HTTPS://")), maxLength: 20 }),
        (target) => {
          const split = splitTarget(target);
          if (typeof split === "string") return;
          expect(split.uri.startsWith("/")).toBe(true);
          expect(split.uri).not.toMatch(/[?#]/);
          expect(hasValidPercentEncoding(split.uri)).toBe(true);
          const rest = `${split.uri}${split.queryString === undefined ? "" : `?${split.queryString}`}`;
          if (split.authority === undefined) {
            expect(rest).toBe(target);
            return;
          }
          // An absolute-form target: the scheme, the authority, then the path ("/" when it has none).
          const after = target.slice(`${split.scheme}://`.length);
          expect(target.slice(0, target.length - after.length).toLowerCase()).toBe(`${split.scheme}://`);
          expect(after.startsWith(split.authority)).toBe(true);
          const tail = after.slice(split.authority.length);
          expect(rest).toBe(tail === "" || tail.startsWith("?") ? `/${tail}` : tail);
        },
      ),
    );
  });
});

describe("hasValidPercentEncoding", () => {
  it("accepts paths whose every % starts two hex digits, in either case", () => {
    for (const ok of ["/", "/a%20b", "/%7e%7E", "/caf%C3%A9/x", "%00"])
      expect(hasValidPercentEncoding(ok)).toBe(true);
  });

  it("accepts escapes that are not UTF-8, which decodeURIComponent still refuses", () => {
    for (const path of ["/%FF", "/%C3", "/%ED%A0%80"]) {
      expect(hasValidPercentEncoding(path)).toBe(true);
      expect(() => decodeURIComponent(path)).toThrow(URIError);
    }
  });

  it("refuses a stray %, a truncated escape or non-hex digits", () => {
    for (const bad of ["/100%", "/a%2", "/%zz", "/%g0", "/%0g", "%", "/ok%20/then%"]) {
      expect(hasValidPercentEncoding(bad)).toBe(false);
    }
  });

  it("agrees with decodeURI on which escapes are well-formed (ASCII octets)", () => {
    const char = fc.constantFrom(..."ab/%0123456789aAfFgz");
    fc.assert(
      fc.property(fc.array(char, { maxLength: 12 }), (chars) => {
        const text = chars.join("");
        // Any escape below %80 decodes on its own, so decodeURI throws exactly on malformed escapes here.
        const ascii = text.replace(/%[89a-fA-F]([0-9a-fA-F])/g, "%7$1");
        let decodes = true;
        try {
          decodeURI(ascii);
        } catch {
          decodes = false;
        }
        expect(hasValidPercentEncoding(ascii)).toBe(decodes);
      }),
    );
  });
});

// RFC 3986 pchar that the WHATWG URL parser keeps byte for byte, a stray "%" and "%zz" (both adapters must
// refuse those in a path and keep them in a query), and the query's own "/" and "?".
const pchar = fc.oneof(
  fc.constantFrom(..."abcXYZ019-._~!$&()*+,;=:@"),
  fc.constantFrom("%20", "%2F", "%2f", "%C3%A9", "%00", "%", "%zz", "%2"),
);
const segment = fc
  .array(pchar, { maxLength: 6 })
  .map((cs) => cs.join(""))
  .filter((s) => !/^(?:\.|%2e)+$/i.test(s));
const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((ss) => `/${ss.join("/")}`);
const query = fc.option(fc.array(fc.oneof(pchar, fc.constantFrom("/", "?")), { maxLength: 10 }), {
  nil: undefined,
});

describe("the Node and fetch adapters agree on request targets", () => {
  it("give the same uri and queryString, or both a 400 (property)", () => {
    fc.assert(
      fc.property(path, query, fc.constantFrom("http", "https"), (p, q, scheme) => {
        const target = q === undefined ? p : `${p}?${q.join("")}`;
        const fetched = mapped(() => fromFetchRequest(new Request(`${scheme}://h${target}`)));
        const tls = scheme === "https";
        expect(mapped(() => toRequest(incomingMessage(target, ["Host", "h"], tls), false))).toEqual(fetched);
        expect(mapped(() => toRequest(incomingMessage(`${scheme}://h${target}`, [], tls), false))).toEqual(
          fetched,
        );
      }),
      { numRuns: 300 },
    );
  });
});
