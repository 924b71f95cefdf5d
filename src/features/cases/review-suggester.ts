/**
 * Case management's suggester for the self review (issue 5 item 8): standard 4.1 of the commissioners' standards
 * (002 std 4.1, investigations "in a timely and proportionate manner") from how many manager's investigations
 * due in the review's financial year were completed by their due date. The rule is src/domain/suggestions.ts.
 */
import { suggestInvestigationTimeliness } from '../../domain/suggestions.ts';
import type { Suggester } from '../self-review/suggesters.ts';
import { casesRepository as repo } from './repository.ts';
import { londonDay } from './service.ts';

export const investigationTimelinessSuggester: Suggester = {
  id: 'cases.investigation-timeliness',
  label: "Manager's investigations completed by their due date",
  standards: [{ framework: 'nhs-protect-commissioners', number: '4.1' }],
  async suggest(tx, { orgId, year, now }) {
    const from = `${year}-04-01`;
    const to = `${year + 1}-03-31`;
    const figures = await repo.investigationTimeliness(tx, orgId, from, to, londonDay(now));
    const s = suggestInvestigationTimeliness({ year, ...figures });
    return {
      ...s,
      ...(s.rating && figures.due > 0
        ? {
            evidence: {
              kind: 'outcome' as const,
              label: `Investigation timeliness ${year}/${String((year + 1) % 100).padStart(2, '0')}: ${figures.onTime} of ${figures.due} manager's investigations completed by their due date (Warden case data)`,
              url: '/cases/overdue',
            },
          }
        : {}),
    };
  },
};
