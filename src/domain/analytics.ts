/**
 * Rules of analysis and benchmarking (SPEC C4), with no I/O: rates per 1,000 staff as the national statistics
 * publish them, shares, year-on-year change, rank, percentile and median, and the NHS financial year and month
 * of an instant in England. Figures are kept as integer tenths wherever they are rounded, so rounding, ties and
 * medians are exact, never at the mercy of binary fractions (69 / 4,062 × 1,000 is 16.98…, published as 17.0).
 */
import { londonParts } from './incidents.ts';

// ---- exact rounding ------------------------------------------------------------------------------------------

/** `numerator / denominator` rounded to the nearest whole number, halves away from zero. Integers in, integer out. */
export function roundedQuotient(numerator: number, denominator: number): number {
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || denominator === 0)
    throw new RangeError(`roundedQuotient needs safe integers and a non-zero denominator, got ${numerator}/${denominator}`);
  const sign = Math.sign(numerator) * Math.sign(denominator);
  const n = Math.abs(numerator);
  const d = Math.abs(denominator);
  return sign * Math.floor((2 * n + d) / (2 * d)) || 0;
}

/** Tenths as the one-decimal figure they stand for: 170 → 17. */
export const fromTenths = (tenths: number | null): number | null => (tenths === null ? null : tenths / 10);

/** One decimal place, always shown: 17 → "17.0", null → "–" (no figure). */
export function oneDecimal(value: number | null): string {
  return value === null ? '–' : value.toFixed(1);
}

// ---- rates and shares -------------------------------------------------------------------------------------------

/**
 * `004` (peer table: total assaults, assaults involving medical factors, staff): the rate of reported incidents per
 * 1,000 staff, in tenths, as the NHS Security Management Service published it: one decimal place, halves rounded
 * up. 69 assaults among 4,062 staff → 170 (17.0). No staff figure (or none recorded) → null: no rate.
 */
export function ratePer1000Tenths(count: number, staff: number | null | undefined): number | null {
  if (!staff || staff <= 0) return null;
  return roundedQuotient(count * 10_000, staff);
}

/** The rate per 1,000 staff to one decimal place (`004`): 69 among 4,062 staff → 17. */
export function ratePer1000(count: number, staff: number | null | undefined): number | null {
  return fromTenths(ratePer1000Tenths(count, staff));
}

/** `part` as a percentage of `whole`, one decimal place (62 of 69 → 89.9). Null when `whole` is 0. */
export function sharePercent(part: number, whole: number): number | null {
  if (whole <= 0) return null;
  return roundedQuotient(part * 1000, whole) / 10;
}

/** Year-on-year change as a percentage, one decimal place (120 after 100 → 20.0; 80 after 100 → −20.0). Null from 0. */
export function percentChange(current: number, previous: number): number | null {
  if (previous <= 0) return null;
  return roundedQuotient((current - previous) * 1000, previous) / 10;
}

/**
 * Average days from report to closure, one decimal place, from the total seconds of `n` closed cases (two cases
 * closed after 1 and 2 days → 1.5). Null when nothing was closed.
 */
export function averageDays(totalSeconds: number, n: number): number | null {
  if (n <= 0) return null;
  return roundedQuotient(Math.round(totalSeconds) * 10, n * 86_400) / 10;
}

// ---- rank, percentile, median -------------------------------------------------------------------------------------

/**
 * Median of figures given in tenths, in tenths: the middle one, or for an even count the mean of the middle two
 * with a half-tenth rounded up (17.0 and 19.1 → 18.05 → 18.1, as a published figure would be). Null when empty.
 */
export function medianTenths(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid] as number;
  return roundedQuotient((sorted[mid - 1] as number) + (sorted[mid] as number), 2);
}

/**
 * Rank within a group, 1 for the highest rate ("standard competition" ranking: tied figures share a rank and
 * the next rank is skipped, 1, 2, 2, 4). Figures are compared as published (tenths), so organisations whose
 * published rates are equal rank equal.
 */
export function rankHighestFirst(values: readonly number[], value: number): number {
  return values.filter((v) => v > value).length + 1;
}

/**
 * Percentile rank within a group, one decimal place: the percentage of the group's organisations with a lower
 * rate, counting those with the same rate (the organisation itself included) as half. The highest of four
 * distinct rates is at 87.5, the lowest at 12.5; every organisation of an all-equal group is at 50.0.
 */
export function percentileRank(values: readonly number[], value: number): number | null {
  if (values.length === 0) return null;
  const below = values.filter((v) => v < value).length;
  const equal = values.filter((v) => v === value).length;
  return roundedQuotient((2 * below + equal) * 1000, 2 * values.length) / 10;
}

export type BenchmarkInput<K> = { key: K; count: number; staff: number | null };
export type BenchmarkRow<K> = BenchmarkInput<K> & {
  rateTenths: number | null;
  rate: number | null;
  rank: number | null;
  percentile: number | null;
};

/**
 * A peer table (`004`): each organisation's rate per 1,000 staff, and its rank and percentile among those of the
 * group that have a rate (an organisation without a staff figure has no rate and is not ranked), with the group's
 * median rate. Rows come back highest rate first, unranked last, then in the order given.
 */
export function benchmark<K>(rows: readonly BenchmarkInput<K>[]): { rows: BenchmarkRow<K>[]; medianTenths: number | null; ranked: number } {
  const rated = rows.map((r) => ({ ...r, rateTenths: ratePer1000Tenths(r.count, r.staff) }));
  const values = rated.flatMap((r) => (r.rateTenths === null ? [] : [r.rateTenths]));
  // One sort, then each distinct rate's standing: how many are higher, lower and equal (rankHighestFirst and
  // percentileRank give the same answers, one organisation at a time; this is the same rule for a whole group).
  const ascending = [...values].sort((a, b) => a - b);
  const standing = new Map<number, { below: number; equal: number }>();
  for (let i = 0; i < ascending.length; i++) {
    const v = ascending[i] as number;
    const s = standing.get(v);
    if (s) s.equal++;
    else standing.set(v, { below: i, equal: 1 });
  }
  const n = ascending.length;
  const out = rated.map((r, i) => {
    const s = r.rateTenths === null ? undefined : standing.get(r.rateTenths);
    return {
      ...r,
      order: i,
      rate: fromTenths(r.rateTenths),
      rank: s ? n - s.below - s.equal + 1 : null,
      percentile: s ? roundedQuotient((2 * s.below + s.equal) * 1000, 2 * n) / 10 : null,
    };
  });
  out.sort((a, b) => (a.rank ?? Number.POSITIVE_INFINITY) - (b.rank ?? Number.POSITIVE_INFINITY) || a.order - b.order);
  return { rows: out.map(({ order: _o, ...r }) => r), medianTenths: medianTenths(values), ranked: n };
}

// ---- months and financial years in England ---------------------------------------------------------------------

/** A calendar month as `YYYY-MM`. */
export type Month = string;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isMonth(text: string): boolean {
  return MONTH.test(text);
}

function monthParts(month: Month): { year: number; month: number } {
  const m = MONTH.exec(month);
  if (!m) throw new RangeError(`not a month (YYYY-MM): ${month}`);
  return { year: Number(m[1]), month: Number(m[2]) };
}

/** The month a clock in England showed at `instant` (an incident at 00:30 BST on 1 April belongs to April). */
export function londonMonth(instant: Date): Month {
  const p = londonParts(instant);
  return `${p.year}-${String(p.month).padStart(2, '0')}`;
}

/** `month` moved by `n` months (negative: earlier). */
export function addMonths(month: Month, n: number): Month {
  const p = monthParts(month);
  const index = p.year * 12 + (p.month - 1) + n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** Every month from `from` to `to`, inclusive, in order (empty when `to` is before `from`). */
export function monthsFrom(from: Month, to: Month): Month[] {
  const out: Month[] = [];
  for (let m = from; m <= to; m = addMonths(m, 1)) out.push(m);
  return out;
}

/**
 * The NHS financial year (1 April to 31 March) a month belongs to, named by its first calendar year: 2026-03 is
 * in 2025 (2025/26), 2026-04 in 2026 (2026/27).
 */
export function financialYearOfMonth(month: Month): number {
  const p = monthParts(month);
  return p.month >= 4 ? p.year : p.year - 1;
}

/** The financial year of an instant, by the clock in England (the year turns at midnight on 1 April, UK time). */
export function financialYearOf(instant: Date): number {
  return financialYearOfMonth(londonMonth(instant));
}

/** 2026 → "2026/27", the way NHS annual reports write financial years. */
export function financialYearLabel(startYear: number): string {
  return `${startYear}/${String((startYear + 1) % 100).padStart(2, '0')}`;
}

/** The first and last months of a financial year: 2026 → 2026-04 … 2027-03. */
export function financialYearMonths(year: number): { from: Month; to: Month } {
  return { from: `${year}-04`, to: `${year + 1}-03` };
}

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LONG_MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** `2026-04` → "Apr 2026" (chart axes) or, with `long`, "April 2026" (text). */
export function monthLabel(month: Month, long = false): string {
  const p = monthParts(month);
  return `${(long ? LONG_MONTH_NAMES : MONTH_NAMES)[p.month - 1]} ${p.year}`;
}
