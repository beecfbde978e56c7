import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type EntityTag, parseEntityTag, parseEntityTagList, weakMatch } from "../../src/core/entity-tag.js";

// etagc = %x21 / %x23-7E / obs-text (RFC 9110 §8.8.3), comma included.
const etagc = fc.oneof(
  fc.integer({ min: 0x21, max: 0x21 }),
  fc.integer({ min: 0x23, max: 0x7e }),
  fc.integer({ min: 0x80, max: 0xff }),
);
const tagArb: fc.Arbitrary<EntityTag> = fc.record({
  weak: fc.boolean(),
  opaque: fc.array(etagc, { maxLength: 12 }).map((cs) => `"${String.fromCharCode(...cs)}"`),
});
const ows = fc.constantFrom("", " ", "\t", "  ", " \t ");
const show = (t: EntityTag) => `${t.weak ? "W/" : ""}${t.opaque}`;

describe("parseEntityTag", () => {
  it.each<[string, EntityTag | undefined]>([
    ['"xyzzy"', { weak: false, opaque: '"xyzzy"' }],
    ['W/"xyzzy"', { weak: true, opaque: '"xyzzy"' }],
    ['""', { weak: false, opaque: '""' }],
    [' "a,b" ', { weak: false, opaque: '"a,b"' }],
    ["xyzzy", undefined],
    ['w/"xyzzy"', undefined],
    ['W/ "xyzzy"', undefined],
    ['"a b"', undefined],
    ['"abc', undefined],
    ['"a""b"', undefined],
    ['"a", "b"', undefined],
    ["*", undefined],
  ])("parses %j", (value, expected) => {
    expect(parseEntityTag(value)).toEqual(expected);
  });
});

describe("parseEntityTagList", () => {
  it.each<[string, ReturnType<typeof parseEntityTagList>]>([
    ["*", "*"],
    [" * ", "*"],
    ['"a"', [{ weak: false, opaque: '"a"' }]],
    [
      '"a", W/"b" ,, "c,d"',
      [
        { weak: false, opaque: '"a"' },
        { weak: true, opaque: '"b"' },
        { weak: false, opaque: '"c,d"' },
      ],
    ],
    [', ,"a",', [{ weak: false, opaque: '"a"' }]],
    ["", []],
    ['*, "a"', undefined],
    ['"a" "b"', undefined],
    ['"a", b', undefined],
    ['"a", W/b', undefined],
  ])("parses %j", (value, expected) => {
    expect(parseEntityTagList(value)).toEqual(expected);
  });

  it("reads back any list of tags, weak or strong, with any whitespace and empty elements (property)", () => {
    const element = fc.tuple(ows, tagArb, ows, fc.boolean());
    fc.assert(
      fc.property(fc.array(element, { maxLength: 8 }), (elements) => {
        const text = elements
          .map(([before, tag, after, empty]) => `${before}${show(tag)}${after}${empty ? ", " : ""}`)
          .join(",");
        expect(parseEntityTagList(text)).toEqual(elements.map(([, tag]) => tag));
      }),
      { numRuns: 500 },
    );
  });

  it("never throws, and what it accepts is made of well-formed tags (property)", () => {
    const noise = fc.string({
      unit: fc.constantFrom('"', "W", "/", ",", " ", "*", "a", "\x7f", "é", "\u0100"),
    });
    fc.assert(
      fc.property(noise, (text) => {
        const result = parseEntityTagList(text);
        if (Array.isArray(result)) for (const tag of result) expect(parseEntityTag(show(tag))).toEqual(tag);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("weakMatch", () => {
  it("compares the opaque tags only (RFC 9110 §8.8.3.2's table)", () => {
    const w1 = { weak: true, opaque: '"1"' };
    const s1 = { weak: false, opaque: '"1"' };
    const w2 = { weak: true, opaque: '"2"' };
    expect(weakMatch(w1, w1)).toBe(true);
    expect(weakMatch(w1, w2)).toBe(false);
    expect(weakMatch(w1, s1)).toBe(true);
    expect(weakMatch(s1, s1)).toBe(true);
  });
});
