import { randomInt } from "node:crypto";

/** Where a remembered key's full text is kept: the journal record it was confirmed in, and when. */
export interface KeyLocation {
  /** Sequence number of the journal record holding the key. */
  record: number;
  /** Confirm time, whole seconds since the epoch, rounded up. */
  timeSeconds: number;
}

/**
 * The in-memory index of an idempotency window: for each remembered key, a 32-bit fingerprint and where the key is
 * (journal record and time), in an open-addressing table of 16 bytes per slot. It holds no key text, so it stays
 * small (about 25–45 bytes per key); a fingerprint match is only a candidate, which the caller confirms against the
 * journal record. A key may be present more than once (confirmed again after its window passed); each entry is
 * removed by its own record.
 */
export interface KeyFingerprintIndex {
  /** Entries in the table. */
  readonly size: number;
  /** The fingerprint of a key under this index's seed. */
  fingerprint(key: string): number;
  /** Adds an entry. */
  add(fingerprint: number, location: KeyLocation): void;
  /** Calls `visit` with the location of every entry of this fingerprint until it returns true; true if one did. */
  some(fingerprint: number, visit: (location: KeyLocation) => boolean): boolean;
  /** Removes the entry of this fingerprint that points at `record`; false if there is none. */
  remove(fingerprint: number, record: number): boolean;
}

/** Words per slot: fingerprint, record (low, high 32 bits), time in seconds. A slot whose time is 0 is empty. */
const WORDS = 4;
const MAX_LOAD = 0.75;
const INITIAL_SLOTS = 1 << 12;

/**
 * Creates an empty index. The fingerprint is seeded at random per process: the index is rebuilt from the journal on
 * every start, and a producer who cannot predict the seed cannot make its ids collide on purpose (a collision costs
 * a journal read, never a wrong answer).
 */
export function createKeyFingerprintIndex(seed = randomInt(2 ** 31)): KeyFingerprintIndex {
  let slots = new Uint32Array(INITIAL_SLOTS * WORDS);
  let mask = INITIAL_SLOTS - 1;
  let size = 0;

  const recordAt = (slot: number) => slots[slot * WORDS + 1]! + slots[slot * WORDS + 2]! * 2 ** 32;

  function place(table: Uint32Array, tableMask: number, fingerprint: number, record: number, timeSeconds: number) {
    let slot = fingerprint & tableMask;
    while (table[slot * WORDS + 3] !== 0) slot = (slot + 1) & tableMask;
    const at = slot * WORDS;
    table[at] = fingerprint;
    table[at + 1] = record % 2 ** 32;
    table[at + 2] = Math.floor(record / 2 ** 32);
    table[at + 3] = timeSeconds;
  }

  function grow(): void {
    const old = slots;
    const capacity = (mask + 1) * 2;
    slots = new Uint32Array(capacity * WORDS);
    mask = capacity - 1;
    for (let at = 0; at < old.length; at += WORDS) {
      if (old[at + 3] !== 0) place(slots, mask, old[at]!, old[at + 1]! + old[at + 2]! * 2 ** 32, old[at + 3]!);
    }
  }

  return {
    get size() {
      return size;
    },

    fingerprint(key) {
      // FNV-1a over UTF-16 code units from a seeded basis, then murmur3's finaliser so every bit reaches the low ones.
      let h = (0x811c9dc5 ^ seed) >>> 0;
      for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
      return h >>> 0;
    },

    add(fingerprint, { record, timeSeconds }) {
      if (timeSeconds <= 0) throw new RangeError(`time must be positive, got ${timeSeconds}`);
      if (size + 1 > (mask + 1) * MAX_LOAD) grow();
      place(slots, mask, fingerprint, record, timeSeconds);
      size++;
    },

    some(fingerprint, visit) {
      for (let slot = fingerprint & mask; slots[slot * WORDS + 3] !== 0; slot = (slot + 1) & mask) {
        if (slots[slot * WORDS] !== fingerprint) continue;
        if (visit({ record: recordAt(slot), timeSeconds: slots[slot * WORDS + 3]! })) return true;
      }
      return false;
    },

    remove(fingerprint, record) {
      let hole = fingerprint & mask;
      for (; ; hole = (hole + 1) & mask) {
        if (slots[hole * WORDS + 3] === 0) return false;
        if (slots[hole * WORDS] === fingerprint && recordAt(hole) === record) break;
      }
      // Backward-shift deletion: later entries of the run move into the hole unless that would put them before
      // their home slot, so every entry stays reachable from its home without tombstones.
      for (let next = (hole + 1) & mask; slots[next * WORDS + 3] !== 0; next = (next + 1) & mask) {
        const home = slots[next * WORDS]! & mask;
        const staysPut = hole <= next ? hole < home && home <= next : hole < home || home <= next;
        if (staysPut) continue;
        slots.copyWithin(hole * WORDS, next * WORDS, next * WORDS + WORDS);
        hole = next;
      }
      slots.fill(0, hole * WORDS, hole * WORDS + WORDS);
      size--;
      return true;
    },
  };
}
