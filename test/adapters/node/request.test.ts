import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningServer, serve, toNodeListener } from "../../../src/adapters/node.js";
import type { Request } from "../../../src/core/types.js";
import { RawConnection, rawRequest } from "../../../src/testing/raw-http.js";
import { TEST_CERT, TEST_KEY } from "./tls-fixture.js";

let seen: Request | undefined;
let calls = 0;
const errors: unknown[] = [];
const handler = (request: Request) => {
  seen = request;
  calls++;
  return { status: 200, headers: {}, body: "ok" };
};

let server: RunningServer;
let proxied: RunningServer;
beforeAll(async () => {
  server = await serve(handler, { port: 0, onError: (error) => void errors.push(error) });
  proxied = await serve(handler, { port: 0, trustProxy: true, onError: (error) => void errors.push(error) });
});
afterAll(async () => {
  await server.close();
  await proxied.close();
});
beforeEach(() => {
  seen = undefined;
  calls = 0;
  errors.length = 0;
});

const get = (target: string, extra = "", port = server.port) =>
  rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}Connection: close\r\n\r\n`);

async function expect400(text: string, port = server.port, reason?: RegExp) {
  const response = await rawRequest(port, text);
  expect(response.status).toBe(400);
  expect(response.body.toString()).toBe("Bad Request");
  expect(calls).toBe(0);
  if (reason) {
    expect(errors).toHaveLength(1);
    expect(String((errors[0] as Error).message)).toMatch(reason);
  }
}

describe("request map: target", () => {
  it("maps method, raw uri, queryString, scheme, protocol, server and peer", async () => {
    const response = await fetch(`${server.url}/a%20b/c?x=1&y=%20`, { method: "PATCH", body: "x" });
    expect(response.status).toBe(200);
    expect(seen).toMatchObject({
      method: "PATCH",
      uri: "/a%20b/c",
      queryString: "x=1&y=%20",
      scheme: "http",
      protocol: "HTTP/1.1",
      serverName: "127.0.0.1",
      serverPort: server.port,
      remoteAddr: "127.0.0.1",
    });
    expect(Object.isFrozen(seen)).toBe(true);
    expect(Object.isFrozen(seen!.headers)).toBe(true);
  });

  it("tells an empty query from none", async () => {
    await get("/p?");
    expect(seen).toMatchObject({ uri: "/p", queryString: "" });
    await get("/p");
    expect(seen!.queryString).toBeUndefined();
    await get("/p??a?b=/c");
    expect(seen).toMatchObject({ uri: "/p", queryString: "?a?b=/c" });
  });

  it("maps an absolute-form target to its path, taking the host from its authority", async () => {
    await get("http://Example.COM:8080/p/q?r=1");
    expect(seen).toMatchObject({
      uri: "/p/q",
      queryString: "r=1",
      serverName: "example.com",
      serverPort: 8080,
    });
    await get("HTTPS://example.com?x");
    expect(seen).toMatchObject({ uri: "/", queryString: "x", serverName: "example.com", serverPort: 443 });
    await get("http://example.com");
    expect(seen).toMatchObject({ uri: "/", queryString: undefined, serverPort: 80 });
  });

  it("answers 400 without calling the handler for malformed targets, reporting why", async () => {
    await expect400(
      `GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n`,
      server.port,
      /Malformed request target "\/a#frag"/,
    );
    errors.length = 0;
    await expect400(`GET /a?q=1#frag HTTP/1.1\r\nHost: x\r\n\r\n`, server.port, /Malformed request target/);
    errors.length = 0;
    await expect400(`GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n`, server.port, /percent-encoding/);
    errors.length = 0;
    await expect400(`GET /a%2 HTTP/1.1\r\nHost: x\r\n\r\n`, server.port, /percent-encoding/);
    errors.length = 0;
    await expect400(`GET * HTTP/1.1\r\nHost: x\r\n\r\n`, server.port, /Malformed request target "\*"/);
    errors.length = 0;
    await expect400(`GET ftp://x/y HTTP/1.1\r\nHost: x\r\n\r\n`, server.port, /Malformed request target/);
    errors.length = 0;
    await expect400(`GET http:///y HTTP/1.1\r\nHost: x\r\n\r\n`, server.port, /Malformed request target/);
    errors.length = 0;
    await expect400(
      `GET http://user@host/y HTTP/1.1\r\nHost: x\r\n\r\n`,
      server.port,
      /Malformed host "user@host"/,
    );
  });

  it("passes a stray % in the query, and escapes that are not UTF-8 in the path, through raw", async () => {
    const response = await get("/a%2Fb?q=100%&r=%zz");
    expect(response.status).toBe(200);
    expect(seen).toMatchObject({ uri: "/a%2Fb", queryString: "q=100%&r=%zz" });
    expect((await get("/%FF/%C3")).status).toBe(200);
    expect(seen!.uri).toBe("/%FF/%C3");
  });

  it("answers OPTIONS * itself with 204, and never calls the handler", async () => {
    const response = await rawRequest(server.port, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(response.status).toBe(204);
    expect(calls).toBe(0);
    expect(errors).toEqual([]);
  });

  it("delivers any path and query raw (property, over a real socket)", async () => {
    const pathChar = fc.oneof(
      fc.constantFrom(..."abcXYZ019-._~!$&'()*+,;=:@\"<>\\^`{|}[]"),
      fc.constantFrom("%20", "%2F", "%25", "%e2%82%AC", "%00"),
    );
    const segment = fc.string({ unit: pathChar, maxLength: 8 });
    const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join("/")}`);
    const queryChar = fc.oneof(pathChar, fc.constantFrom("/", "?", "%", "%zz", "=", "&"));
    const query = fc.option(fc.string({ unit: queryChar, maxLength: 20 }), { nil: undefined });
    const connection = await RawConnection.open(server.port);
    try {
      await fc.assert(
        fc.asyncProperty(path, query, async (uri, queryString) => {
          const target = queryString === undefined ? uri : `${uri}?${queryString}`;
          connection.write(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
          const response = await connection.readResponse();
          expect(response.status).toBe(200);
          expect(seen!.uri).toBe(uri);
          expect(seen!.queryString).toBe(queryString);
        }),
        { numRuns: 100 },
      );
    } finally {
      connection.destroy();
    }
  });
});

describe("request map: host", () => {
  it("reads serverName and serverPort from Host, lower-cased, with IPv6 literals and default ports", async () => {
    await get("/", "", server.port).then(() => expect(seen!.serverPort).toBe(server.port));
    for (const [host, name, port] of [
      ["Example.com:8080", "example.com", 8080],
      ["example.com", "example.com", 80],
      ["example.com:", "example.com", 80],
      ["[::1]:9000", "[::1]", 9000],
      ["[2001:DB8::1]", "[2001:db8::1]", 80],
      ["127.0.0.1:1", "127.0.0.1", 1],
      ["a%20b", "a%20b", 80],
    ] as const) {
      const response = await rawRequest(server.port, `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      expect(response.status).toBe(200);
      expect([seen!.serverName, seen!.serverPort]).toEqual([name, port]);
    }
  });

  it("uses the local address when there is no Host (HTTP/1.0) or it is empty", async () => {
    await rawRequest(server.port, "GET /old HTTP/1.0\r\n\r\n");
    expect(seen).toMatchObject({ protocol: "HTTP/1.0", serverName: "127.0.0.1", serverPort: server.port });
    await rawRequest(server.port, "GET / HTTP/1.1\r\nHost:\r\n\r\n");
    expect(seen).toMatchObject({ serverName: "127.0.0.1", serverPort: server.port });
  });

  it("answers 400 for a malformed or repeated Host, without calling the handler", async () => {
    for (const host of [
      "exa mple.com",
      "[::1",
      "[::1]x",
      "[zz::1]",
      "h:99999",
      "h:8x",
      "h:123456",
      ":80",
      "user@h",
      "é",
    ]) {
      errors.length = 0;
      await expect400(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`, server.port, /Malformed host/);
    }
    errors.length = 0;
    await expect400("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", server.port, /More than one Host/);
  });
});

describe("request map: headers", () => {
  it("keeps every header a client sent: duplicates Node drops, cookie joined with '; ', others with ', '", async () => {
    await get(
      "/",
      "Authorization: Basic a\r\nauthorization: Bearer b\r\nCookie: a=1\r\ncookie: b=2\r\nSet-Cookie: x\r\nset-cookie: y\r\n" +
        "User-Agent: one\r\nUser-Agent: two\r\nX-Empty:\r\nAccept: a\r\nACCEPT: b\r\n",
    );
    expect(seen!.headers).toEqual({
      host: `127.0.0.1:${server.port}`,
      authorization: "Basic a, Bearer b",
      cookie: "a=1; b=2",
      "set-cookie": "x, y",
      "user-agent": "one, two",
      "x-empty": "",
      accept: "a, b",
      connection: "close",
    });
  });

  it("treats names like __proto__ and constructor as plain data", async () => {
    await get("/", "__proto__: p\r\nconstructor: c\r\ntoString: t\r\n");
    expect(Object.getOwnPropertyDescriptor(seen!.headers, "__proto__")?.value).toBe("p");
    expect(seen!.headers.constructor).toBe("c");
    expect(seen!.headers.tostring).toBe("t");
    expect(Object.keys(seen!.headers)).toContain("__proto__");
  });

  it("gives the headers no inherited keys, with or without repeated lines", async () => {
    for (const extra of ["X-A: 1\r\n", "User-Agent: a\r\nUser-Agent: b\r\n"]) {
      await get("/", extra);
      const headers = seen!.headers;
      for (const name of ["constructor", "toString", "hasOwnProperty", "__proto__", "valueOf"]) {
        expect(name in headers).toBe(false);
      }
      expect(Object.getPrototypeOf(Object.getPrototypeOf(headers))).toBeNull();
      expect(Object.isFrozen(Object.getPrototypeOf(headers))).toBe(true);
      expect(Object.getOwnPropertyNames(Object.getPrototypeOf(headers))).toEqual([]);
    }
  });

  it("gives every request on a keep-alive connection its own frozen headers, even for the same lines", async () => {
    const connection = await RawConnection.open(server.port);
    const maps: Request["headers"][] = [];
    try {
      for (const cookie of ["a=1", "a=1", "a=2", "a=2"]) {
        connection.write(`GET / HTTP/1.1\r\nHost: h\r\nCookie: ${cookie}\r\nX-Same: s\r\n\r\n`);
        expect((await connection.readResponse()).status).toBe(200);
        maps.push(seen!.headers);
      }
    } finally {
      connection.destroy();
    }
    expect(maps.map((headers) => headers.cookie)).toEqual(["a=1", "a=1", "a=2", "a=2"]);
    expect(maps.every((headers) => Object.isFrozen(headers))).toBe(true);
    expect(new Set(maps).size).toBe(4);
  });

  it("maps host, scheme and peer for each request on one connection, by its target and its listener's trustProxy", async () => {
    // One socket, two listeners (as when an app mounts two ringlet handlers), the same header lines each time.
    const plain = toNodeListener(handler);
    const trusting = toNodeListener(handler, { trustProxy: true });
    const mounted = createServer((req, res) => (req.url!.includes("trust") ? trusting : plain)(req, res));
    await new Promise<void>((resolve) => mounted.listen(0, "127.0.0.1", resolve));
    const { port } = mounted.address() as AddressInfo;
    const connection = await RawConnection.open(port);
    const lines =
      "Host: origin.test:8080\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: public.test\r\n" +
      "X-Forwarded-For: 203.0.113.7\r\n";
    const seenOn = async (target: string) => {
      connection.write(`GET ${target} HTTP/1.1\r\n${lines}\r\n`);
      expect((await connection.readResponse()).status).toBe(200);
      const { scheme, serverName, serverPort, uri, remoteAddr } = seen!;
      return {
        uri,
        scheme,
        serverName,
        serverPort,
        peer: remoteAddr === "203.0.113.7" ? "forwarded" : "socket",
      };
    };
    const direct = { scheme: "http", serverName: "origin.test", serverPort: 8080, peer: "socket" };
    try {
      expect(await seenOn("/a")).toEqual({ uri: "/a", ...direct });
      expect(await seenOn("/trust")).toEqual({
        uri: "/trust",
        scheme: "https",
        serverName: "public.test",
        serverPort: 443,
        peer: "forwarded",
      });
      expect(await seenOn("/b")).toEqual({ uri: "/b", ...direct });
      // An absolute-form target's authority is its own: it neither uses nor replaces what the lines gave.
      expect(await seenOn("http://proxy.test:81/c")).toEqual({
        uri: "/c",
        scheme: "http",
        serverName: "proxy.test",
        serverPort: 81,
        peer: "socket",
      });
      expect(await seenOn("/d")).toEqual({ uri: "/d", ...direct });
    } finally {
      connection.destroy();
      await new Promise((resolve) => mounted.close(resolve));
    }
  });

  it("maps a Unix domain socket connection: no peer address unless trustProxy names one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ringlet-unix-"));
    const path = join(dir, "s.sock");
    const unix = createServer(toNodeListener(handler, { trustProxy: true }));
    await new Promise<void>((resolve) => unix.listen(path, resolve));
    const connection = await RawConnection.openPath(path);
    const requests: Request[] = [];
    try {
      for (const forwarded of ["", "X-Forwarded-For: 198.51.100.2\r\n", ""]) {
        connection.write(`GET / HTTP/1.1\r\nHost: app.test\r\n${forwarded}\r\n`);
        expect((await connection.readResponse()).status).toBe(200);
        requests.push(seen!);
      }
    } finally {
      connection.destroy();
      await new Promise((resolve) => unix.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
    expect(requests.map((request) => request.remoteAddr)).toEqual(["", "198.51.100.2", ""]);
    expect(requests.map((request) => request.serverName)).toEqual(["app.test", "app.test", "app.test"]);
  });

  it("gives each request on a keep-alive connection its own request map and body", async () => {
    const connection = await RawConnection.open(server.port);
    const requests: Request[] = [];
    try {
      for (const head of ["GET /x HTTP/1.1\r\nHost: h\r\n\r\n", "GET /x HTTP/1.1\r\nHost: h\r\n\r\n"]) {
        connection.write(head);
        expect((await connection.readResponse()).status).toBe(200);
        requests.push(seen!);
      }
      connection.write("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi");
      expect((await connection.readResponse()).status).toBe(200);
      requests.push(seen!);
    } finally {
      connection.destroy();
    }
    expect(requests[1]).not.toBe(requests[0]);
    expect(requests[1]!.headers).not.toBe(requests[0]!.headers);
    expect(requests.map((request) => request.body === undefined)).toEqual([true, true, false]);
  });

  it("maps what the client sent, not what other code later wrote into req.headers", async () => {
    const listener = toNodeListener(handler);
    const mounted = createServer((req, res) => {
      // What an Express middleware might do before a mounted ringlet listener.
      req.headers.accept = "rewritten";
      if (req.url === "/add") req.headers["x-added"] = "by middleware";
      listener(req, res);
    });
    await new Promise<void>((resolve) => mounted.listen(0, "127.0.0.1", resolve));
    const { port } = mounted.address() as AddressInfo;
    try {
      for (const path of ["/", "/add"]) {
        await rawRequest(
          port,
          `GET ${path} HTTP/1.1\r\nHost: h\r\nAccept: text/html\r\nConnection: close\r\n\r\n`,
        );
        expect({ ...seen!.headers }).toEqual({ host: "h", accept: "text/html", connection: "close" });
      }
    } finally {
      await new Promise((resolve) => mounted.close(resolve));
    }
  });

  // Node keeps only the first of these in req.headers (see message.headers in Node's docs); ringlet keeps all.
  const DROPPED = [
    "age",
    "authorization",
    "content-type",
    "etag",
    "expires",
    "from",
    "if-modified-since",
    "if-unmodified-since",
    "last-modified",
    "location",
    "max-forwards",
    "proxy-authorization",
    "referer",
    "retry-after",
    "server",
    "user-agent",
  ];
  // Headers that change how Node parses or answers the message are not generated.
  const SPECIAL = new Set(["host", "content-length", "transfer-encoding", "connection", "expect", "upgrade"]);

  it("delivers any set of header names and values as the SPEC says (property, over a real socket)", async () => {
    const baseName = fc.oneof(
      fc.constantFrom(...DROPPED, "set-cookie", "cookie", "accept", "x-a", "x-b"),
      fc
        .string({ unit: fc.constantFrom(..."abcxyz019-_!#$%&'*+.^`|~"), minLength: 1, maxLength: 10 })
        .filter((n) => !SPECIAL.has(n)),
    );
    const name = fc
      .tuple(baseName, fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }))
      .map(([n, upper]) => [...n].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""))
      .filter((n) => !SPECIAL.has(n.toLowerCase()));
    const valueChar = fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(..."abcXYZ019 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") },
      { weight: 1, arbitrary: fc.constantFrom("\t", "\x80", "é", "\xff") },
    );
    // Leading and trailing whitespace is not part of a field value (RFC 9110 §5.5): the parser strips it.
    const value = fc.string({ unit: valueChar, maxLength: 16 }).map((v) => v.replace(/^[ \t]+|[ \t]+$/g, ""));
    const lines = fc.array(fc.tuple(name, value), { maxLength: 12 });
    const connection = await RawConnection.open(server.port);
    try {
      await fc.assert(
        fc.asyncProperty(lines, async (pairs) => {
          const text = pairs.map(([n, v]) => `${n}: ${v}\r\n`).join("");
          connection.write(`GET / HTTP/1.1\r\nHost: h\r\n${text}\r\n`);
          const response = await connection.readResponse();
          expect(response.status).toBe(200);
          const expected: Record<string, string> = { host: "h" };
          for (const [n, v] of pairs) {
            const key = n.toLowerCase();
            const previous = Object.hasOwn(expected, key) ? expected[key] : undefined;
            expected[key] = previous === undefined ? v : `${previous}${key === "cookie" ? "; " : ", "}${v}`;
          }
          expect({ ...seen!.headers }).toEqual(expected);
        }),
        { numRuns: 60 },
      );
    } finally {
      connection.destroy();
    }
  });
});

describe("request map: body", () => {
  it("is undefined without Content-Length > 0 or Transfer-Encoding", async () => {
    await get("/");
    expect(seen!.body).toBeUndefined();
    await rawRequest(server.port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    expect(seen!.body).toBeUndefined();
    await rawRequest(server.port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    expect(seen!.body).toBeDefined();
    await rawRequest(
      server.port,
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    expect(seen!.body).toBeDefined();
  });

  it("reads nothing until iterated, then yields the bytes", async () => {
    let req: IncomingMessage | undefined;
    const states: unknown[] = [];
    const listener = toNodeListener(async (request) => {
      states.push([req!.readableDidRead, req!.listenerCount("data"), req!.listenerCount("readable")]);
      const chunks: Uint8Array[] = [];
      for await (const chunk of request.body!) {
        expect(chunk).toBeInstanceOf(Uint8Array);
        chunks.push(chunk);
      }
      states.push(req!.readableDidRead);
      return { status: 200, headers: {}, body: Buffer.concat(chunks) };
    });
    const node = createServer((incoming, res) => {
      req = incoming;
      listener(incoming, res);
    });
    const port = await listen(node);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "hello body" });
      expect(await response.text()).toBe("hello body");
      expect(states).toEqual([[false, 0, 0], true]);
    } finally {
      node.close();
    }
  });

  it("leaves the socket usable when a handler stops reading early, so its error response arrives", async () => {
    const early = await serve(
      async (request) => {
        for await (const _ of request.body!) break;
        return { status: 413, headers: {}, body: "too big" };
      },
      { port: 0 },
    );
    try {
      const connection = await RawConnection.open(early.port);
      connection.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345");
      await new Promise((resolve) => setTimeout(resolve, 20));
      connection.write("67890");
      const response = await connection.readResponse();
      expect([response.status, response.body.toString()]).toEqual([413, "too big"]);
      connection.destroy();
    } finally {
      await early.close();
    }
  });
});

describe("request map: scheme and trustProxy", () => {
  it("is https on a TLS socket, with 443 as the default port", async () => {
    const secure = await serve(handler, { port: 0, https: { key: TEST_KEY, cert: TEST_CERT } });
    try {
      expect(secure.url).toBe(`https://127.0.0.1:${secure.port}`);
      const { request } = await import("node:https");
      const status = await new Promise<number>((resolve, reject) => {
        request(`${secure.url}/s`, { ca: TEST_CERT, headers: { host: "localhost" } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
          .on("error", reject)
          .end();
      });
      expect(status).toBe(200);
      expect(seen).toMatchObject({ scheme: "https", serverName: "localhost", serverPort: 443, uri: "/s" });
    } finally {
      await secure.close();
    }
  });

  const forwarded =
    "X-Forwarded-Proto: https, http\r\nX-Forwarded-Host: Public.example:8443, inner\r\nX-Forwarded-For: 203.0.113.9, 10.0.0.1\r\n";

  it("ignores X-Forwarded-* by default", async () => {
    await get("/", forwarded);
    expect(seen).toMatchObject({
      scheme: "http",
      serverName: "127.0.0.1",
      serverPort: server.port,
      remoteAddr: "127.0.0.1",
    });
    expect(seen!.headers["x-forwarded-for"]).toBe("203.0.113.9, 10.0.0.1");
  });

  it("with trustProxy uses their first, client-side value", async () => {
    await get("/", forwarded, proxied.port);
    expect(seen).toMatchObject({
      scheme: "https",
      serverName: "public.example",
      serverPort: 8443,
      remoteAddr: "203.0.113.9",
    });
    await get("/", "X-Forwarded-Proto: HTTPS\r\n", proxied.port);
    expect(seen).toMatchObject({ scheme: "https", serverName: "127.0.0.1", serverPort: proxied.port });
    await get("/", "X-Forwarded-Proto: https\r\nX-Forwarded-Host: pub.example\r\n", proxied.port);
    expect(seen).toMatchObject({ serverName: "pub.example", serverPort: 443 });
    await get("/", "X-Forwarded-For: \r\n", proxied.port);
    expect(seen!.remoteAddr).toBe("127.0.0.1");
  });

  it("with trustProxy answers 400 for a malformed X-Forwarded-Proto or -Host", async () => {
    await expect400(
      "GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: gopher\r\n\r\n",
      proxied.port,
      /X-Forwarded-Proto/,
    );
    errors.length = 0;
    await expect400(
      "GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-Host: a b\r\n\r\n",
      proxied.port,
      /Malformed host "a b"/,
    );
  });
});

function listen(node: Server): Promise<number> {
  return new Promise((resolve) =>
    node.listen(0, "127.0.0.1", () => resolve((node.address() as AddressInfo).port)),
  );
}
