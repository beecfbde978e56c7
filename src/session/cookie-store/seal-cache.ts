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
 * Up to `size` seals and their contents, keyed by the seal's full text: the newer generation fills to half of
 * `size`, then becomes the older one and the previous older generation is dropped whole. So at least the
 * `size / 2` most recent seals are always here. (A single `Map` that drops its oldest key on every insert
 * is slower: each deletion at the front leaves a hole the next `keys().next()` must step over.) The
 * head-to-head counter run that justifies the cache is in bench/README.md ("cookieStore cacheSize 0").
 *
 * @example
 * const cache = new SealCache(1000);
 * cache.remember(sealed, issuedAt, json);
 * cache.get(sealed)?.json;
 */
export class SealCache {
  readonly #generationSize: number;
  #newer = new Map<string, CachedSeal>();
  #older = new Map<string, CachedSeal>();

  constructor(size: number) {
    this.#generationSize = Math.ceil(size / 2);
  }

  /** The cached contents of exactly `sealed`, or `undefined`. */
  get(sealed: string): CachedSeal | undefined {
    return this.#newer.get(sealed) ?? this.#older.get(sealed);
  }

  /** Remembers `sealed` and what it holds, dropping the older generation when the newer one is full. */
  remember(sealed: string, issuedAt: number, json: string): void {
    if (this.#generationSize === 0) return;
    if (this.#newer.size >= this.#generationSize && !this.#newer.has(sealed)) {
      this.#older = this.#newer;
      this.#newer = new Map();
    }
    this.#newer.set(sealed, { issuedAt, json });
  }

  /** Forgets `sealed` (an expired seal), if it is here. */
  forget(sealed: string): void {
    this.#newer.delete(sealed);
    this.#older.delete(sealed);
  }
}
