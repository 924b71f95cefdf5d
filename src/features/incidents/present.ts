import {
  AFFECTED_PERSON_TYPES,
  AGGRAVATING_FACTOR_LABELS,
  AGGRAVATING_FACTORS,
  CATEGORY_DEFINITIONS,
  EXAMINED_LABELS,
  EXAMINED_WITHIN_48H,
  formatPence,
  INCIDENT_CATEGORIES,
  MEDICAL_FACTORS,
  MEDICAL_FACTORS_LABELS,
  PERSON_TYPE_LABELS,
  PERSON_TYPES,
} from '../../domain/incidents.ts';
import type { FormValues } from './schema.ts';
import { slotCount } from './schema.ts';
import type { IncidentPreview } from './service.ts';

/** Turns form values and reports into what the templates show. No I/O. */

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
/** Escaped text with line breaks kept. */
const multiline = (s: string) => escapeHtml(s).replace(/\r?\n/g, '<br>');

const londonDateTime = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
/** "2 March 2026 at 14:30", clock time in England. */
export function whenText(d: Date): string {
  const p = Object.fromEntries(londonDateTime.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.day} ${p.month} ${p.year} at ${p.hour}:${p.minute}`;
}

const str = (v: string | string[] | undefined) => (Array.isArray(v) ? (v[0] ?? '') : (v ?? ''));
const list = (v: string | string[] | undefined) => (Array.isArray(v) ? v : v ? [v] : []);

type Options = { sites: { id: string; name: string }[]; departments: { id: string; name: string; siteId: string | null }[] };

/**
 * Items for the report form's radios, selects and checkboxes, checked from the values given. `extra` adds an
 * empty person slot ("Add another person").
 */
export function formContext(values: FormValues, options: Options, extra: { affected?: boolean; assailants?: boolean } = {}) {
  const v = (k: string) => str(values[k]);
  const radio = <T extends string>(keys: readonly T[], labels: Record<T, string>, name: string) =>
    keys.map((k) => ({ value: k, text: labels[k], checked: v(name) === k }));
  const siteNames = new Map(options.sites.map((s) => [s.id, s.name]));
  const slots = (which: 'affected' | 'assailants') => {
    const n = slotCount(values, which) + (extra[which] ? 1 : 0);
    return Array.from({ length: Math.min(n, 20) }, (_, i) => i);
  };
  return {
    categoryItems: INCIDENT_CATEGORIES.map((c) => ({
      value: c,
      text: CATEGORY_DEFINITIONS[c].label,
      hint: { text: CATEGORY_DEFINITIONS[c].definition },
      checked: v('category') === c,
    })),
    siteItems: [{ value: '', text: 'Select a site' }, ...options.sites.map((s) => ({ value: s.id, text: s.name, selected: v('siteId') === s.id }))],
    departmentItems: [
      { value: '', text: 'Not known or not applicable' },
      ...options.departments.map((d) => ({
        value: d.id,
        text: d.siteId && siteNames.has(d.siteId) ? `${d.name} (${siteNames.get(d.siteId)})` : d.name,
        selected: v('departmentId') === d.id,
      })),
    ],
    locationSite: v('locationKind') === 'site',
    locationCommunity: v('locationKind') === 'community',
    affectedSlots: slots('affected').map((i) => ({
      index: i,
      typeItems: AFFECTED_PERSON_TYPES.map((t) => ({ value: t, text: PERSON_TYPE_LABELS[t], checked: v(`affected.${i}.type`) === t })),
    })),
    assailantSlots: slots('assailants').map((i) => ({
      index: i,
      typeItems: PERSON_TYPES.map((t) => ({ value: t, text: PERSON_TYPE_LABELS[t], checked: v(`assailants.${i}.type`) === t })),
    })),
    yesNo: (name: string) => [
      { value: 'yes', text: 'Yes', checked: v(name) === 'yes' },
      { value: 'no', text: 'No', checked: v(name) === 'no' },
    ],
    examinedItems: radio(EXAMINED_WITHIN_48H, EXAMINED_LABELS, 'examinedWithin48h'),
    medicalItems: radio(MEDICAL_FACTORS, MEDICAL_FACTORS_LABELS, 'medicalFactors'),
    aggravatingItems: AGGRAVATING_FACTORS.map((f) => ({ value: f, text: AGGRAVATING_FACTOR_LABELS[f], checked: list(values.aggravatingFactors).includes(f) })),
  };
}

type Row = {
  key: { text: string };
  value: { text?: string; html?: string };
  actions?: { items: { href: string; text: string; visuallyHiddenText: string }[] };
};

function people(list: IncidentPreview['affected'], withBirth: boolean): string {
  if (!list.length) return 'None recorded';
  return list
    .map((p) => {
      const bits = [PERSON_TYPE_LABELS[p.type], p.name, p.staffRole, withBirth && p.dateOfBirth ? `born ${p.dateOfBirth}` : null].filter(Boolean) as string[];
      const line = escapeHtml(bits.join(', '));
      return p.description ? `${line}<br>${multiline(p.description)}` : line;
    })
    .join('<br><br>');
}

/**
 * The report as a summary list, in the order of the form. With `changeHref`, each row links back to its question
 * (check your answers); without, it is read-only (the reporter's view of a submitted report).
 */
export function summaryRows(r: IncidentPreview, changeHref?: string): Row[] {
  const rows: [string, string, { text?: string; html?: string }][] = [];
  const add = (anchor: string, key: string, value: string | null | undefined, html = false) =>
    rows.push([anchor, key, html ? { html: value || 'Not given' } : { text: value || 'Not given' }]);
  add('category', 'Type of incident', r.categoryLabel);
  add('occurredAt', 'When it happened', whenText(r.occurredAt));
  add('shiftEnd', 'Your shift ends', r.shiftEndsAt ? whenText(r.shiftEndsAt) : 'Not given');
  const where =
    r.location.kind === 'site'
      ? [r.location.siteName, r.location.departmentName, r.location.detail].filter(Boolean).map((s) => escapeHtml(s as string))
      : // without the address (personal data the viewer may not see, src/domain/personal-data.ts) the fact remains
        [r.location.communityAddress ? multiline(r.location.communityAddress) : 'In the community'];
  add('locationKind', 'Where it happened', where.join('<br>'), true);
  add('affected-0-type', 'Who was affected', people(r.affected, true), true);
  add(
    'injured',
    'Injuries',
    r.injured
      ? `${r.injuryDescription ? multiline(r.injuryDescription) : 'Injured'}<br>Examined within 48 hours: ${escapeHtml(r.examinedWithin48h ? EXAMINED_LABELS[r.examinedWithin48h] : 'Not given')}`
      : 'No injuries',
    true,
  );
  add('assailants-0-type', 'Person responsible', people(r.assailants, true), true);
  add('medicalFactors', 'Medical factors', r.medicalFactors ? MEDICAL_FACTORS_LABELS[r.medicalFactors] : 'Not answered');
  add(
    'aggravatingFactors',
    'Aggravating factors',
    r.aggravatingFactors.length ? r.aggravatingFactors.map((f) => AGGRAVATING_FACTOR_LABELS[f]).join(', ') : 'None',
  );
  const p = r.police;
  const police = p.involved
    ? [
        p.attended ? 'Police attended' : 'Police involved, did not attend',
        p.officerName && `Officer: ${p.officerName}`,
        p.officerNumber && `Number: ${p.officerNumber}`,
        p.station && `Station: ${p.station}`,
        p.crimeReference && `Crime reference: ${p.crimeReference}`,
        p.cadNumber && `CAD number: ${p.cadNumber}`,
      ]
        .filter(Boolean)
        .map((s) => escapeHtml(s as string))
        .join('<br>')
    : 'Police not involved';
  add('policeInvolved', 'Police', police, true);
  const property = [
    r.propertyDescription && multiline(r.propertyDescription),
    r.propertyValuePence !== null && `Value: ${formatPence(r.propertyValuePence)}`,
  ].filter(Boolean) as string[];
  add('propertyDescription', 'Property stolen or damaged', property.length ? property.join('<br>') : 'None', true);
  add('witnesses', 'Witnesses', r.witnesses ? multiline(r.witnesses) : 'None given', true);
  add('narrative', 'What happened', multiline(r.narrative), true);
  const m = r.markerRequest;
  add('markerRequested', 'Warning marker', m.requested ? `Asked for${m.reason ? `: ${multiline(m.reason)}` : ''}` : 'Not asked for', true);
  return rows.map(([anchor, key, value]) => ({
    key: { text: key },
    value,
    ...(changeHref ? { actions: { items: [{ href: `${changeHref}#${anchor}`, text: 'Change', visuallyHiddenText: key.toLowerCase() }] } } : {}),
  }));
}
