import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromFetchRequest } from "../../src/adapters/fetch.js";
import { parseHost } from "../../src/adapters/host.js";
import { toRequest } from "../../src/adapters/node/request.js";
import { HttpError } from "../../src/core/http-error.js";
import { incomingMessage, mapped } from "./incoming-message.js";

describe("parseHost", () => {
  it("splits name and port, lower-cases the name, keeps IPv6 brackets, and uses the default port", () => {
    for (const [text, name, port] of [
      ["Example.com:8080", "example.com", 8080],
      ["example.com", "example.com", 80],
      ["example.com:", "example.com", 80],
      ["[::1]:9000", "[::1]", 9000],
      ["[2001:DB8::1]", "[2001:db8::1]", 80],
      ["[::ffff:1.2.3.4]", "[::ffff:1.2.3.4]", 80],
      ["127.0.0.1:1", "127.0.0.1", 1],
      ["h:0", "h", 0],
      ["h:65535", "h", 65535],
      ["a%20b", "a%20b", 80],
      ["a_b~c!$&'()*+,;=", "a_b~c!$&'()*+,;=", 80],
    ] as const) {
      expect(parseHost(text, 80)).toEqual({ serverName: name, serverPort: port });
    }
    expect(parseHost("h", 443)).toEqual({ serverName: "h", serverPort: 443 });
  });

  it("refuses what is not uri-host [':' port]", () => {
    for (const text of [
      "",
      "exa mple.com",
      "[::1",
      "[::1]x",
      "[]",
      "[zz::1]",
      "[1.2.3.4]",
      "h:99999",
      "h:65536",
      "h:8x",
      "h:123456",
      "h:-1",
      ":80",
      "user@h",
      "é",
      "a{b",
      'a"b',
      "a`b",
      "a%2",
      "a%zz",
      "h:80:80",
      "a/b",
    ]) {
      expect(parseHost(text, 80), text).toBeUndefined();
    }
    // `port = *DIGIT`: `[::1]:` has a port of no digits, the default one, as `h:` has.
    expect(parseHost("[::1]:", 443)).toEqual({ serverName: "[::1]", serverPort: 443 });
  });

  it("splits any valid host (property)", () => {
    const regName = fc.string({
      unit: fc.constantFrom(..."abcxyz019-._~!$&'()*+,;="),
      minLength: 1,
      maxLength: 12,
    });
    const port = fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined });
    fc.assert(
      fc.property(regName, port, (name, p) => {
        expect(parseHost(p === undefined ? name : `${name}:${p}`, 80)).toEqual({
          serverName: name,
          serverPort: p ?? 80,
        });
        expect(parseHost(`${name.toUpperCase()}:`, 443)).toEqual({ serverName: name, serverPort: 443 });
      }),
    );
  });

  it("never throws on any text, and any port it gives is one (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 30 }), (text) => {
        const parsed = parseHost(text, 80);
        if (parsed !== undefined) {
          expect(Number.isInteger(parsed.serverPort)).toBe(true);
          expect(parsed.serverPort).toBeGreaterThanOrEqual(0);
          expect(parsed.serverPort).toBeLessThanOrEqual(65535);
          expect(parsed.serverName).toBe(parsed.serverName.toLowerCase());
        }
      }),
    );
  });
});

// Hosts as a client may write them: valid names in any case, IPv6 literals, and characters the WHATWG URL
// parser lets through although RFC 3986 does not (`{`, `"`, `` ` ``), which both adapters must refuse alike.
const hostName = fc.oneof(
  fc.string({ unit: fc.constantFrom(..."abcXYZ019-._~!$&'()*+,;={}\"`"), minLength: 1, maxLength: 10 }),
  fc.constantFrom("[::1]", "[2001:DB8::1]", "[::ffff:1.2.3.4]", "127.0.0.1", "1.2.3", "localhost"),
);
const host = fc
  .tuple(hostName, fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }))
  .map(([name, port]) => (port === undefined ? name : `${name}:${port}`));

describe("the Node and fetch adapters agree on hosts", () => {
  it("give the same serverName and serverPort, or both a 400, for the host a runtime parsed (property)", () => {
    fc.assert(
      fc.property(host, fc.constantFrom("http", "https"), (text, scheme) => {
        let request: Request;
        try {
          request = new Request(`${scheme}://${text}/p`);
        } catch {
          return; // not a URL a runtime would hand over
        }
        const fetched = mapped(() => fromFetchRequest(request));
        // The runtime hands the adapter the host it parsed (lower case, IPv4 normalised): the Node adapter
        // sees the same text in a Host header, or as an absolute-form target's authority.
        const parsedHost = new URL(request.url).host;
        const viaHost = mapped(() =>
          toRequest(incomingMessage(`/p`, ["Host", parsedHost], scheme === "https"), false),
        );
        const viaTarget = mapped(() =>
          toRequest(
            incomingMessage(`${scheme}://${parsedHost}/p`, ["Host", "ignored"], scheme === "https"),
            false,
          ),
        );
        expect(viaHost).toEqual(fetched);
        expect(viaTarget).toEqual(fetched);
      }),
      { numRuns: 300 },
    );
  });

  it("both refuse a host RFC 3986 does not allow, which the URL parser accepts", () => {
    const request = new Request("http://a{b/p");
    expect(() => fromFetchRequest(request)).toThrow(
      expect.objectContaining({ status: 400, message: 'Malformed host "a{b"' }),
    );
    const node = toRequest(incomingMessage("/p", ["Host", "a{b"]), false);
    expect(node).toBeInstanceOf(HttpError);
    expect((node as HttpError).message).toBe('Malformed host "a{b"');
  });
});
