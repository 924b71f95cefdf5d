/**
 * Dates as people read them. The NHS digital service manual's content style writes dates in full, "15 November
 * 2026", not as numbers: pages and messages use this, never `2026-11-15` (which forms and the API keep).
 */

/**
 * "15 November 2026" from an instant (its day in England) or a `YYYY-MM-DD` day (that day, whatever the time
 * zone); '' for none. Views use it as the `date` filter.
 */
export function longDate(d: Date | string | null | undefined): string {
  if (!d) return '';
  const when = typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d) ? new Date(`${d}T12:00:00Z`) : new Date(d);
  return when.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
}
