/**
 * A bounded map keyed by a short list of numbers (an operator group's shape, an
 * operator's cost inputs): one hash of the numbers' bits, entries compared number
 * by number, so a lookup builds no key string. Cleared whole when full, so
 * memory stays flat on any sweep.
 */
const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);

/** FNV-1a over the numbers' IEEE-754 bits (equal numbers, equal hash; -0 and 0 differ, harmlessly). */
function hashOf(key: ArrayLike<number>, length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) {
    scratch[0] = key[i];
    h = Math.imul(h ^ words[0], 0x01000193);
    h = Math.imul(h ^ words[1], 0x01000193);
  }
  // 30 bits: a small integer, which a Map hashes and stores without boxing.
  return h & 0x3fffffff;
}

export class NumberKeyMap<V> {
  private readonly buckets = new Map<number, { key: Float64Array; value: V }[]>();
  private entries = 0;

  constructor(private readonly bound: number) {}

  get size(): number {
    return this.entries;
  }

  /** `length`: how many leading numbers of `key` are the key (default: all). */
  get(key: ArrayLike<number>, length = key.length): V | undefined {
    const bucket = this.buckets.get(hashOf(key, length));
    if (!bucket) return undefined;
    outer: for (const e of bucket) {
      if (e.key.length !== length) continue;
      for (let i = 0; i < length; i++) if (e.key[i] !== key[i]) continue outer;
      return e.value;
    }
    return undefined;
  }

  set(key: ArrayLike<number>, value: V, length = key.length): void {
    if (this.entries >= this.bound) this.clear();
    const h = hashOf(key, length);
    let bucket = this.buckets.get(h);
    if (!bucket) this.buckets.set(h, (bucket = []));
    const copy = new Float64Array(length);
    for (let i = 0; i < length; i++) copy[i] = key[i];
    bucket.push({ key: copy, value });
    this.entries++;
  }

  clear(): void {
    this.buckets.clear();
    this.entries = 0;
  }
}
