/**
 * The framework file format: one JSON file per version of a set of security management standards, so that a new
 * framework or a new version of one is data, not code (SPEC C5). The shape follows the commissioners' standards
 * 2017-18 (002 ch. 4): key areas of activity, and for each standard its headline, rationale, the criteria for a red,
 * amber and green rating (002 §3.37–3.38), the guidance/evidence list, whether it concerns the monitoring of
 * providers (the shaded standards) and its weight (002 §3.48–3.49).
 */
import { z } from 'zod';

const text = z.string().trim().min(1, 'must not be empty');
const slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lower-case letters, digits and hyphens, e.g. "hold-to-account"');

/** The criteria for one rating: the statements the document lists under it. */
const criteriaList = z.array(text).min(1, 'list at least one criterion');

/**
 * Where the document says a rating is "Not applicable to this standard" (002 ch. 4, amber for 1.1, 1.3 and 1.5),
 * the rating cannot be chosen for that standard: the standard is either met or not.
 */
const notApplicable = z.strictObject({ notApplicable: z.literal(true), text });

/** One entry of the guidance/evidence list; an entry may have sub-items (002 std 1.1 "Documents covering:"). */
const evidenceItem = z.union([text, z.strictObject({ text, items: z.array(text).min(1) })]);

export const standardSchema = z.strictObject({
  /** The standard's number as printed, e.g. "4.1". */
  number: z.string().regex(/^\d+(?:\.\d+)*$/, 'must be a number such as "1.1" or "4.2"'),
  /** The id of one of the framework's key areas. */
  keyArea: slug,
  headline: text,
  /** The rationale, one string per paragraph. */
  rationale: z.array(text).min(1, 'give the rationale'),
  /** True for standards about monitoring providers' arrangements (shaded in 002 ch. 4). */
  monitoringProviders: z.boolean(),
  /**
   * 1 for an ordinary standard; above 1 for a weighted standard in the sense of 002 §3.48–3.49, whose red rating
   * (no activity) keeps its key area and the overall rating from being green. See src/domain/rag.ts.
   */
  weight: z.number().int('must be a whole number').min(1).max(10),
  criteria: z.strictObject({ red: criteriaList, amber: z.union([criteriaList, notApplicable]), green: criteriaList }),
  evidence: z.array(evidenceItem).min(1, 'give the guidance and evidence list'),
  /** Editorial notes on how the published text was transcribed. */
  notes: z.array(text).optional(),
});

export const frameworkSchema = z
  .strictObject({
    /** Identifies the framework across versions, e.g. "nhs-protect-commissioners". */
    id: slug,
    name: text,
    /** The version, e.g. "2017-18". A review keeps the version it was made against. */
    version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'must be letters, digits, dots and hyphens, e.g. "2017-18"'),
    /** Where the text comes from. */
    source: text,
    notes: z.array(text).optional(),
    /** What red, amber and green mean across the framework (002 §3.37). */
    ratingDefinitions: z.strictObject({ red: text, amber: text, green: text }),
    keyAreas: z.array(z.strictObject({ id: slug, name: text })).min(1, 'list at least one key area'),
    standards: z.array(standardSchema).min(1, 'list at least one standard'),
  })
  .superRefine((fw, ctx) => {
    const areas = new Set<string>();
    fw.keyAreas.forEach((a, i) => {
      if (areas.has(a.id)) ctx.addIssue({ code: 'custom', path: ['keyAreas', i, 'id'], message: `key area "${a.id}" is listed twice` });
      areas.add(a.id);
    });
    const numbers = new Set<string>();
    const used = new Set<string>();
    fw.standards.forEach((s, i) => {
      if (numbers.has(s.number)) ctx.addIssue({ code: 'custom', path: ['standards', i, 'number'], message: `standard ${s.number} is listed twice` });
      numbers.add(s.number);
      used.add(s.keyArea);
      if (!areas.has(s.keyArea))
        ctx.addIssue({ code: 'custom', path: ['standards', i, 'keyArea'], message: `"${s.keyArea}" is not one of the key areas (${[...areas].join(', ')})` });
    });
    fw.keyAreas.forEach((a, i) => {
      if (!used.has(a.id)) ctx.addIssue({ code: 'custom', path: ['keyAreas', i], message: `key area "${a.id}" has no standards` });
    });
  });

export type Framework = z.infer<typeof frameworkSchema>;
export type Standard = z.infer<typeof standardSchema>;
export type EvidenceItem = z.infer<typeof evidenceItem>;

/** True when the framework allows an amber rating for this standard. */
export const amberApplies = (s: Standard): boolean => Array.isArray(s.criteria.amber);
