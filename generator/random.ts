/** Character codes of the two hex digits of every byte, so a UUID is table look-ups rather than toString calls. */
const HEX_CODES = Uint8Array.from({ length: 512 }, (_, i) => byte2hex(i >> 1).charCodeAt(i & 1));
const DASH = 0x2d;

/** The two-digit lower-case hex spelling of a byte. */
function byte2hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

/** Code of the high hex digit of a byte. */
function hi(byte: number): number {
  return HEX_CODES[byte << 1]!;
}

/** Code of the low hex digit of a byte. */
function lo(byte: number): number {
  return HEX_CODES[(byte << 1) | 1]!;
}

/** Mixes a 32-bit value thoroughly (the splitmix32 finaliser); used to expand seeds. */
function mix32(value: number): number {
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Hashes a string to 32 bits (FNV-1a), so seeds can be derived from names such as an organisation key. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * A small, fast, seeded pseudo-random generator (sfc32) with the helpers the data generator needs.
 * The same seed always yields the same sequence on every platform: only 32-bit integer arithmetic.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;

  /** Seeds the generator; any finite number works, fractional parts are ignored. */
  constructor(seed: number) {
    const s = Math.trunc(seed) | 0;
    this.a = mix32(s);
    this.b = mix32(s ^ 0x6a09e667);
    this.c = mix32(s ^ 0xbb67ae85);
    this.d = 1;
    // sfc32 needs a few rounds before its state is well mixed.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float uniformly distributed in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** An integer uniformly distributed in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A float uniformly distributed in [min, max). */
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("cannot pick from an empty array");
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A normally distributed float (Marsaglia's polar method; the second value is kept for the next call). */
  normal(mean = 0, sd = 1): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return mean + sd * spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = this.next() * 2 - 1;
      v = this.next() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * factor;
    return mean + sd * u * factor;
  }

  /** A log-normally distributed float with the given median and log-scale spread. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(this.normal(0, sigma));
  }

  /** A Poisson-distributed count with mean lambda (Knuth below 30, a rounded normal above). */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda >= 30) return Math.max(0, Math.round(this.normal(lambda, Math.sqrt(lambda))));
    const limit = Math.exp(-lambda);
    let count = 0;
    let product = this.next();
    while (product > limit) {
      count++;
      product *= this.next();
    }
    return count;
  }

  /** A random version-4 UUID drawn from this generator: deterministic, and valid for zod's z.uuid(). */
  uuid(): string {
    const w0 = this.uint32();
    const w1 = this.uint32();
    const w2 = this.uint32();
    const w3 = this.uint32();
    // Byte 6 carries the version nibble (4), byte 8 the RFC 4122 variant bits (10xx, so 8–b).
    const b6 = ((w1 >>> 8) & 0x0f) | 0x40;
    const b8 = ((w2 >>> 24) & 0x3f) | 0x80;
    // One fromCharCode call builds a flat string; concatenating 20 pieces would allocate a rope.
    // prettier-ignore
    return String.fromCharCode(
      hi(w0 >>> 24),
      lo(w0 >>> 24),
      hi((w0 >>> 16) & 0xff),
      lo((w0 >>> 16) & 0xff),
      hi((w0 >>> 8) & 0xff),
      lo((w0 >>> 8) & 0xff),
      hi(w0 & 0xff),
      lo(w0 & 0xff),
      DASH,
      hi(w1 >>> 24),
      lo(w1 >>> 24),
      hi((w1 >>> 16) & 0xff),
      lo((w1 >>> 16) & 0xff),
      DASH,
      hi(b6),
      lo(b6),
      hi(w1 & 0xff),
      lo(w1 & 0xff),
      DASH,
      hi(b8),
      lo(b8),
      hi((w2 >>> 16) & 0xff),
      lo((w2 >>> 16) & 0xff),
      DASH,
      hi((w2 >>> 8) & 0xff),
      lo((w2 >>> 8) & 0xff),
      hi(w2 & 0xff),
      lo(w2 & 0xff),
      hi(w3 >>> 24),
      lo(w3 >>> 24),
      hi((w3 >>> 16) & 0xff),
      lo((w3 >>> 16) & 0xff),
      hi((w3 >>> 8) & 0xff),
      lo((w3 >>> 8) & 0xff),
      hi(w3 & 0xff),
      lo(w3 & 0xff),
    );
  }
}

/** Picks items in proportion to fixed weights in O(log n), from a cumulative table built once. */
export class WeightedPicker<T> {
  private readonly items: readonly T[];
  private readonly cumulative: Float64Array;
  private readonly total: number;

  /** Builds the table; weights must be finite and not negative, and at least one must be positive. */
  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    this.items = entries.map(([item]) => item);
    this.cumulative = new Float64Array(entries.length);
    let total = 0;
    entries.forEach(([, weight], i) => {
      if (!(weight >= 0) || !Number.isFinite(weight))
        throw new RangeError(`weight ${weight} is not a finite number ≥ 0`);
      total += weight;
      this.cumulative[i] = total;
    });
    if (total <= 0) throw new RangeError("at least one weight must be positive");
    this.total = total;
  }

  /** One item, drawn with probability proportional to its weight. */
  pick(rng: Rng): T {
    const target = rng.next() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo]!;
  }
}
