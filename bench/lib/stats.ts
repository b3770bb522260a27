/** Small statistics over millisecond samples: nearest-rank percentiles, as load tools report them. */

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function sum(samples: readonly number[]): number {
  return samples.reduce((a, b) => a + b, 0);
}

/** Rounds for the table and the JSON: 2 decimals below 10, 1 below 100, else whole. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const digits = Math.abs(value) < 10 ? 2 : Math.abs(value) < 100 ? 1 : 0;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function mib(kib: number): number {
  return round(kib / 1024);
}
