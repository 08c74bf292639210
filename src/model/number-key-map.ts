/**
 * Bounded maps keyed by a short list of numbers (an operator group's shape, an
 * operator's cost inputs, a matmul's tile-search inputs): open addressing over flat
 * typed arrays, so a lookup builds no key string and an insert allocates nothing
 * but (rarely) a larger table. Cleared whole when full, so memory stays flat on
 * any sweep; the table grows with use, to at most 8/3 of the bound's slots
 * (a power of two at most 3/4 full) and the bound's keys.
 */
const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);

/** FNV-1a over the numbers' IEEE-754 bits (equal numbers, equal hash; -0 and 0 differ, harmlessly: a miss). */
export function hashNumbers(key: ArrayLike<number>, length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) {
    scratch[0] = key[i];
    h = Math.imul(h ^ words[0], 0x01000193);
    h = Math.imul(h ^ words[1], 0x01000193);
  }
  // Mix the high bits down: slots are taken from the low bits.
  return (h ^ (h >>> 15)) | 0;
}

const FIRST_SLOTS = 1024;
/** Keys are short (the longest, attention's group, has about 20 numbers). */
const MAX_KEY_LENGTH = 255;

/**
 * The keys: a slot holds a key's hash, length and entry number (0, 1, 2, ... in the order
 * the keys came since the last clear); the key's numbers are stored by entry (so a table
 * 3/4 full at most costs no room for the empty slots' keys), and the subclasses keep
 * values by entry, so growing the table moves slot numbers but never keys or values.
 */
export abstract class NumberKeyIndex {
  private slots = 0;
  private mask = 0;
  /** A slot's key length; 0: empty (no key is empty). */
  private lengths = new Uint8Array(0);
  private hashes = new Int32Array(0);
  private entryOf = new Int32Array(0);
  /** Numbers per stored key: the longest key seen so far. */
  private width = 0;
  /** Keys by entry, `width` numbers each. */
  private keys = new Float64Array(0);
  private entries = 0;

  constructor(readonly bound: number) {}

  get size(): number {
    return this.entries;
  }

  /** The key's entry, or -1. `length`: how many leading numbers of `key` are the key (default: all). */
  protected entry(key: ArrayLike<number>, length: number): number {
    if (this.entries === 0) return -1;
    const slot = this.find(key, length, hashNumbers(key, length));
    return this.lengths[slot] === 0 ? -1 : this.entryOf[slot];
  }

  /** The key's entry, made if new; a new key in a full map clears it first (earlier entries are gone). */
  protected entryFor(key: ArrayLike<number>, length: number): number {
    if (length < 1 || length > MAX_KEY_LENGTH) throw new RangeError(`NumberKeyMap keys have 1 to ${MAX_KEY_LENGTH} numbers, not ${length}`);
    if (4 * (this.entries + 1) > 3 * this.slots) this.growSlots();
    const h = hashNumbers(key, length);
    let slot = this.find(key, length, h);
    if (this.lengths[slot] !== 0) return this.entryOf[slot];
    if (this.entries >= this.bound) {
      this.clear();
      slot = this.find(key, length, h);
    }
    const entry = this.entries++;
    if (length > this.width || (entry + 1) * this.width > this.keys.length) this.growKeys(Math.max(length, this.width));
    this.lengths[slot] = length;
    this.hashes[slot] = h;
    this.entryOf[slot] = entry;
    const base = entry * this.width;
    for (let i = 0; i < length; i++) this.keys[base + i] = key[i];
    return entry;
  }

  clear(): void {
    if (this.entries === 0) return;
    this.lengths.fill(0);
    this.entries = 0;
  }

  /** The key's slot, or the empty slot where it would go (linear probing; the table is at most 3/4 full). */
  private find(key: ArrayLike<number>, length: number, h: number): number {
    const { lengths, hashes, entryOf, keys, width, mask } = this;
    let slot = h & mask;
    for (;;) {
      const n = lengths[slot];
      if (n === 0) return slot;
      if (n === length && hashes[slot] === h) {
        const base = entryOf[slot] * width;
        let i = 0;
        while (i < length && keys[base + i] === key[i]) i++;
        if (i === length) return slot;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** A table with twice the slots (at least FIRST_SLOTS), the keys' slots moved over. */
  private growSlots(): void {
    const old = { lengths: this.lengths, hashes: this.hashes, entryOf: this.entryOf, slots: this.slots };
    let slots = Math.max(FIRST_SLOTS, this.slots);
    while (4 * (this.entries + 1) > 3 * slots) slots *= 2;
    this.slots = slots;
    this.mask = slots - 1;
    this.lengths = new Uint8Array(slots);
    this.hashes = new Int32Array(slots);
    this.entryOf = new Int32Array(slots);
    for (let s = 0; s < old.slots; s++) {
      if (old.lengths[s] === 0) continue;
      // Keys are distinct: the first empty slot from the hash is the key's.
      let slot = old.hashes[s] & this.mask;
      while (this.lengths[slot] !== 0) slot = (slot + 1) & this.mask;
      this.lengths[slot] = old.lengths[s];
      this.hashes[slot] = old.hashes[s];
      this.entryOf[slot] = old.entryOf[s];
    }
  }

  /** Room for more keys (twice as many, up to the bound), or wider keys. */
  private growKeys(width: number): void {
    const capacity = Math.min(this.bound, Math.max(this.entries, 2 * Math.floor(this.keys.length / Math.max(1, this.width)), 256));
    const keys = new Float64Array(capacity * width);
    if (width === this.width) keys.set(this.keys);
    else for (let e = 0; e < this.entries - 1; e++) keys.set(this.keys.subarray(e * this.width, (e + 1) * this.width), e * width);
    this.keys = keys;
    this.width = width;
  }
}

/** Any value by key. */
export class NumberKeyMap<V> extends NumberKeyIndex {
  private values: (V | undefined)[] = [];

  get(key: ArrayLike<number>, length = key.length): V | undefined {
    const e = this.entry(key, length);
    return e < 0 ? undefined : this.values[e];
  }

  set(key: ArrayLike<number>, value: V, length = key.length): void {
    const e = this.entryFor(key, length); // before reading this.values: a clear replaces it
    this.values[e] = value;
  }

  override clear(): void {
    super.clear();
    this.values = [];
  }
}

/**
 * A row of `rowWidth` numbers by key, all rows in one Float64Array (`rows`): no object
 * per entry, nothing for the garbage collector to trace. A row is read at its offset.
 */
export class NumberRowMap extends NumberKeyIndex {
  rows = new Float64Array(0);

  constructor(bound: number, readonly rowWidth: number) {
    super(bound);
  }

  /** Offset of the key's row in `rows`, or -1. */
  rowOf(key: ArrayLike<number>, length = key.length): number {
    const e = this.entry(key, length);
    return e < 0 ? -1 : e * this.rowWidth;
  }

  /** Offset of the key's row, made if new (read `rows` after: it may have grown). */
  rowFor(key: ArrayLike<number>, length = key.length): number {
    const at = this.entryFor(key, length) * this.rowWidth;
    if (at + this.rowWidth > this.rows.length) {
      const grown = new Float64Array(Math.min(this.bound * this.rowWidth, Math.max(2 * this.rows.length, 256 * this.rowWidth)));
      grown.set(this.rows);
      this.rows = grown;
    }
    return at;
  }
}
