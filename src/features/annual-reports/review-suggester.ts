/**
 * The annual report's suggester for the self review (issue 5 item 8): standard 1.5 of the commissioners'
 * standards (002 std 1.5, an annual report to the executive board, signed off there) from the annual report
 * recorded for the review's financial year. The rule is src/domain/suggestions.ts.
 */
import { suggestAnnualReport } from '../../domain/suggestions.ts';
import { financialYearLabel } from '../organisations/schema.ts';
import type { Suggester } from '../self-review/suggesters.ts';
import { annualReportsRepository as repo } from './repository.ts';
import { BOARD_DECISION_LABELS } from './schema.ts';

export const annualReportSuggester: Suggester = {
  id: 'annual-reports.signed-report',
  label: 'The annual report to the Board recorded in Warden',
  standards: [{ framework: 'nhs-protect-commissioners', number: '1.5' }],
  async suggest(tx, { orgId, year }) {
    const r = await repo.forYear(tx, orgId, year);
    const s = suggestAnnualReport(year, r ? { status: r.status, presentedOn: r.presented_on, boardDecision: r.board_decision, signedAt: r.signed_at } : null);
    if (!r || s.rating !== 'green' || !r.board_decision) return s;
    return {
      ...s,
      evidence: {
        kind: 'outcome',
        label: `Annual report ${financialYearLabel(year)}: presented to the Board on ${r.presented_on} (${BOARD_DECISION_LABELS[r.board_decision].toLowerCase()}), signed off by the SMD`,
        record: { type: 'annual_report', id: r.id },
      },
    };
  },
};
