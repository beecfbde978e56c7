/**
 * The cookie store's memory of seals it recently wrote or verified, so that reading back the cookie it has
 * just set costs a lookup instead of a decryption. Bounded, oldest out first.
 */

/** A verified seal's contents: when it was written and its JSON text. */
export interface CachedSeal {
  readonly issuedAt: number;
  readonly json: string;
}

/**
 * Up to `size` seals and their contents, keyed by the seal's full text. The head-to-head counter run that
 * justifies it is in bench/README.md ("cookieStore cacheSize 0").
 *
 * @example
 * const cache = new SealCache(1000);
 * cache.remember(sealed, issuedAt, json);
 * cache.get(sealed)?.json;
 */
export class SealCache {
  readonly #size: number;
  // A Map iterates in insertion order, so its first key is the oldest seal.
  readonly #entries = new Map<string, CachedSeal>();

  constructor(size: number) {
    this.#size = size;
  }

  /** The cached contents of exactly `sealed`, or `undefined`. */
  get(sealed: string): CachedSeal | undefined {
    return this.#entries.get(sealed);
  }

  /** Remembers `sealed` and what it holds, forgetting the oldest seal when full. */
  remember(sealed: string, issuedAt: number, json: string): void {
    if (this.#size === 0) return;
    this.#entries.delete(sealed);
    if (this.#entries.size === this.#size) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(sealed, { issuedAt, json });
  }

  /** Forgets `sealed` (an expired seal), if it is here. */
  forget(sealed: string): void {
    this.#entries.delete(sealed);
  }
}
