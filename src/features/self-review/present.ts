/**
 * How the self review pages show ratings and evidence: nhsuk tags for ratings, links for evidence. Everything
 * user-written is escaped here before it becomes markup for the macros' `html` options.
 */
import type { StandardRating } from '../../domain/rag.ts';
import { escapeHtml as esc } from '../../platform/views.ts';

export const RATING_TEXT: Record<string, string> = { red: 'Red', amber: 'Amber', green: 'Green', not_applicable: 'Not applicable' };
const TAG_CLASS: Record<string, string> = { red: 'nhsuk-tag--red', amber: 'nhsuk-tag--orange', green: 'nhsuk-tag--green', not_applicable: 'nhsuk-tag--grey' };
export const STATUS_TAG: Record<string, string> = { draft: 'nhsuk-tag--blue', signed: 'nhsuk-tag--purple', submitted: 'nhsuk-tag--green' };

export { esc };

export const tagHtml = (r: StandardRating | null | undefined) =>
  r ? `<strong class="nhsuk-tag ${TAG_CLASS[r]}">${RATING_TEXT[r]}</strong>` : '<strong class="nhsuk-tag nhsuk-tag--white">Not rated</strong>';

const TREND_TEXT = { up: 'Better than', down: 'Worse than', same: 'Same as' } as const;
/** "Better than last year (amber)", in words (no arrows only a sighted reader would get). */
export function trendText(trend: 'up' | 'down' | 'same' | null, previous: StandardRating | null | undefined, previousLabel: string): string {
  if (!trend) return previous ? `${previousLabel}: ${RATING_TEXT[previous]}` : `No rating for ${previousLabel}`;
  return `${TREND_TEXT[trend]} ${previousLabel} (${RATING_TEXT[previous as string] ?? ''})`;
}

export const list = (xs: string[]) => `<ul>${xs.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`;

type Evidence = { kind: string; label: string; href: string | null; document?: { fileName: string } | null; record?: { type: string } | null };
/** An evidence item as a link when it has somewhere to go, with what it is. */
export function evidenceHtml(e: Evidence): string {
  const what = e.document
    ? ` (document: ${esc(e.document.fileName)})`
    : e.record?.type === 'incident'
      ? ' (case in Warden)'
      : e.record?.type === 'annual_report'
        ? ' (annual report in Warden)'
        : '';
  return `${e.href ? `<a href="${esc(e.href)}">${esc(e.label)}</a>` : esc(e.label)}${what}`;
}
