/**
 * The registry of rating suggesters (issue 5 item 8): any feature whose data says something about a standard
 * registers a suggester here (in services.ts, the composition root), and the self review shows its suggestion
 * beside the standard for the reviewer to accept (one click, audited) or override. A suggester names the
 * standards it speaks to by framework id and standard number, runs inside the review's transaction (so it sees
 * only the reviewing organisation's rows, row-level security included) and returns a rating with its reason.
 */
import type { Tx } from '../../db/database.ts';
import type { SuggestedRating } from '../../domain/suggestions.ts';

/** Evidence a suggestion brings with it when accepted: the data it rests on, as an output or outcome. */
export type SuggestedEvidence = {
  kind: 'output' | 'outcome';
  label: string;
  url?: string;
  record?: { type: 'incident' | 'annual_report'; id: string };
};

export type Suggestion = SuggestedRating & { evidence?: SuggestedEvidence };

export type Suggester = {
  /** Stable id, recorded with an accepted rating, e.g. "cases.investigation-timeliness". */
  id: string;
  /** What the suggestion rests on, for the page: "Manager's investigations completed by their due date". */
  label: string;
  /** The standards it speaks to. */
  standards: readonly { framework: string; number: string }[];
  /** The suggestion for an organisation's financial year (first year), or null when it has nothing to say. */
  suggest(tx: Tx, context: { orgId: string; year: number; now: Date }): Promise<Suggestion | null>;
};

export type SuggesterRegistry = ReturnType<typeof suggesterRegistry>;

export function suggesterRegistry() {
  const list: Suggester[] = [];
  return {
    /** Adds a suggester. Ids are unique. */
    register(s: Suggester) {
      if (list.some((x) => x.id === s.id)) throw new Error(`a suggester "${s.id}" is already registered`);
      list.push(s);
      return this;
    },
    /** The suggesters for one standard of a framework. */
    for(framework: string, number: string): Suggester[] {
      return list.filter((s) => s.standards.some((t) => t.framework === framework && t.number === number));
    },
    /** Every (standard number → suggesters) pair of a framework. */
    forFramework(framework: string): Map<string, Suggester[]> {
      const out = new Map<string, Suggester[]>();
      for (const s of list) for (const t of s.standards) if (t.framework === framework) out.set(t.number, [...(out.get(t.number) ?? []), s]);
      return out;
    },
    get(id: string): Suggester | undefined {
      return list.find((s) => s.id === id);
    },
  };
}
