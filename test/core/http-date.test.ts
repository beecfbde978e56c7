import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseHttpDate } from "../../src/core/http-date.js";

const DAYS_LONG = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** The three RFC 9110 §5.6.7 forms of one instant. */
function forms(ms: number): { imf: string; rfc850: string; asctime: string } {
  const d = new Date(ms);
  const imf = d.toUTCString();
  const [, dd, mon, yyyy, time] = /^\w{3}, (\d{2}) (\w{3}) (\d{4}) (\S+) GMT$/.exec(imf)!;
  const rfc850 = `${DAYS_LONG[d.getUTCDay()]}, ${dd}-${mon}-${yyyy!.slice(2)} ${time} GMT`;
  const day = String(d.getUTCDate()).padStart(2, " ");
  const asctime = `${imf.slice(0, 3)} ${mon} ${day} ${time} ${yyyy}`;
  return { imf, rfc850, asctime };
}

describe("parseHttpDate", () => {
  it("reads RFC 9110's three examples as the same instant", () => {
    expect(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT")).toBe(784111777);
    expect(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT")).toBe(784111777);
    expect(parseHttpDate("Sun Nov  6 08:49:37 1994")).toBe(784111777);
  });

  it.each([
    "",
    "yesterday",
    "2",
    "1994-11-06T08:49:37Z",
    "Sun, 06 Nov 1994 08:49:37 UTC",
    "sun, 06 Nov 1994 08:49:37 GMT",
    "Sun, 06 nov 1994 08:49:37 GMT",
    "Sun, 6 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 8:49:37 GMT",
    "Sun, 31 Feb 1994 08:49:37 GMT",
    "Sun, 29 Feb 1900 08:49:37 GMT",
    "Sun, 00 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 24:00:00 GMT",
    "Sun, 06 Nov 1994 08:60:00 GMT",
    "Sun, 06 Nov 1994 08:49:61 GMT",
    "Sun, 06 Foo 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",
    "Sun Nov 6 08:49:37 1994",
  ])("refuses %j", (value) => {
    expect(parseHttpDate(value)).toBeUndefined();
  });

  it("accepts 29 February of a leap year and a leap second, and ignores surrounding whitespace", () => {
    expect(parseHttpDate("Tue, 29 Feb 2000 00:00:00 GMT")).toBe(Date.UTC(2000, 1, 29) / 1000);
    expect(parseHttpDate("Sat, 31 Dec 2016 23:59:60 GMT")).toBe(Date.UTC(2017, 0, 1) / 1000);
    expect(parseHttpDate("  Sun, 06 Nov 1994 08:49:37 GMT\t")).toBe(784111777);
  });

  it("reads a two-digit RFC 850 year as the latest past year with those digits, at most 50 years ahead", () => {
    const year = new Date().getUTCFullYear();
    const ahead = (year + 50) % 100;
    const tooFar = (year + 51) % 100;
    const at = (yy: number) =>
      new Date(
        parseHttpDate(`Monday, 01-Jan-${String(yy).padStart(2, "0")} 00:00:00 GMT`)! * 1000,
      ).getUTCFullYear();
    expect(at(ahead)).toBe(year + 50);
    expect(at(tooFar)).toBe(year + 51 - 100);
  });

  it("reads back every instant in each of the three forms, at one-second precision (property)", () => {
    const now = Date.now();
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31) }), (ms) => {
        const { imf, asctime } = forms(ms);
        expect(parseHttpDate(imf)).toBe(Math.floor(ms / 1000));
        expect(parseHttpDate(asctime)).toBe(Math.floor(ms / 1000));
      }),
      { numRuns: 500 },
    );
    // RFC 850's two-digit years name only the century around now.
    fc.assert(
      fc.property(
        fc.integer({ min: now - 40 * 365 * 86_400_000, max: now + 40 * 365 * 86_400_000 }),
        (ms) => {
          expect(parseHttpDate(forms(ms).rfc850)).toBe(Math.floor(ms / 1000));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never throws, and whatever it accepts is a real instant (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const seconds = parseHttpDate(text);
        if (seconds !== undefined) expect(Number.isSafeInteger(seconds)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
