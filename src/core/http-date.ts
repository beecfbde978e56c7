/**
 * HTTP-date (RFC 9110 §5.6.7), the format of `Last-Modified`, `If-Modified-Since`, `Date` and `Expires`:
 * a strict parser for its three forms, so a conditional request never hangs on what `Date.parse` guesses
 * from a malformed value. No `node:` imports.
 */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
// RFC 9110 §5.6.7: HTTP-date is case-sensitive, and these are its three forms.
const IMF_FIXDATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850_DATE =
  /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME_DATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ( \d|\d{2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * The time an HTTP-date names, in whole seconds since the epoch, or `undefined` when `value` is not one of
 * RFC 9110's three forms (IMF-fixdate, the obsolete RFC 850 form and asctime) or names no real date. The
 * weekday is not checked against the date, as most servers do not. Surrounding whitespace is ignored.
 *
 * @example
 * parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"); // 784111777
 * parseHttpDate("yesterday");                      // undefined
 */
export function parseHttpDate(value: string): number | undefined {
  const text = value.trim();
  let m = IMF_FIXDATE.exec(text);
  if (m !== null) return toSeconds(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = RFC850_DATE.exec(text);
  if (m !== null) return toSeconds(fullYear(Number(m[3])), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = ASCTIME_DATE.exec(text);
  if (m !== null) return toSeconds(Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!);
  return undefined;
}

/**
 * RFC 9110 §5.6.7: a two-digit year that would be more than 50 years in the future is the most recent
 * past year with those digits.
 */
function fullYear(twoDigits: number): number {
  const now = new Date().getUTCFullYear();
  let year = now - (now % 100) + twoDigits;
  if (year > now + 50) year -= 100;
  return year;
}

function toSeconds(
  year: number,
  monthName: string,
  day: number,
  hour: string,
  minute: string,
  second: string,
): number | undefined {
  const month = MONTHS.indexOf(monthName);
  const h = Number(hour);
  const min = Number(minute);
  // 60 is a leap second (RFC 9110 §5.6.7 allows it); it is counted as the next second, as POSIX time does.
  const s = Number(second);
  if (month === -1 || day < 1 || h > 23 || min > 59 || s > 60) return undefined;
  const days = new Date(Date.UTC(2000, month + 1, 0)).getUTCDate();
  if (day > (month === 1 ? (isLeapYear(year) ? 29 : 28) : days)) return undefined;
  const ms = Date.UTC(year, month, day, h, min, s);
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear puts them back where they belong.
  const date = new Date(ms);
  if (year < 100) date.setUTCFullYear(year);
  return Math.floor(date.getTime() / 1000);
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
