import { z } from 'zod';
import {
  AFFECTED_PERSON_TYPES,
  AGGRAVATING_FACTORS,
  EXAMINED_WITHIN_48H,
  INCIDENT_CATEGORIES,
  INCIDENT_STATUSES,
  isAssault,
  londonTime,
  MEDICAL_FACTORS,
  PERSON_TYPES,
  parseTimeOfDay,
  poundsToPence,
  requiresMedicalFactors,
  shiftEndAfter,
} from '../../domain/incidents.ts';
import { blankToUndefined } from '../../platform/validation.ts';

/** Not given: a blank form field, or null / missing in JSON. */
const given = (v: unknown) => (v === null ? undefined : blankToUndefined(v));

/**
 * One schema for an incident report, shared by the report form, the JSON API and (later) imports. The form's
 * values are first reshaped by `formToInput` (dotted names → nested objects, pounds → pence, blank people
 * dropped); the API sends the same shape as JSON. Field paths are the form's field names, so an error message
 * lands beside its field on the page and under `errors[].field` in problem details.
 */

/** Clock skew allowed between a reporter's device and the server before a time counts as "in the future". */
const FUTURE_TOLERANCE_MS = 5 * 60_000;
const EARLIEST = Date.UTC(2000, 0, 1);

/**
 * The NUL character (U+0000): PostgreSQL cannot store it in text or jsonb, so a value holding one would fail the
 * whole write with a server error. It is refused as bad input instead, naming the field (pasted from a broken
 * document, or sent by a faulty client).
 */
export const NUL = '\u0000';
/** The message for a field holding a NUL character; `what` names the field as its other messages do. */
export const nulMessage = (what: string) => `Remove the hidden NUL character from ${what}: it cannot be stored`;

const bounded = (what: string, max: number) =>
  z
    .string({ error: `Enter ${what}` })
    .refine((s) => !s.includes(NUL), nulMessage(what))
    .trim()
    .max(max, `${what[0]?.toUpperCase()}${what.slice(1)} must be ${max.toLocaleString('en-GB')} characters or fewer`);
const text = (what: string, max: number) => z.preprocess(given, bounded(what, max));
/** Optional text: a blank field, as a browser sends it, counts as not given. */
const optionalText = (what: string, max: number) => z.preprocess(given, bounded(what, max).optional());

/** Yes/no from radios ('yes'/'no') or JSON booleans. */
const yesNo = (message: string) => z.preprocess((v) => (v === 'yes' ? true : v === 'no' ? false : given(v)), z.boolean({ error: message }).optional());

type Parts = { day?: unknown; month?: unknown; year?: unknown; time?: unknown };
const isParts = (v: unknown): v is Parts => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** Day, month and year as typed → { y, m, d }, or an error message naming what is wrong. */
function calendarDate(p: Parts, what: string): { y: number; m: number; d: number } | string {
  const missing = (['day', 'month', 'year'] as const).filter((k) => blank(p[k]));
  if (missing.length === 3) return `Enter ${what}`;
  if (missing.length) return `${what[0]?.toUpperCase()}${what.slice(1)} must include a ${missing.join(' and ')}`;
  const [d, m, y] = [p.day, p.month, p.year].map((v) => (/^\d+$/.test(String(v).trim()) ? Number(String(v).trim()) : Number.NaN)) as [number, number, number];
  const check = new Date(Date.UTC(y, m - 1, d));
  if (!(y >= 1000 && y <= 9999) || check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d)
    return `${what[0]?.toUpperCase()}${what.slice(1)} must be a real date`;
  return { y, m, d };
}

/**
 * When the incident happened: an ISO 8601 date-time with offset (API), or the form's day, month, year and
 * 24-hour time, read as clock time in England.
 */
const occurredAt = z.preprocess(
  (v, ctx) => {
    if (v instanceof Date) return v.toISOString();
    if (!isParts(v)) return given(v);
    const date = calendarDate(v, 'the date the incident happened');
    if (typeof date === 'string') {
      ctx.addIssue({ code: 'custom', message: date, input: v });
      return z.NEVER;
    }
    if (blank(v.time)) {
      ctx.addIssue({ code: 'custom', message: 'Enter the time the incident happened', input: v });
      return z.NEVER;
    }
    const t = parseTimeOfDay(String(v.time));
    if (!t) {
      ctx.addIssue({ code: 'custom', message: 'Enter the time using the 24-hour clock, like 14:30', input: v });
      return z.NEVER;
    }
    return londonTime(date.y, date.m, date.d, t.hour, t.minute).toISOString();
  },
  z.iso
    .datetime({ offset: true, error: 'Enter the date and time the incident happened, like 2026-03-02T14:30:00Z' })
    .transform((s) => new Date(s))
    .refine((d) => d.getTime() <= Date.now() + FUTURE_TOLERANCE_MS, 'The date and time of the incident must be in the past')
    .refine((d) => d.getTime() >= EARLIEST, 'The date of the incident must be after 1 January 2000'),
);

/** A date of birth: 'YYYY-MM-DD' (API) or the form's day, month and year. Never in the future. */
const dateOfBirth = z.preprocess(
  (v, ctx) => {
    if (!isParts(v)) return given(v);
    if ((['day', 'month', 'year'] as const).every((k) => blank(v[k]))) return undefined;
    const date = calendarDate(v, 'date of birth');
    if (typeof date === 'string') {
      ctx.addIssue({ code: 'custom', message: date, input: v });
      return z.NEVER;
    }
    return `${String(date.y).padStart(4, '0')}-${String(date.m).padStart(2, '0')}-${String(date.d).padStart(2, '0')}`;
  },
  z.iso
    .date({ error: 'Enter the date of birth as a date, like 1980-03-27' })
    .refine((s) => Date.parse(`${s}T00:00:00Z`) <= Date.now(), 'Date of birth must be in the past')
    .refine((s) => s >= '1900-01-01', 'Date of birth must be after 1900')
    .optional(),
);

/**
 * The time the reporter's shift ends, for the late-report rule: an ISO date-time (API) or a time of day ('HH:MM'),
 * which the object below resolves to the first such time at or after the incident.
 */
const shiftEnd = z.preprocess(
  (v) => (v instanceof Date ? v.toISOString() : given(v)),
  z
    .string()
    .trim()
    .refine(
      (s) => parseTimeOfDay(s) !== null || (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s))),
      'Enter the time your shift ends using the 24-hour clock, like 19:30',
    )
    .optional(),
);

/** How each free-text field is named in its messages. */
const LABELS = {
  locationDetail: 'where on the site it happened',
  communityAddress: 'the address or place',
  injuryDescription: 'a description of the injuries',
  policeOfficerName: 'the police officer’s name',
  policeOfficerNumber: 'the police officer’s number',
  policeStation: 'the police station',
  crimeReference: 'the crime reference number',
  cadNumber: 'the CAD or incident number',
  propertyDescription: 'a description of the property',
  witnesses: 'the witnesses',
  narrative: 'what happened',
  markerReason: 'why staff should be warned',
} as const;
const PERSON_LABELS = { name: 'the name', staffRole: 'the staff role', description: 'the description' } as const;

const uuid = (message: string) => z.preprocess(given, z.uuid({ error: message }).optional());

const person = <T extends readonly [string, ...string[]]>(types: T, who: string) =>
  z.object({
    type: z.enum(types, { error: `Select who the ${who} was` }),
    name: optionalText(PERSON_LABELS.name, 200),
    dateOfBirth,
    staffRole: optionalText(PERSON_LABELS.staffRole, 200),
    description: optionalText(PERSON_LABELS.description, 2000),
  });

const moneyPence = z.preprocess(
  given,
  z
    .number({ error: 'Enter the value as an amount of money, like 120.50' })
    .int('Enter the value in whole pence')
    .min(0, 'The value must be £0 or more')
    .max(100_000_000_000, 'The value must be £1,000,000,000 or less')
    .optional(),
);

const fields = z.object({
  category: z.enum(INCIDENT_CATEGORIES, { error: 'Select the type of incident' }),
  occurredAt,
  shiftEnd,
  locationKind: z.enum(['site', 'community'], { error: 'Select where the incident happened' }),
  siteId: uuid('Select the site from the list'),
  departmentId: uuid('Select the department or service from the list'),
  locationDetail: optionalText(LABELS.locationDetail, 500),
  communityAddress: optionalText(LABELS.communityAddress, 1000),
  affected: z.preprocess(given, z.array(person(AFFECTED_PERSON_TYPES, 'person affected')).max(20, 'Record at most 20 people affected').default([])),
  assailants: z.preprocess(given, z.array(person(PERSON_TYPES, 'person responsible')).max(20, 'Record at most 20 people responsible').default([])),
  injured: yesNo('Select whether anyone was injured'),
  injuryDescription: optionalText(LABELS.injuryDescription, 2000),
  examinedWithin48h: z.preprocess(given, z.enum(EXAMINED_WITHIN_48H, { error: 'Select whether the injuries were examined' }).optional()),
  medicalFactors: z.preprocess(given, z.enum(MEDICAL_FACTORS, { error: 'Select whether medical factors contributed' }).optional()),
  aggravatingFactors: z
    .preprocess(
      (v) => (v === undefined || v === null || v === '' ? [] : typeof v === 'string' ? [v] : v),
      z.array(z.enum(AGGRAVATING_FACTORS, { error: 'Select aggravating factors from the list' })),
    )
    .default([]),
  policeInvolved: yesNo('Select whether the police were involved'),
  policeAttended: yesNo('Select whether the police attended'),
  policeOfficerName: optionalText(LABELS.policeOfficerName, 200),
  policeOfficerNumber: optionalText(LABELS.policeOfficerNumber, 50),
  policeStation: optionalText(LABELS.policeStation, 200),
  crimeReference: optionalText(LABELS.crimeReference, 100),
  cadNumber: optionalText(LABELS.cadNumber, 100),
  propertyDescription: optionalText(LABELS.propertyDescription, 2000),
  propertyValuePence: moneyPence,
  witnesses: optionalText(LABELS.witnesses, 4000),
  narrative: text(LABELS.narrative, 10_000),
  // 003 §2.2.3.9, §3.2.11: a warning ("history") marker for a place that is not public, asked for by the reporter
  markerRequested: yesNo('Select whether staff should be warned about this place or person'),
  markerReason: optionalText(LABELS.markerReason, 2000),
});

/** Details that belong to a "yes" to "Were the police involved?", as named in a message (003 §3.2.6–3.2.7). */
const POLICE_DETAILS = {
  policeAttended: 'an answer that the police attended',
  policeOfficerName: 'the officer’s name',
  policeOfficerNumber: 'the officer’s number',
  policeStation: 'the police station',
  crimeReference: 'a crime reference number',
  cadNumber: 'a CAD or incident number',
} as const;
/** Details that belong to a "yes" to "Was anyone injured?" (003 §3.2.4). */
const INJURY_DETAILS = { injuryDescription: 'a description of the injuries', examinedWithin48h: 'an answer about their examination' } as const;

/**
 * The yes/no questions that have details behind them, and what to say when details come with a blank or a "no"
 * (the rule is in `incidentInput`): police (003 §3.2.6–3.2.7), injuries (003 §3.2.4) and the warning marker
 * (003 §3.2.11).
 */
const DETAILS_BEHIND_YES: {
  question: 'policeInvolved' | 'injured' | 'markerRequested';
  details: Record<string, string>;
  no: (given: string[]) => string;
  blank: (given: string[]) => string;
}[] = [
  {
    question: 'policeInvolved',
    details: POLICE_DETAILS,
    no: (g) => `You answered no to whether the police were involved but gave ${g.join(', ')}: select yes, or delete the police details`,
    blank: (g) => `You gave ${g.join(', ')}: select whether the police were involved`,
  },
  {
    question: 'injured',
    details: INJURY_DETAILS,
    no: (g) => `You answered no to whether anyone was injured but gave ${g.join(' and ')}: select yes, or delete the injury details`,
    blank: (g) => `You gave ${g.join(' and ')}: select whether anyone was injured`,
  },
  {
    question: 'markerRequested',
    details: { markerReason: 'why staff should be warned' },
    no: () => 'You answered no to a warning marker but said why staff should be warned: select yes, or delete the reason',
    blank: () => 'You said why staff should be warned: select whether you are asking for a warning marker',
  },
];

/** An incident report as submitted, with the rules that tie fields together. */
export const incidentInput = fields
  .superRefine(
    (v, ctx) => {
      const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message, input: v });
      if (v.locationKind === 'site' && !v.siteId) issue(['siteId'], 'Select the site where it happened');
      if (v.locationKind === 'community' && !v.communityAddress) issue(['communityAddress'], 'Enter the address or describe the place where it happened');
      const category = v.category as (typeof INCIDENT_CATEGORIES)[number] | undefined;
      if (category && isAssault(category)) {
        if (!v.affected || v.affected.length === 0) issue(['affected', 0, 'type'], 'Select who was affected');
        if (v.injured === undefined) issue(['injured'], 'Select whether anyone was injured');
      }
      if (category && requiresMedicalFactors(category) && !v.medicalFactors)
        issue(['medicalFactors'], 'Select whether medical factors contributed to the assault');
      // 003 §3.2.4, §3.2.6–3.2.7, §3.2.11: details given behind a yes/no question left blank, or answered "no", are refused
      // with the question asked, never stored nor dropped. Dropping them lost what the reporter typed (a crime
      // reference the LSMS needs for police liaison); storing them against a blank or a "no" would record police
      // involvement or an injury the reporter did not confirm (and the injured flag feeds the assault statistics
      // and the 48-hour examination). Guessing "yes" would leave "did the police attend?" unanswered. One click on
      // the question settles it and loses nothing.
      const answered = (labels: Record<string, string>) =>
        Object.entries(labels)
          .filter(([k]) => (v as Record<string, unknown>)[k] !== undefined && (v as Record<string, unknown>)[k] !== false)
          .map(([, label]) => label);
      for (const q of DETAILS_BEHIND_YES) {
        const given = answered(q.details);
        if (given.length && v[q.question] !== true) issue([q.question], v[q.question] === false ? q.no(given) : q.blank(given));
      }
      if (v.injured === true) {
        if (!v.injuryDescription) issue(['injuryDescription'], 'Describe the injuries');
        if (!v.examinedWithin48h) issue(['examinedWithin48h'], 'Select whether the injuries have been examined');
      }
      if (v.policeInvolved === true && v.policeAttended === undefined) issue(['policeAttended'], 'Select whether the police attended');
      if (v.markerRequested === true && !v.markerReason) issue(['markerReason'], 'Enter why staff should be warned, and about what');
      if (typeof v.shiftEnd === 'string' && parseTimeOfDay(v.shiftEnd) === null && v.occurredAt instanceof Date) {
        const end = new Date(v.shiftEnd);
        if (end < v.occurredAt) issue(['shiftEnd'], 'Your shift must end after the incident happened');
        else if (end.getTime() - v.occurredAt.getTime() > 24 * 3_600_000) issue(['shiftEnd'], 'Your shift must end within 24 hours of the incident');
      }
    },
    // run even when a field failed, so the error summary lists every problem at once
    { when: () => true },
  )
  .transform((v) => {
    const time = v.shiftEnd ? parseTimeOfDay(v.shiftEnd) : null;
    const site = v.locationKind === 'site';
    return {
      category: v.category,
      occurredAt: v.occurredAt,
      shiftEndsAt: v.shiftEnd ? (time ? shiftEndAfter(v.occurredAt, time) : new Date(v.shiftEnd)) : null,
      locationKind: v.locationKind,
      siteId: site ? (v.siteId ?? null) : null,
      departmentId: site ? (v.departmentId ?? null) : null,
      locationDetail: site ? (v.locationDetail ?? null) : null,
      communityAddress: site ? null : (v.communityAddress ?? null),
      affected: v.affected,
      assailants: v.assailants,
      // details behind a blank or a "no" were refused above; the ternaries only keep the columns consistent
      injured: v.injured ?? false,
      injuryDescription: v.injured ? (v.injuryDescription ?? null) : null,
      examinedWithin48h: v.injured ? (v.examinedWithin48h ?? null) : null,
      medicalFactors: v.medicalFactors ?? null,
      aggravatingFactors: [...new Set(v.aggravatingFactors)],
      policeInvolved: v.policeInvolved ?? false,
      policeAttended: v.policeInvolved ? (v.policeAttended ?? false) : false,
      policeOfficerName: v.policeInvolved ? (v.policeOfficerName ?? null) : null,
      policeOfficerNumber: v.policeInvolved ? (v.policeOfficerNumber ?? null) : null,
      policeStation: v.policeInvolved ? (v.policeStation ?? null) : null,
      crimeReference: v.policeInvolved ? (v.crimeReference ?? null) : null,
      cadNumber: v.policeInvolved ? (v.cadNumber ?? null) : null,
      propertyDescription: v.propertyDescription ?? null,
      propertyValuePence: v.propertyValuePence ?? null,
      witnesses: v.witnesses ?? null,
      narrative: v.narrative,
      markerRequested: v.markerRequested ?? false,
      markerReason: v.markerRequested ? (v.markerReason ?? null) : null,
    };
  });
export type IncidentInput = z.output<typeof incidentInput>;
export type IncidentPersonInput = IncidentInput['affected'][number];

/**
 * A draft sent through the API: any of the report's fields, each checked as the full report checks it (a bad
 * value is refused when saved), without the rules that need the whole report; those are reported as `problems`
 * until the draft is complete, and enforced when it is sent.
 */
export const incidentDraftInput = fields.partial();

/** The Idempotency-Key header or the form's hidden key: printable ASCII, up to 255 characters. */
export const idempotencyKey = z
  .string({ error: 'Send an Idempotency-Key header' })
  .regex(/^[\x21-\x7e]{1,255}$/, 'The Idempotency-Key must be 1 to 255 printable ASCII characters');

// ---- the form ------------------------------------------------------------------------------------------

export type FormValues = Record<string, string | string[]>;

/** Keys the form may send: letters, digits, dots and bracketed date parts (`occurredAt[day]`). */
const FORM_KEY = /^[A-Za-z][A-Za-z0-9]{0,40}(\.\d{1,2}(\.[A-Za-z][A-Za-z0-9]{0,40})?)?(\[(day|month|year|time)\])?$/;
const FORM_ONLY = new Set(['_csrf', 'action', 'idempotencyKey', 'sentKey']);

/** The values of the report form worth keeping in a draft: known-shaped keys, bounded sizes, no CSRF token. */
export function draftValues(body: Record<string, unknown>): FormValues {
  const out: FormValues = {};
  let count = 0;
  for (const [key, value] of Object.entries(body)) {
    if (key === '_csrf' || key === 'action' || !FORM_KEY.test(key) || ++count > 300) continue;
    const keep = (s: unknown) => (typeof s === 'string' ? s.slice(0, 10_000) : '');
    out[key] = Array.isArray(value) ? value.slice(0, 20).map(keep) : keep(value);
  }
  return out;
}

/**
 * The fields of saved form values that hold a NUL character (see `NUL`), each with the message the full report
 * check gives it: a draft is stored as jsonb, which cannot hold one either, so "Save as draft" refuses them too.
 */
export function nulFields(values: FormValues): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  const seen = new Set<string>();
  for (const [key, value] of Object.entries(values)) {
    if (!(Array.isArray(value) ? value : [value]).some((v) => v.includes(NUL))) continue;
    const path = key.replace(/\[\w+\]$/, '');
    const field = path === 'propertyValue' ? 'propertyValuePence' : path;
    if (seen.has(field)) continue;
    seen.add(field);
    const person = /^(affected|assailants)\.(\d+)\.(\w+)$/.exec(path);
    const what = person
      ? `${PERSON_FIELD_NAMES[person[3] as string] ?? 'the answer'} of ${person[1] === 'affected' ? 'person affected' : 'person responsible'} ${Number(person[2]) + 1}`
      : (LABELS[path as keyof typeof LABELS] ?? OTHER_LABELS[path] ?? 'your answer');
    out.push({ field, message: nulMessage(what) });
  }
  return out;
}
const PERSON_FIELD_NAMES: Record<string, string> = { ...PERSON_LABELS, dateOfBirth: 'the date of birth' };
const OTHER_LABELS: Record<string, string> = {
  occurredAt: 'the date and time it happened',
  shiftEnd: 'the time your shift ends',
  propertyValue: 'the value of the property',
};

/** How many person slots of `list` the form values hold (at least one). */
export function slotCount(values: FormValues, list: 'affected' | 'assailants'): number {
  let max = 0;
  for (const key of Object.keys(values)) {
    const m = new RegExp(`^${list}\\.(\\d+)\\.`).exec(key);
    if (m) max = Math.max(max, Number(m[1]) + 1);
  }
  return Math.min(Math.max(max, 1), 20);
}

/**
 * The report form's values → the API shape: dotted names become nested objects, bracketed date parts become
 * { day, month, year, time }, people slots left blank are dropped, pounds become pence.
 */
export function formToInput(values: FormValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const lists: Record<'affected' | 'assailants', Map<number, Record<string, unknown>>> = { affected: new Map(), assailants: new Map() };
  for (const [key, value] of Object.entries(values)) {
    if (FORM_ONLY.has(key) || !FORM_KEY.test(key)) continue;
    const [, path = key, part] = /^([^[]+)(?:\[(\w+)\])?$/.exec(key) ?? [];
    const segments = path.split('.');
    let target: Record<string, unknown>;
    let name: string;
    if (segments.length === 3 && (segments[0] === 'affected' || segments[0] === 'assailants')) {
      const list = lists[segments[0]];
      const index = Number(segments[1]);
      target = list.get(index) ?? {};
      list.set(index, target);
      name = segments[2] as string;
    } else if (segments.length === 1) {
      target = out;
      name = path;
    } else continue;
    if (part) {
      const parts = (target[name] as Record<string, unknown> | undefined) ?? {};
      parts[part] = value;
      target[name] = parts;
    } else target[name] = value;
  }
  const isBlank = (v: unknown): boolean =>
    v === undefined || (typeof v === 'string' && v.trim() === '') || (typeof v === 'object' && v !== null && Object.values(v).every(isBlank));
  for (const list of ['affected', 'assailants'] as const) {
    out[list] = [...lists[list].entries()]
      .sort(([a], [b]) => a - b)
      .map(([, p]) => p)
      .filter((p) => !Object.values(p).every(isBlank));
  }
  const pounds = out.propertyValue;
  delete out.propertyValue;
  if (typeof pounds === 'string' && pounds.trim() !== '') out.propertyValuePence = poundsToPence(pounds) ?? pounds;
  return out;
}

// ---- JSON API responses ----------------------------------------------------------------------------------

const category = z.enum(INCIDENT_CATEGORIES);
const status = z.enum(INCIDENT_STATUSES);

export const incidentSummaryOut = z.object({
  id: z.uuid(),
  reference: z.string(),
  status,
  statusLabel: z.string(),
  category,
  categoryLabel: z.string(),
  occurredAt: z.date(),
  reportedAt: z.date(),
  late: z.boolean(),
  lateReason: z.string().nullable(),
  outcomeSummary: z.string().nullable(),
  supportOffered: z.string().nullable(),
});

const personOut = z.object({
  type: z.enum(PERSON_TYPES),
  name: z.string().nullable(),
  dateOfBirth: z.string().nullable(),
  staffRole: z.string().nullable(),
  description: z.string().nullable(),
});

export const incidentDetailOut = incidentSummaryOut.extend({
  shiftEndsAt: z.date().nullable(),
  location: z.object({
    kind: z.enum(['site', 'community']),
    siteId: z.uuid().nullable(),
    siteName: z.string().nullable(),
    departmentId: z.uuid().nullable(),
    departmentName: z.string().nullable(),
    detail: z.string().nullable(),
    communityAddress: z.string().nullable(),
  }),
  affected: z.array(personOut),
  assailants: z.array(personOut),
  injured: z.boolean(),
  injuryDescription: z.string().nullable(),
  examinedWithin48h: z.enum(EXAMINED_WITHIN_48H).nullable(),
  medicalFactors: z.enum(MEDICAL_FACTORS).nullable(),
  aggravatingFactors: z.array(z.enum(AGGRAVATING_FACTORS)),
  police: z.object({
    involved: z.boolean(),
    attended: z.boolean(),
    officerName: z.string().nullable(),
    officerNumber: z.string().nullable(),
    station: z.string().nullable(),
    crimeReference: z.string().nullable(),
    cadNumber: z.string().nullable(),
  }),
  propertyDescription: z.string().nullable(),
  propertyValuePence: z.number().int().nullable(),
  witnesses: z.string().nullable(),
  narrative: z.string(),
  /** 003 §3.2.11: whether the reporter asked for a warning marker, and why (the reason only to roles that read narratives). */
  markerRequest: z.object({ requested: z.boolean(), reason: z.string().nullable() }),
  version: z.number().int(),
  /** The report fields above are as the reporter sent them; true when the security team has since corrected it. */
  corrected: z.boolean(),
  /** When it was last corrected. */
  correctedAt: z.date().nullable(),
  /**
   * What became of the reporter's request for a warning marker (feedback, 000 §7.2.6): `placed`, `not_needed`
   * (the security specialist decided none was needed), `waiting` (the case is open and nobody has answered),
   * `not_placed` (the case was closed without one), or `not_asked`. The reason for a decision is not the reporter's
   * to read.
   */
  markerAnswer: z.enum(['not_asked', 'waiting', 'placed', 'not_needed', 'not_placed']),
  history: z.array(z.object({ at: z.date(), status, statusLabel: z.string() })),
});

const draftProblem = z.object({ field: z.string(), message: z.string() });

/** An API draft: the fields saved so far, and what stops it being sent yet. */
export const incidentDraftOut = z.object({
  id: z.uuid(),
  createdAt: z.date(),
  updatedAt: z.date(),
  report: z.record(z.string(), z.unknown()),
  complete: z.boolean(),
  problems: z.array(draftProblem),
});
