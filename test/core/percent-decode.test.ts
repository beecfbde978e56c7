import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { percentDecode, percentDecodeStrict } from "../../src/core/percent-decode.js";
import { leastTime } from "../timing.js";

// The decoders these functions replace, kept as the reference their results must match: decodeURIComponent,
// and on its exception the WHATWG decoder that pushed every byte into an array.
const UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });
const ENCODER = new TextEncoder();
function referenceLenient(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    const bytes: number[] = [];
    for (let i = 0; i < text.length; ) {
      const hex = text.slice(i + 1, i + 3);
      if (text[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(Number.parseInt(hex, 16));
        i += 3;
      } else {
        let next = text.indexOf("%", i + 1);
        if (next === -1) next = text.length;
        for (const b of ENCODER.encode(text.slice(i, next))) bytes.push(b);
        i = next;
      }
    }
    return UTF8.decode(new Uint8Array(bytes));
  }
}
function referenceStrict(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

// Text rich in escapes, well-formed or not, UTF-8 or not, beside any UTF-16 unit (unpaired surrogates too).
const unit = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "%",
      "%2",
      "%2B",
      "%41",
      "%E9",
      "%C3%A9",
      "%E2%82",
      "%AC",
      "%zz",
      "%F0%9F%98",
      "%80",
      "%EF%BF%BD",
    ),
  },
  // Any byte escaped, so every UTF-8 lead, continuation and invalid byte meets the decoder.
  {
    weight: 4,
    arbitrary: fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).padStart(2, "0")}`),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "%E0%A0%80",
      "%E0%80",
      "%ED%A0%80",
      "%ED%9F%BF",
      "%F0%90%80%80",
      "%F0%80",
      "%F4%8F%BF%BF",
      "%F4%90",
      "%C0%80",
      "%C2",
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 2 }) },
  { weight: 1, arbitrary: fc.constantFrom("a", "+", "=", "\uD800", "\uDC00", "😀") },
);
const text = fc.string({ unit, maxLength: 30 });

describe("percentDecode", () => {
  it("returns what decodeURIComponent, or the WHATWG decoder where it throws, returned (property)", () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(percentDecode(t)).toBe(referenceLenient(t));
      }),
      { numRuns: 3000 },
    );
  });

  it("keeps a bad % as it is and turns bytes that are not UTF-8 into U+FFFD", () => {
    expect(percentDecode("100%")).toBe("100%");
    expect(percentDecode("%zz%41")).toBe("%zzA");
    expect(percentDecode("%E2%82%AC")).toBe("€");
    expect(percentDecode("%E2%82x")).toBe("\uFFFDx");
    expect(percentDecode("%EF%BF%BD")).toBe("\uFFFD");
    expect(percentDecode("plain")).toBe("plain");
  });

  it("costs about the same for malformed text as for well-formed text of the same length", () => {
    const bad = "%ZZ".repeat(20_000);
    const good = "%41".repeat(20_000);
    const time = (t: string) => leastTime(() => percentDecode(t), { repeats: 11 });
    // Linear either way; the old decoder built an array of every byte on the malformed path.
    expect(time(bad)).toBeLessThan(time(good) * 10 + 20);
  });
});

describe("percentDecodeStrict", () => {
  it("returns what decodeURIComponent returns, and undefined where it throws (property)", () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(percentDecodeStrict(t)).toBe(referenceStrict(t));
      }),
      { numRuns: 3000 },
    );
  });

  it("refuses a truncated escape and bytes that are not UTF-8", () => {
    expect(percentDecodeStrict("%E0%A4%A")).toBeUndefined();
    expect(percentDecodeStrict("%E0%A4")).toBeUndefined();
    expect(percentDecodeStrict("%C3%A9")).toBe("é");
  });
});
