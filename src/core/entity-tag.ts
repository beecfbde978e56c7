/**
 * Entity tags (RFC 9110 §8.8.3): the `ETag` of a response and the lists of `If-None-Match` / `If-Match`,
 * parsed by the grammar rather than split on commas, since a comma is a legal character inside a tag.
 * No `node:` imports.
 */

/** One entity-tag: `opaque` is the quoted part with its quotes, `weak` says whether `W/` preceded it. */
export interface EntityTag {
  readonly weak: boolean;
  readonly opaque: string;
}

/**
 * The entity-tag `value` holds (an `ETag` field value), or `undefined` when it is not exactly one
 * well-formed tag: `"xyz"` and `W/"xyz"` are, `xyz` (no quotes) and `w/"xyz"` (lower case) are not.
 *
 * @example
 * parseEntityTag('W/"v1"'); // { weak: true, opaque: '"v1"' }
 */
export function parseEntityTag(value: string): EntityTag | undefined {
  const end = value.length;
  let i = skipSpace(value, 0);
  const tag = readTag(value, i);
  if (tag === undefined) return undefined;
  i = skipSpace(value, tag.next);
  return i === end ? tag.tag : undefined;
}

/**
 * The field value of `If-None-Match` or `If-Match`: `"*"`, or the list of entity-tags it holds (RFC 9110
 * §13.1.1-2, with the list rules of §5.6.1: optional whitespace around commas, empty elements ignored), or
 * `undefined` when it is neither (a malformed field matches nothing).
 *
 * @example
 * parseEntityTagList('"a", W/"b" ,, "c,d"'); // [{ weak: false, opaque: '"a"' }, { weak: true, ... }, ...]
 * parseEntityTagList("*");                   // "*"
 */
export function parseEntityTagList(value: string): "*" | EntityTag[] | undefined {
  const end = value.length;
  let i = skipSpace(value, 0);
  if (value.charCodeAt(i) === 0x2a /* * */) {
    return skipSpace(value, i + 1) === end ? "*" : undefined;
  }
  const tags: EntityTag[] = [];
  while (i < end) {
    if (value.charCodeAt(i) === 0x2c /* , */) {
      i = skipSpace(value, i + 1);
      continue;
    }
    const tag = readTag(value, i);
    if (tag === undefined) return undefined;
    tags.push(tag.tag);
    i = skipSpace(value, tag.next);
    if (i < end && value.charCodeAt(i) !== 0x2c) return undefined;
  }
  return tags;
}

/**
 * RFC 9110 §8.8.3.2 weak comparison: the opaque tags are equal, whether either is weak or not. The one
 * `If-None-Match` uses.
 *
 * @example
 * weakMatch({ weak: true, opaque: '"1"' }, { weak: false, opaque: '"1"' }); // true
 */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}

/** `[ W/ ] DQUOTE *etagc DQUOTE` at `start`, and the index after it. */
function readTag(value: string, start: number): { tag: EntityTag; next: number } | undefined {
  let i = start;
  let weak = false;
  // "W/" is case-sensitive (%x57.2F).
  if (value.charCodeAt(i) === 0x57 && value.charCodeAt(i + 1) === 0x2f) {
    weak = true;
    i += 2;
  }
  if (value.charCodeAt(i) !== 0x22) return undefined;
  const open = i;
  i++;
  for (; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) return { tag: { weak, opaque: value.slice(open, i + 1) }, next: i + 1 };
    // etagc = %x21 / %x23-7E / obs-text (%x80-FF): no space, no control character.
    if (c < 0x21 || c === 0x7f || c > 0xff) return undefined;
  }
  return undefined;
}

function skipSpace(value: string, start: number): number {
  let i = start;
  while (i < value.length) {
    const c = value.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) break;
    i++;
  }
  return i;
}
