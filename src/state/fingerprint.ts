/**
 * 64-bit fingerprints of state buffers, as two independent 32-bit lanes: lane A mixes
 * like MurmurHash3's block step, lane B accumulates like xxHash32, and both end in
 * MurmurHash3's fmix32. Deterministic across runs and platforms (Math.imul only).
 */

/** Lane results of the last `fingerprint` call (avoids allocating a pair per state). */
export const fp = { hi: 0, lo: 0 };

export function fingerprint(b: Int32Array, n: number): void {
  let h1 = 0x3c6ef372 ^ n;
  let h2 = 0x165667b1 + n;
  for (let i = 0; i < n; i++) {
    let k = b[i]!;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    h2 = (h2 + Math.imul(b[i]! ^ i, 0x85ebca77)) | 0;
    h2 = (h2 << 13) | (h2 >>> 19);
    h2 = Math.imul(h2, 0x9e3779b1);
  }
  fp.hi = fmix32(h1);
  fp.lo = fmix32(h2 ^ 0x27d4eb2f);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Fingerprint as 16 hex digits, for traces. */
export function fingerprintHex(b: Int32Array): string {
  fingerprint(b, b.length);
  return (fp.hi >>> 0).toString(16).padStart(8, '0') + (fp.lo >>> 0).toString(16).padStart(8, '0');
}

/**
 * Probability that a fingerprint collision hid at least one state, assuming uniform
 * 64-bit hashing: the chance that some pair among `states` distinct states shares a
 * fingerprint, ≤ states² / 2^65.
 */
export function collisionProbability(states: number): number {
  return Math.min(1, (states * states) / 2 ** 65);
}
