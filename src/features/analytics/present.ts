import { financialYearLabel, monthLabel, oneDecimal } from '../../domain/analytics.ts';
import { CATEGORY_DEFINITIONS, formatPence, type IncidentCategory } from '../../domain/incidents.ts';
import { barChart, type Chart, columnChart, PALETTE } from '../../platform/charts.ts';
import { ORGANISATION_TYPE_LABELS } from '../organisations/schema.ts';
import type { AnalyticsService, Dashboard } from './service.ts';

/**
 * Figures as tables and charts: the same tables are shown under each chart (its data, `issue 6 item 5`) and
 * exported to CSV and XLSX; charts are drawn on the server (src/platform/charts.ts). Cells keep raw values and a
 * kind, so a page shows "1,234" and "17.0" while a spreadsheet gets 1234 and 17.0.
 */
export type Kind = 'text' | 'count' | 'rate' | 'percent' | 'pence' | 'change';
export type Cell = string | number | null;
export type Table = { key: string; title: string; head: string[]; kinds: Kind[]; rows: Cell[][] };

type Benchmark = Awaited<ReturnType<AnalyticsService['benchmark']>>;
type National = Awaited<ReturnType<AnalyticsService['national']>>;
type Perception = Awaited<ReturnType<AnalyticsService['perception']>>;

/** A cell as shown on a page. */
export function showCell(value: Cell, kind: Kind): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'string') return value;
  switch (kind) {
    case 'count':
      return value.toLocaleString('en-GB');
    case 'rate':
      return oneDecimal(value);
    case 'percent':
      return `${oneDecimal(value)}%`;
    case 'change':
      return `${value > 0 ? '+' : value < 0 ? '−' : ''}${oneDecimal(Math.abs(value))}%`;
    case 'pence':
      return formatPence(value);
    default:
      return String(value);
  }
}

/** A cell as exported: plain numbers (pounds for money), empty for no figure. */
export function exportCell(value: Cell, kind: Kind): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (kind === 'pence') return (value / 100).toFixed(2);
  if (kind === 'rate' || kind === 'percent' || kind === 'change') return value.toFixed(1);
  return String(value);
}

/** The nhsuk-frontend table macro's head and rows. */
export function nhsTable(t: Table) {
  const numeric = (k: Kind) => k !== 'text';
  return {
    head: t.head.map((h, i) => ({ text: h, ...(numeric(t.kinds[i] as Kind) ? { format: 'numeric' } : {}) })),
    rows: t.rows.map((r) => r.map((c, i) => ({ text: showCell(c, t.kinds[i] as Kind), ...(numeric(t.kinds[i] as Kind) ? { format: 'numeric' } : {}) }))),
  };
}

const label = (c: string) => CATEGORY_DEFINITIONS[c as IncidentCategory]?.label ?? c;
const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;
const changeText = (change: number | null) =>
  change === null
    ? 'no change can be given (nothing the year before)'
    : change === 0
      ? 'no change'
      : `${change > 0 ? 'up' : 'down'} ${oneDecimal(Math.abs(change))}%`;

// ---- dashboard -------------------------------------------------------------------------------------------------

export function dashboardTables(d: Dashboard): Table[] {
  const t = d.totals;
  const cats = [...new Set(d.months.flatMap((m) => Object.keys(m.byCategory)))].sort(
    (a, b) => Object.keys(CATEGORY_DEFINITIONS).indexOf(a) - Object.keys(CATEGORY_DEFINITIONS).indexOf(b),
  );
  return [
    {
      key: 'summary',
      title: 'Key figures for the period',
      head: ['Figure', 'Number', 'Share'],
      kinds: ['text', 'count', 'percent'],
      rows: [
        ['Incidents reported', t.incidents, null],
        ['Physical assaults', t.physicalAssaults, null],
        ['Physical assaults involving medical factors (004)', t.physicalAssaultsMedical, t.medicalFactorsShare],
        ['Reported late, after the end of the shift (003 §2.2.3.7)', t.late, t.lateShare],
        ['Police involved', t.police, t.policeShare],
        ['Someone injured', t.injured, null],
        ['Cases still open', t.open, null],
        ['Open cases overdue', t.overdue, null],
        ['Cases closed', t.closed, null],
        ['Average days from report to closure', t.averageDaysToClose === null ? null : oneDecimal(t.averageDaysToClose), null],
        ['Sanctions applied (002 std 4.2)', t.sanctions, null],
        ['Cases with a sanction', t.casesSanctioned, null],
        ['Cases with redress pursued', t.redressCases, null],
        ['Cases where redress was recovered', t.redressRecoveredCases, null],
        ['Redress sought', formatPence(t.redressSoughtPence), null],
        ['Redress recovered', formatPence(t.redressRecoveredPence), null],
      ],
    },
    {
      key: 'by-month',
      title: 'Incidents by month and category',
      head: ['Month', 'All incidents', ...cats.map(label)],
      kinds: ['text', 'count', ...cats.map(() => 'count' as const)],
      rows: d.months.map((m) => [monthLabel(m.month), m.total, ...cats.map((c) => m.byCategory[c] ?? 0)]),
    },
    {
      key: 'by-category',
      title: `Incidents by category, and the 12 months to ${monthLabel(d.yearOnYear.to, true)} against the 12 before`,
      head: ['Category', 'In the period', 'Last 12 months', '12 months before', 'Change'],
      kinds: ['text', 'count', 'count', 'count', 'change'],
      rows: [
        ...d.categories.map((c) => [c.label, c.incidents, c.last12, c.previous12, c.change]),
        ['All incidents', d.totals.incidents, d.yearOnYear.last12, d.yearOnYear.previous12, d.yearOnYear.change],
      ],
    },
    {
      key: 'rates',
      title: 'Incidents per 1,000 staff by financial year',
      head: [
        'Financial year',
        'Incidents',
        'Physical assaults',
        'Staff',
        'Incidents per 1,000 staff',
        'Physical assaults per 1,000 staff',
        'Change in incidents',
      ],
      kinds: ['text', 'count', 'count', 'count', 'rate', 'rate', 'change'],
      rows: d.years.map((y) => [
        `${y.label}${y.partial ? ' (to date)' : ''}`,
        y.incidents,
        y.physicalAssaults,
        y.staff,
        y.ratePer1000,
        y.assaultRatePer1000,
        y.change,
      ]),
    },
    {
      key: 'by-site',
      title: 'Incidents by site',
      head: ['Site', 'Incidents'],
      kinds: ['text', 'count'],
      rows: d.sites.map((s) => [s.name, s.incidents]),
    },
    {
      key: 'by-department',
      title: 'Incidents by department or service',
      head: ['Department or service', 'Incidents'],
      kinds: ['text', 'count'],
      rows: d.departments.map((s) => [s.name, s.incidents]),
    },
    {
      key: 'repeat-locations',
      title: 'Repeat locations: places with more than one incident in the period',
      head: ['Location', 'Incidents', 'Months with incidents'],
      kinds: ['text', 'count', 'count'],
      rows: d.repeatLocations.map((r) => [r.location, r.incidents, r.months]),
    },
  ];
}

export function dashboardCharts(d: Dashboard): Record<string, Chart> {
  const cats = [...new Set(d.months.flatMap((m) => Object.keys(m.byCategory)))].sort(
    (a, b) => Object.keys(CATEGORY_DEFINITIONS).indexOf(a) - Object.keys(CATEGORY_DEFINITIONS).indexOf(b),
  );
  const busiest = [...d.months].sort((a, b) => b.total - a.total || a.month.localeCompare(b.month))[0];
  const period = `${monthLabel(d.period.from, true)} to ${monthLabel(d.period.to, true)}`;
  const rated = d.years.filter((y) => y.ratePer1000 !== null);
  const topSite = d.sites[0];
  const topDept = d.departments[0];
  return {
    byMonth: columnChart({
      id: 'chart-by-month',
      caption: `Incidents by month and category, ${period}`,
      summary:
        d.totals.incidents === 0
          ? `Stacked bar chart: no incidents in ${period}.`
          : `Stacked bar chart of ${count(d.totals.incidents, 'incident')} over ${d.months.length} months, coloured by category; the most in ${monthLabel(busiest?.month ?? d.period.to, true)} (${busiest?.total ?? 0}). The 12 months to ${monthLabel(d.period.to, true)}: ${count(d.yearOnYear.last12, 'incident')}, ${changeText(d.yearOnYear.change)} on the 12 before. Every figure is in the table below.`,
      categories: d.months.map((m) => monthLabel(m.month)),
      series: cats.map((c, i) => ({ name: label(c), data: d.months.map((m) => m.byCategory[c] ?? 0), color: PALETTE[i % PALETTE.length] })),
      stacked: true,
      yName: 'Incidents',
    }),
    rates: columnChart({
      id: 'chart-rates',
      caption: 'Incidents and physical assaults per 1,000 staff, by financial year',
      summary: rated.length
        ? `Bar chart of rates per 1,000 staff for ${rated.length} financial year${rated.length === 1 ? '' : 's'}: ${rated.map((y) => `${y.label} ${oneDecimal(y.ratePer1000)} incidents${y.assaultRatePer1000 === null ? '' : `, ${oneDecimal(y.assaultRatePer1000)} physical assaults`}`).join('; ')}.`
        : 'No rate can be drawn: a rate needs the staff headcount for the year (recorded on the organisation page), and is not given for a single site.',
      categories: d.years.map((y) => `${y.label}${y.partial ? ' (to date)' : ''}`),
      series: [
        { name: 'Incidents per 1,000 staff', data: d.years.map((y) => y.ratePer1000) },
        { name: 'Physical assaults per 1,000 staff', data: d.years.map((y) => y.assaultRatePer1000), color: PALETTE[1] },
      ],
      yName: 'Per 1,000 staff',
    }),
    bySite: barChart({
      id: 'chart-by-site',
      caption: 'Incidents by site',
      summary: topSite ? `Bar chart of incidents at ${count(d.sites.length, 'place')}; the most at ${topSite.name} (${topSite.incidents}).` : 'No incidents.',
      labels: d.sites.map((s) => s.name),
      values: d.sites.map((s) => s.incidents),
      xName: 'Incidents',
    }),
    byDepartment: barChart({
      id: 'chart-by-department',
      caption: 'Incidents by department or service (the 15 with most)',
      summary: topDept
        ? `Bar chart of incidents in ${count(d.departments.length, 'department or service', 'departments or services')}; the most in ${topDept.name} (${topDept.incidents}).`
        : 'No incidents.',
      labels: d.departments.slice(0, 15).map((s) => s.name),
      values: d.departments.slice(0, 15).map((s) => s.incidents),
      xName: 'Incidents',
    }),
  };
}

// ---- benchmark -------------------------------------------------------------------------------------------------

export function benchmarkTables(b: Benchmark): Table[] {
  return [
    {
      key: 'peers',
      title: `Physical assaults per 1,000 staff, ${b.label}: ${ORGANISATION_TYPE_LABELS[b.peers.type].toLowerCase()}s`,
      head: [
        'Organisation',
        'Physical assaults',
        'Involving medical factors',
        'Share with medical factors',
        'Staff',
        'Per 1,000 staff',
        'Rank',
        'Percentile',
        'Source',
      ],
      kinds: ['text', 'count', 'count', 'percent', 'count', 'rate', 'count', 'rate', 'text'],
      rows: b.peers.rows.map((r) => [
        r.organisation.name,
        r.physicalAssaults,
        r.physicalAssaultsMedical,
        r.medicalFactorsShare,
        r.staff,
        r.ratePer1000,
        r.rank,
        r.percentile,
        r.source === 'published' ? 'Published' : 'Warden',
      ]),
    },
    {
      key: 'history',
      title: `${b.organisation.name}: physical assaults per 1,000 staff beside the medians, by financial year`,
      head: ['Financial year', b.organisation.name, `Median of ${ORGANISATION_TYPE_LABELS[b.peers.type].toLowerCase()}s`, 'National median'],
      kinds: ['text', 'rate', 'rate', 'rate'],
      rows: b.history.map((h) => [h.label, h.rate, h.peerMedian, h.nationalMedian]),
    },
  ];
}

export function benchmarkCharts(b: Benchmark): Record<string, Chart> {
  const own = b.peers.rows.findIndex((r) => r.organisation.id === b.organisation.id);
  const rated = b.peers.rows.filter((r) => r.ratePer1000 !== null);
  const type = ORGANISATION_TYPE_LABELS[b.peers.type].toLowerCase();
  return {
    peers: barChart({
      id: 'chart-peers',
      caption: `Physical assaults per 1,000 staff in ${b.label}: ${b.organisation.name} among ${type}s`,
      summary:
        b.own?.ratePer1000 != null
          ? `Bar chart of ${rated.length} ${type}s, highest rate first. ${b.organisation.name} (highlighted): ${oneDecimal(b.own.ratePer1000)} per 1,000 staff, ranked ${b.own.rank} of ${b.peers.ranked}, at the ${oneDecimal(b.own.percentile)}th percentile; median ${oneDecimal(b.peers.median)}; national median ${oneDecimal(b.national.median)}.`
          : `Bar chart of ${rated.length} ${type}s, highest rate first. ${b.organisation.name} has no rate for ${b.label} (no figures, or no staff headcount for the year).`,
      labels: rated.map((r) => r.organisation.name),
      values: rated.map((r) => r.ratePer1000),
      highlight: own >= 0 && b.peers.rows[own]?.ratePer1000 !== null ? rated.findIndex((r) => r.organisation.id === b.organisation.id) : undefined,
      xName: 'Per 1,000 staff',
      markLine: b.peers.median === null ? undefined : { value: b.peers.median, label: `median ${oneDecimal(b.peers.median)}` },
    }),
    history: columnChart({
      id: 'chart-history',
      caption: `${b.organisation.name}: physical assaults per 1,000 staff by year, beside the medians`,
      summary: `Line chart over ${count(b.history.length, 'financial year')}: ${b.history
        .map((h) => `${h.label} ${oneDecimal(h.rate)} (median of ${type}s ${oneDecimal(h.peerMedian)}, national ${oneDecimal(h.nationalMedian)})`)
        .join('; ')}.`,
      categories: b.history.map((h) => h.label),
      series: [
        { name: b.organisation.name, data: b.history.map((h) => h.rate), type: 'line', color: PALETTE[1] },
        { name: `Median of ${type}s`, data: b.history.map((h) => h.peerMedian), type: 'line', color: PALETTE[0] },
        { name: 'National median', data: b.history.map((h) => h.nationalMedian), type: 'line', color: PALETTE[9] },
      ],
      yName: 'Per 1,000 staff',
    }),
  };
}

// ---- national and commissioners --------------------------------------------------------------------------------

export function nationalTables(n: Pick<National, 'label' | 'rows' | 'types'>, title = `Every organisation, ${n.label}`): Table[] {
  return [
    {
      key: 'organisations',
      title,
      head: [
        'Organisation',
        'Code',
        'Type',
        'Physical assaults',
        'Involving medical factors',
        'Share with medical factors',
        'Staff',
        'Per 1,000 staff',
        'Rank in type',
        'Percentile in type',
        'National rank',
        'National percentile',
        'Source',
      ],
      kinds: ['text', 'text', 'text', 'count', 'count', 'percent', 'count', 'rate', 'count', 'rate', 'count', 'rate', 'text'],
      rows: n.rows.map((r) => [
        r.organisation.name,
        r.organisation.code,
        ORGANISATION_TYPE_LABELS[r.organisation.type],
        r.physicalAssaults,
        r.physicalAssaultsMedical,
        r.medicalFactorsShare,
        r.staff,
        r.ratePer1000,
        r.rank,
        r.percentile,
        r.nationalRank,
        r.nationalPercentile,
        r.source === 'published' ? 'Published' : 'Warden',
      ]),
    },
    {
      key: 'types',
      title: `Median physical assaults per 1,000 staff by type of organisation, ${n.label}`,
      head: ['Type of organisation', 'Organisations with figures', 'With a rate', 'Median per 1,000 staff'],
      kinds: ['text', 'count', 'count', 'rate'],
      rows: n.types.map((t) => [t.label, t.organisations, t.ranked, t.median]),
    },
  ];
}

export function nationalCharts(n: Pick<National, 'label' | 'types' | 'median'>): Record<string, Chart> {
  const withMedian = n.types.filter((t) => t.median !== null);
  return {
    types: barChart({
      id: 'chart-types',
      caption: `Median physical assaults per 1,000 staff by type of organisation, ${n.label}`,
      summary: withMedian.length
        ? `Bar chart: ${withMedian.map((t) => `${t.label.toLowerCase()}s ${oneDecimal(t.median)}`).join(', ')}; national median ${oneDecimal(n.median)}.`
        : `No organisation has a rate for ${n.label}.`,
      labels: n.types.map((t) => t.label),
      values: n.types.map((t) => t.median),
      xName: 'Per 1,000 staff',
      markLine: n.median === null ? undefined : { value: n.median, label: `national ${oneDecimal(n.median)}` },
    }),
  };
}

// ---- perception and reality ---------------------------------------------------------------------------------------

export function perceptionTables(p: Perception): Table[] {
  return [
    {
      key: 'perception',
      title: `${p.organisation.name}: staff-survey figures beside reported physical assaults, by financial year`,
      head: [
        'Financial year',
        'Staff experiencing physical violence from patients or the public (survey)',
        'The same, per 1,000 staff',
        'Reported physical assaults per 1,000 staff',
        'Staff experiencing harassment, bullying or abuse from patients or the public',
        'Staff who reported the violence',
        'Survey respondents',
      ],
      kinds: ['text', 'percent', 'count', 'rate', 'percent', 'percent', 'count'],
      rows: p.years.map((y) => [y.label, y.physicalViolencePublic, y.surveyPer1000, y.reportedRatePer1000, y.abusePublic, y.violenceReported, y.respondents]),
    },
  ];
}

export function perceptionCharts(p: Perception): Record<string, Chart> {
  const both = p.years.filter((y) => y.surveyPer1000 !== null && y.reportedRatePer1000 !== null);
  return {
    perception: columnChart({
      id: 'chart-perception',
      caption: `${p.organisation.name}: staff who say they experienced physical violence, and physical assaults reported, per 1,000 staff`,
      summary: both.length
        ? `Bar chart by financial year. ${both.map((y) => `${y.label}: ${y.surveyPer1000} per 1,000 staff said they experienced physical violence from patients or the public; ${oneDecimal(y.reportedRatePer1000)} per 1,000 were reported`).join('. ')}.`
        : 'Bar chart by financial year; no year yet has both staff-survey figures and a reported rate to set side by side.',
      categories: p.years.map((y) => y.label),
      series: [
        { name: 'Staff experiencing physical violence (survey), per 1,000', data: p.years.map((y) => y.surveyPer1000) },
        { name: 'Physical assaults reported, per 1,000 staff', data: p.years.map((y) => y.reportedRatePer1000), color: PALETTE[1] },
      ],
      yName: 'Per 1,000 staff',
    }),
  };
}

/** A financial year option list for the year filters. */
export function yearItems(years: number[], selected: number) {
  const all = [...new Set([...years, selected])].sort((a, b) => b - a);
  return all.map((y) => ({ value: String(y), text: financialYearLabel(y), selected: y === selected }));
}
