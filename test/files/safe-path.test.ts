import { join, normalize, sep } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isInside } from "../../src/files/file-response.js";
import { requestSegments, safeSegments } from "../../src/files/safe-path.js";

const rules = { allowDotfiles: false };
const dotfiles = { allowDotfiles: true };

describe("requestSegments", () => {
  it.each([
    ["/", []],
    ["/css/site.css", ["css", "site.css"]],
    ["//a///b/", ["a", "b"]],
    ["/with%20space.txt", ["with space.txt"]],
    ["/%C3%A9.txt", ["é.txt"]],
    ["/a%2fb", ["a", "b"]],
    ["/%252e%252e/x", ["%2e%2e", "x"]],
    ["/a..b/c.d.e", ["a..b", "c.d.e"]],
  ])("%s is %j", (uri, segments) => {
    expect(requestSegments(uri, rules)).toEqual(segments);
  });

  it.each([
    "/..",
    "/../x",
    "/a/../b",
    "/%2e%2e/x",
    "/%2E%2e%2fx",
    "/.%2e/x",
    "/./x",
    "/.../x",
    "/....//x",
    "/a%5c..%5cb",
    "/a\\b",
    "/C:/Windows",
    "/c%3a%5cwindows",
    "/file.txt::$DATA",
    "/a%00b",
    "/a%0ab",
    "/a%7fb",
    "/%c0%ae%c0%ae/x",
    "/%e0%80%ae",
    "/%ed%a0%80",
    "/%ff",
    "/%zz",
    "/a%2",
    "/.env",
    "/a/.git/config",
    "/%2eenv",
  ])("refuses %s", (uri) => {
    expect(requestSegments(uri, rules)).toBeUndefined();
  });

  it("allows dotfiles only when asked, and never dot-only names", () => {
    expect(requestSegments("/.well-known/acme", dotfiles)).toEqual([".well-known", "acme"]);
    expect(requestSegments("/..", dotfiles)).toBeUndefined();
    expect(requestSegments("/%2e%2e%2f", dotfiles)).toBeUndefined();
    expect(requestSegments("/...", dotfiles)).toBeUndefined();
    expect(requestSegments("/..;/x", rules)).toBeUndefined();
    expect(requestSegments("/..;/x", dotfiles)).toEqual(["..;", "x"]);
  });
});

describe("safeSegments", () => {
  it("applies the same rules to parts that were never percent-encoded", () => {
    expect(safeSegments(["a", "", "b"], rules)).toEqual(["a", "b"]);
    expect(safeSegments(["a", ".."], rules)).toBeUndefined();
    expect(safeSegments(["%2e%2e"], rules)).toEqual(["%2e%2e"]);
  });
});

describe("property: a path built from the segments never leaves the root", () => {
  const root = normalize(`${sep}srv${sep}site`);
  const hostile = fc.constantFrom(
    "..",
    ".",
    "/",
    "\\",
    "%2e",
    "%2E",
    "%2f",
    "%2F",
    "%5c",
    "%00",
    "%c0%ae",
    "%c0%af",
    "%e0%80%ae",
    "%25",
    "%",
    ":",
    "C:",
    "a",
    "é",
    " ",
    "~",
  );
  const uri = fc.oneof(
    fc.array(hostile, { maxLength: 16 }).map((pieces) => `/${pieces.join("")}`),
    fc.string({ unit: "grapheme", maxLength: 24 }).map((text) => `/${text}`),
    fc
      .string({ unit: "binary", maxLength: 24 })
      .map((text) => `/${encodeURIComponent(text).replaceAll("%2F", "/")}`),
  );

  it("holds for hostile and arbitrary paths, dotfiles allowed or not", () => {
    fc.assert(
      fc.property(uri, fc.boolean(), (path, allowDotfiles) => {
        const segments = requestSegments(path, { allowDotfiles });
        if (segments === undefined) return;
        for (const segment of segments) {
          expect(segment).not.toMatch(/^\.+$|[/\\:\0]/);
          if (!allowDotfiles) expect(segment.startsWith(".")).toBe(false);
        }
        expect(isInside(join(root, ...segments), root)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});

describe("isInside", () => {
  it("tells a child from a sibling that shares a prefix", () => {
    expect(isInside("/srv/site", "/srv/site")).toBe(true);
    expect(isInside("/srv/site/a", "/srv/site")).toBe(true);
    expect(isInside("/srv/site2/a", "/srv/site")).toBe(false);
    expect(isInside("/srv", "/srv/site")).toBe(false);
    expect(isInside("/etc/passwd", "/")).toBe(true);
  });
});
