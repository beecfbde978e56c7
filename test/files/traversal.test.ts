// Published path-traversal payloads against wrapFile over real HTTP: every one must miss (the handler's 404,
// or the adapter's 400 for a target it refuses), and no response may carry a byte of a file outside the root.
// The request line is written byte for byte (RawConnection): fetch would normalise "..", "%2e" and "\" away.
//
// The traversal sequences are those of PayloadsAllTheThings, "Directory Traversal" (README, "Encoding" and
// "Unicode/overlong" sections, and Intruder/deep_traversal.txt and dotdotpwn.txt patterns:
// https://github.com/swisskyrepo/PayloadsAllTheThings/tree/master/Directory%20Traversal) and of the OWASP Web
// Security Testing Guide, WSTG-ATHZ-01 "Testing Directory Traversal File Include" (encodings, Windows
// separators and drive letters, UNC paths, NUL bytes), written out here so the test needs no network.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import { notFound } from "../../src/core/response.js";
import type { Handler } from "../../src/core/types.js";
import { FileBody } from "../../src/files/file-body.js";
import { isInside } from "../../src/files/file-response.js";
import { fileRequest, wrapFile } from "../../src/files/wrap-file.js";
import { mockRequest } from "../../src/testing/mock-request.js";
import { rawRequest } from "../../src/testing/raw-http.js";
import { makeSite, SECRET, type Site } from "./fixture.js";

/** Sequences that mean "the parent directory" to some decoder, OS or server somewhere. */
const DOT_DOT_SLASH = [
  "../",
  "..\\",
  "..%2f",
  "..%2F",
  "%2e%2e/",
  "%2e%2e%2f",
  "%2E%2E%2F",
  ".%2e/",
  "%2e./",
  "..%5c",
  "%2e%2e%5c",
  "%2e%2e\\",
  "..%255c",
  "..%252f",
  "%252e%252e%252f",
  "%252e%252e/",
  "%252e%252e%255c",
  "%25%32%65%25%32%65%25%32%66",
  "..%c0%af",
  "..%c1%9c",
  "..%c0%2f",
  "%c0%ae%c0%ae/",
  "%c0%ae%c0%ae%c0%af",
  "%c0%2e%c0%2e%c0%af",
  "%e0%80%ae%e0%80%ae/",
  "%f0%80%80%ae%f0%80%80%ae/",
  "..%e0%80%af",
  "%c0%ae%c0%ae\\",
  "%uff0e%uff0e/",
  "%uff0e%uff0e%u2215",
  "%u002e%u002e%u2215",
  "..%u2215",
  "..%u2216",
  "%ef%bc%8e%ef%bc%8e/",
  "..%ef%bc%8f",
  "....//",
  "..../",
  "....\\\\",
  ".../",
  "..;/",
  "..%00/",
  "..%01/",
  "..%0d%0a/",
  "%00../",
  "..///",
  "/..//",
  "/%5c../",
  "..%2f%2f",
  ". ./",
  ".. /",
  "..%20/",
  "..%09/",
];

/** What lies outside the root: the fixture's secret next to it, and the usual targets of deep traversal. */
const TARGETS = ["outside/secret.txt", "etc/passwd", "windows/win.ini", "boot.ini"];

/** Paths that try to leave the root at once rather than climb out of it. */
const ABSOLUTE = [
  "//etc/passwd",
  "/%2fetc%2fpasswd",
  "/%2Fetc/passwd",
  "/etc%2fpasswd%00.css",
  "/C:/Windows/win.ini",
  "/C:%5cWindows%5cwin.ini",
  "/c%3a%5cwindows%5cwin.ini",
  "/%5c%5clocalhost%5cc$%5cwindows%5cwin.ini",
  "/\\\\localhost\\c$\\windows\\win.ini",
  "/file:%2f%2f%2fetc%2fpasswd",
  "/site.css::$DATA",
  "/site.css%3a%3a$DATA",
  "/%00",
  "/site.css%00.txt",
  "/site.css%00",
  "/..",
  "/.",
  "/%2e",
  "/%2e%2e",
  "/sub/%2e%2e/%2e%2e/outside/secret.txt",
  "/sub/..%2f..%2foutside%2fsecret.txt",
  "/dir-out/secret.txt",
  "/link-out.txt",
  "/%64ir-out/secret.txt",
];

function payloads(): string[] {
  const out = new Set<string>(ABSOLUTE);
  for (const sequence of DOT_DOT_SLASH) {
    for (const depth of [1, 2, 10]) {
      for (const target of TARGETS) {
        out.add(`/${sequence.repeat(depth)}${target}`);
        out.add(`/sub/${sequence.repeat(depth + 1)}${target}`);
      }
    }
  }
  return [...out];
}

const LEAKS = [SECRET, "root:", "[extensions]", "[boot loader]", "hunter2"];
const fallback: Handler = () => notFound("fell through");

describe("published path-traversal payloads over HTTP", () => {
  let site: Site;
  let servers: RunningServer[];
  beforeAll(async () => {
    site = makeSite();
    // Dotfiles allowed on the second server, so the dot rule is not what stops "..".
    servers = await Promise.all([
      serve(wrapFile(fallback, site.root), { port: 0, hostname: "127.0.0.1" }),
      serve(wrapFile(fallback, site.root, { allowDotfiles: true }), { port: 0, hostname: "127.0.0.1" }),
    ]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    site.remove();
  });

  it("every payload misses, with and without allowDotfiles", async () => {
    const list = payloads();
    expect(list.length).toBeGreaterThan(1000);
    const hits: string[] = [];
    for (const server of servers) {
      // A few at a time: each is its own connection, since a 400 closes it.
      for (let i = 0; i < list.length; i += 16) {
        await Promise.all(
          list.slice(i, i + 16).map(async (path) => {
            const res = await rawRequest(server.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
            const body = res.body.toString("latin1");
            const leaked = LEAKS.some((leak) => body.includes(leak));
            if (leaked || (res.status !== 404 && res.status !== 400)) hits.push(`${res.status} ${path}`);
          }),
        );
      }
    }
    expect(hits).toEqual([]);
  }, 120_000);

  it("property: no generated path resolves to a file outside the root", async () => {
    const piece = fc.constantFrom(
      "..",
      ".",
      "/",
      "\\",
      "%2e",
      "%2E",
      "%2f",
      "%5c",
      "%00",
      "%c0%ae",
      "%c0%af",
      "%252e",
      "%25",
      ":",
      "C:",
      "outside",
      "secret.txt",
      "sub",
      "dir-out",
      "link-out.txt",
      "site.css",
      "index.html",
      ".env",
      "a",
      " ",
    );
    const real = (await import("node:fs")).realpathSync(site.root);
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 12 }), fc.boolean(), async (pieces, allowDotfiles) => {
        const uri = `/${pieces.join("")}`;
        const response = await fileRequest({ ...mockRequest("GET", "/"), uri }, site.root, { allowDotfiles });
        if (response === undefined) return;
        const body = response.body;
        expect(body).toBeInstanceOf(FileBody);
        expect(isInside((body as FileBody).path, real)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
