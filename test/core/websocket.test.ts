import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isWebSocketRequest,
  isWebSocketResponse,
  offeredProtocols,
  originAllowed,
  type WebSocketResponse,
  websocketResponse,
  websocketResponseProblem,
} from "../../src/core/websocket.js";
import { mockRequest } from "../../src/testing/mock-request.js";

const upgrade = (headers: Record<string, string>, method = "GET") => mockRequest(method, "/ws", { headers });

/** `text` with each letter's case chosen by `mask`. */
const recase = (text: string, mask: boolean[]) =>
  [...text].map((c, i) => (mask[i % mask.length] ? c.toUpperCase() : c.toLowerCase())).join("");

describe("isWebSocketRequest", () => {
  it("is true for a GET with Connection: upgrade and Upgrade: websocket, in any case, within token lists", () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 9 }),
        fc.array(fc.constantFrom("keep-alive", "close", "HTTP2-Settings"), { maxLength: 2 }),
        fc.array(fc.constantFrom("h2c", "foo/2"), { maxLength: 2 }),
        fc.constantFrom("", " ", "  "),
        (mask, otherConnection, otherUpgrade, space) => {
          const connection = [...otherConnection, recase("upgrade", mask)].join(`,${space}`);
          const up = [...otherUpgrade, recase("websocket", mask)].join(`,${space}`);
          expect(isWebSocketRequest(upgrade({ connection, upgrade: up }))).toBe(true);
        },
      ),
    );
  });

  it("is false without either header, for another method, or for look-alike tokens", () => {
    expect(isWebSocketRequest(upgrade({ connection: "upgrade" }))).toBe(false);
    expect(isWebSocketRequest(upgrade({ upgrade: "websocket" }))).toBe(false);
    expect(isWebSocketRequest(upgrade({ connection: "upgrade", upgrade: "websocket" }, "POST"))).toBe(false);
    expect(isWebSocketRequest(upgrade({ connection: "upgraded", upgrade: "websocket" }))).toBe(false);
    expect(isWebSocketRequest(upgrade({ connection: "upgrade", upgrade: "websockets" }))).toBe(false);
    expect(isWebSocketRequest(upgrade({ connection: "keep-alive", upgrade: "websocket" }))).toBe(false);
    expect(isWebSocketRequest(upgrade({ connection: "upgrade", upgrade: "h2c" }))).toBe(false);
  });
});

describe("websocketResponse", () => {
  it("builds a 101 response holding the listener, with the protocol only when given", () => {
    const listener = { onMessage: () => {} };
    expect(websocketResponse(listener)).toEqual({ status: 101, headers: {}, websocket: listener });
    expect(websocketResponse(listener, "chat.v2")).toEqual({
      status: 101,
      headers: {},
      websocket: listener,
      protocol: "chat.v2",
    });
    expect(isWebSocketResponse(websocketResponse({}))).toBe(true);
    expect(isWebSocketResponse({ status: 200, headers: {} })).toBe(false);
    expect(isWebSocketResponse(null)).toBe(false);
  });

  it("throws a TypeError naming what is wrong with the listener or the protocol", () => {
    expect(() => websocketResponse(null as never)).toThrow(
      /^websocketResponse: listener must be an object of listener functions, got null$/,
    );
    expect(() => websocketResponse({ onmessage: () => {} } as never)).toThrow(
      /listener has an unknown key "onmessage" \(expected onOpen, onMessage, onPing, onPong, onError, onClose\)/,
    );
    expect(() => websocketResponse({ onOpen: "hi" } as never)).toThrow(
      /^websocketResponse: listener.onOpen must be a function, got "hi"$/,
    );
    expect(() => websocketResponse({}, "two words")).toThrow(/response.protocol must be a token/);
  });
});

describe("websocketResponseProblem", () => {
  const ok = websocketResponse({});
  it("accepts a valid websocket response, headers included", () => {
    expect(websocketResponseProblem({ ...ok, headers: { "set-cookie": ["a=1"] } })).toBeUndefined();
  });
  it("names the key at fault", () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...ok, status: 200 }, /must have status 101, got number 200/],
      [{ ...ok, body: "x" }, /must have no body/],
      [{ ...ok, websocket: { onClose: 1 } }, /response.websocket.onClose must be a function/],
      [{ ...ok, protocol: "" }, /response.protocol must be a token/],
      [{ ...ok, headers: { "x-a": "a\nb" } }, /x-a/],
    ];
    for (const [response, message] of cases) {
      expect(websocketResponseProblem(response as WebSocketResponse)).toMatch(message);
    }
  });
});

describe("offeredProtocols", () => {
  it("lists the client's subprotocols in order, trimmed", () => {
    expect(offeredProtocols(upgrade({ "sec-websocket-protocol": "chat.v2, chat.v1 ,x" }))).toEqual([
      "chat.v2",
      "chat.v1",
      "x",
    ]);
    expect(offeredProtocols(upgrade({}))).toEqual([]);
  });
});

describe("originAllowed", () => {
  const at = (origin: string | undefined, scheme: "http" | "https" = "http", host = "app.example:8080") =>
    mockRequest("GET", `${scheme}://${host}/ws`, { headers: origin === undefined ? {} : { origin } });

  it("by default allows no Origin and the request's own origin, in any case", () => {
    expect(originAllowed(at(undefined), undefined)).toBe(true);
    expect(originAllowed(at("http://app.example:8080"), undefined)).toBe(true);
    expect(originAllowed(at("HTTP://APP.example:8080"), undefined)).toBe(true);
    // The default port is omitted from an origin (RFC 6454 §6.2).
    expect(originAllowed(at("https://app.example", "https", "app.example"), undefined)).toBe(true);
    expect(originAllowed(at("http://app.example", "http", "app.example:80"), undefined)).toBe(true);
  });

  it("by default refuses another scheme, host or port, and null", () => {
    expect(originAllowed(at("https://app.example:8080"), undefined)).toBe(false);
    expect(originAllowed(at("http://evil.example:8080"), undefined)).toBe(false);
    expect(originAllowed(at("http://app.example:8081"), undefined)).toBe(false);
    expect(originAllowed(at("http://app.example"), undefined)).toBe(false);
    expect(originAllowed(at("null"), undefined)).toBe(false);
    expect(originAllowed(at("http://app.example:8080.evil.example"), undefined)).toBe(false);
  });

  it("with a list, allows exactly the listed origins (null too when listed)", () => {
    expect(originAllowed(at("https://other.example"), ["https://other.example"])).toBe(true);
    expect(originAllowed(at("http://app.example:8080"), ["https://other.example"])).toBe(false);
    expect(originAllowed(at("null"), ["null"])).toBe(true);
    expect(originAllowed(at(undefined), ["https://other.example"])).toBe(true);
  });

  it("with a function, asks it about every Origin", () => {
    const seen: string[] = [];
    const allow = (origin: string) => {
      seen.push(origin);
      return origin === "https://ok.example";
    };
    expect(originAllowed(at("https://ok.example"), allow)).toBe(true);
    expect(originAllowed(at("https://no.example"), allow)).toBe(false);
    expect(seen).toEqual(["https://ok.example", "https://no.example"]);
  });
});
