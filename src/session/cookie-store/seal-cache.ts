/**
 * The cookie store's memory of seals it recently wrote or verified, so that reading back the cookie it has
 * just set costs a lookup instead of a decryption. Bounded, oldest out first. No `node:` import.
 */

/** A verified seal's contents: when it was written and its JSON text. */
export interface CachedSeal {
  readonly issuedAt: number;
  readonly json: string;
}

interface Entry extends CachedSeal {
  readonly sealed: string;
}

/**
 * Up to `size` seals and their contents. Entries are found by a number taken from the seal's last characters
 * (its GCM tag, random for every seal) and then compared in full: hashing the whole seal for a `Map<string>`
 * costs about half a microsecond per lookup on Node 20, most of what a cached read costs. A value that only
 * shares those characters with a cached seal is not served from here; it goes on to decryption.
 *
 * @example
 * const cache = new SealCache(1000);
 * cache.remember(sealed, issuedAt, json);
 * cache.get(sealed)?.json;
 */
export class SealCache {
  readonly #size: number;
  readonly #entries = new Map<number, Entry>();
  /** The seals in insertion order, as a ring: the one at `#next` is the oldest once the ring is full. */
  readonly #order: (Entry | undefined)[] = [];
  #next = 0;

  constructor(size: number) {
    this.#size = size;
  }

  /** The cached contents of exactly `sealed`, or `undefined`. */
  get(sealed: string): CachedSeal | undefined {
    const entry = this.#entries.get(tail(sealed));
    return entry !== undefined && entry.sealed === sealed ? entry : undefined;
  }

  /** Remembers `sealed` and what it holds, forgetting the oldest seal when full. */
  remember(sealed: string, issuedAt: number, json: string): void {
    if (this.#size === 0) return;
    const oldest = this.#order[this.#next];
    if (oldest !== undefined) this.#drop(oldest);
    const entry: Entry = { sealed, issuedAt, json };
    this.#order[this.#next] = entry;
    this.#next = this.#next + 1 === this.#size ? 0 : this.#next + 1;
    // Two seals that share the number (about one chance in 2^30 per pair): the newer one is kept.
    this.#entries.set(tail(sealed), entry);
  }

  /** Forgets `sealed` (an expired seal), if it is here. */
  forget(sealed: string): void {
    const entry = this.#entries.get(tail(sealed));
    if (entry !== undefined && entry.sealed === sealed) this.#drop(entry);
  }

  #drop(entry: Entry): void {
    const key = tail(entry.sealed);
    // Only if the number still points at this entry, not at a newer seal that shares it.
    if (this.#entries.get(key) === entry) this.#entries.delete(key);
  }
}

/** 30 bits from the last five characters (base64url of the tag in a real seal), a small integer for V8. */
function tail(sealed: string): number {
  const n = sealed.length;
  let h = 0;
  for (let i = Math.max(0, n - 5); i < n; i++) h = (h << 6) ^ sealed.charCodeAt(i);
  return h & 0x3fffffff;
}
