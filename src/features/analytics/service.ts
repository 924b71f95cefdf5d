import type { z } from 'zod';
import type { Database, Tx } from '../../db/database.ts';
import type { OrganisationType } from '../../db/schema.ts';
import {
  addMonths,
  averageDays,
  type BenchmarkRow,
  benchmark,
  financialYearLabel,
  financialYearMonths,
  financialYearOf,
  financialYearOfMonth,
  fromTenths,
  londonMonth,
  type Month,
  medianTenths,
  monthsFrom,
  percentChange,
  ratePer1000,
  ratePer1000Tenths,
  sharePercent,
} from '../../domain/analytics.ts';
import { CATEGORY_DEFINITIONS, INCIDENT_CATEGORIES, type IncidentCategory } from '../../domain/incidents.ts';
import { londonToday } from '../../domain/markers.ts';
import { authorize } from '../../platform/access/policy.ts';
import { type Actor, actorId } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { parseCsvRecords } from '../../platform/csv.ts';
import { AppError, type FieldError, forbidden, invalid, notFound } from '../../platform/errors.ts';
import { inScope } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import { commissioningRepository } from '../commissioning/repository.ts';
import { PROVIDER_TYPES } from '../commissioning/schema.ts';
import { ORGANISATION_TYPE_LABELS } from '../organisations/schema.ts';
import { type Measure, analyticsRepository as repo } from './repository.ts';
import {
  type BenchmarkRowOut,
  type DashboardFilters,
  DEFAULT_PERIOD_MONTHS,
  dashboardFilters,
  MAX_PERIOD_MONTHS,
  nationalQuery,
  REPEAT_LIMIT,
  REPEAT_MIN,
  STATISTICS_HEADER,
  SURVEY_HEADER,
  statisticsRow,
  surveyInput,
  surveyRow,
  yearQuery,
} from './schema.ts';

type Org = { id: string; code: string; name: string; type: OrganisationType };
type ProviderType = (typeof PROVIDER_TYPES)[number];
const isProvider = (type: string): type is ProviderType => (PROVIDER_TYPES as readonly string[]).includes(type);

/** A year's `004` figures for one organisation: as published, or as Warden counted them. */
export type Figure = { source: 'published' | 'warden'; physicalAssaults: number; medical: number; staff: number | null };

/**
 * The national picture: every provider organisation's figures per financial year. A year's published figures,
 * where imported, are the ones used (they are the official record, and cover years before Warden); otherwise
 * Warden's own count of physical assaults that occurred that year, over the staff headcount recorded for it.
 */
export type Picture = { orgs: Org[]; figures: Map<string, Map<number, Figure>>; years: number[] };

/** The picture for every year (or for `years` only); `years` in the result lists every year with figures. */
async function loadPicture(tx: Tx, years?: number[]): Promise<Picture> {
  const rows = await repo.picture(tx, years);
  const orgs = (await repo.providers(tx)) as Org[];
  const figures = new Map<string, Map<number, Figure>>();
  // Warden's counts first, so that a year's published figures replace them.
  for (const r of [...rows.filter((x) => x.source === 'warden'), ...rows.filter((x) => x.source === 'published')]) {
    const byYear = figures.get(r.org_id) ?? new Map<number, Figure>();
    figures.set(r.org_id, byYear);
    byYear.set(r.financial_year, { source: r.source, physicalAssaults: r.physical_assaults, medical: r.physical_assaults_medical, staff: r.staff });
  }
  return { orgs, figures, years: years ? await repo.pictureYears(tx) : [...new Set(rows.map((r) => r.financial_year))].sort((a, b) => a - b) };
}

type Ranked = {
  org: Org;
  figure: Figure;
  type: BenchmarkRow<string>;
  national: BenchmarkRow<string>;
};

/**
 * One year of the picture, ranked (`004` peer table): within each type of organisation (peers) and nationally,
 * with the medians. Organisations with no figures that year are left out; without a staff figure, unranked.
 */
function rankYear(picture: Picture, year: number) {
  const present = picture.orgs.flatMap((org) => {
    const figure = picture.figures.get(org.id)?.get(year);
    return figure ? [{ org, figure }] : [];
  });
  const input = (xs: typeof present) => xs.map((x) => ({ key: x.org.id, count: x.figure.physicalAssaults, staff: x.figure.staff }));
  const national = benchmark(input(present));
  const nationalByOrg = new Map(national.rows.map((r) => [r.key, r]));
  const types = new Map<ProviderType, { organisations: number; ranked: number; medianTenths: number | null }>();
  const rows = new Map<string, Ranked>();
  for (const type of PROVIDER_TYPES) {
    const group = present.filter((x) => x.org.type === type);
    const t = benchmark(input(group));
    types.set(type, { organisations: group.length, ranked: t.ranked, medianTenths: t.medianTenths });
    const byId = new Map(group.map((g) => [g.org.id, g]));
    for (const r of t.rows) {
      const x = byId.get(r.key) as (typeof group)[number];
      rows.set(r.key, { org: x.org, figure: x.figure, type: r, national: nationalByOrg.get(r.key) as BenchmarkRow<string> });
    }
  }
  return { rows, types, national: { medianTenths: national.medianTenths, ranked: national.ranked } };
}

/** Each year's median rate (tenths) among organisations of `type`, and nationally. */
function medians(picture: Picture, type: ProviderType) {
  const byYear = new Map<number, { peer: number[]; national: number[] }>(picture.years.map((y) => [y, { peer: [], national: [] }]));
  for (const org of picture.orgs)
    for (const [year, f] of picture.figures.get(org.id) ?? []) {
      const rate = ratePer1000Tenths(f.physicalAssaults, f.staff);
      const bucket = byYear.get(year);
      if (rate === null || !bucket) continue;
      bucket.national.push(rate);
      if (org.type === type) bucket.peer.push(rate);
    }
  return [...byYear].map(([year, b]) => ({ year, peer: medianTenths(b.peer), national: medianTenths(b.national) }));
}

const orgOut = (o: Org) => ({ id: o.id, code: o.code, name: o.name, type: o.type });

function rowOut(r: Ranked, year: number): BenchmarkRowOut {
  return {
    organisation: orgOut(r.org),
    financialYear: year,
    source: r.figure.source,
    physicalAssaults: r.figure.physicalAssaults,
    physicalAssaultsMedical: r.figure.medical,
    medicalFactorsShare: sharePercent(r.figure.medical, r.figure.physicalAssaults),
    staff: r.figure.staff,
    ratePer1000: r.type.rate,
    rank: r.type.rank,
    percentile: r.type.percentile,
  };
}

/** The last complete financial year (in England) by default, or the year asked for. */
function chosenYear(asked: number | undefined, now: Date) {
  return asked ?? financialYearOf(now) - 1;
}

type Totals = Record<Measure, number>;

/**
 * Analysis and benchmarking (SPEC C4, issue 6). Every method checks access first. Dashboards read the roll-ups the
 * database keeps in step with incidents (migration 20261205100000-Analytics); benchmarks read one row per
 * organisation and year. Nothing here returns an incident, a person or free text from a report.
 */
export function analyticsService(db: Database) {
  /** The dashboard of one organisation (after the caller's access check). */
  async function dashboardOf(orgId: string, raw: unknown, now: Date) {
    const filters = parse(dashboardFilters, raw);
    const period = resolvePeriod(filters, now);
    const today = londonToday(now);
    return inScope(db, { orgId }, async (tx) => {
      const context = await repo.context(tx, orgId);
      if (!context) throw notFound('organisation');
      const { sites, departments, headcounts, ...org } = context;
      if (filters.site && filters.site !== 'community' && !sites.some((s) => s.id === filters.site))
        throw invalid([{ field: 'site', message: 'Select a site from the list' }]);
      const firstYear = financialYearOfMonth(period.from);
      const windowFrom = [period.from, addMonths(period.to, -(DEFAULT_PERIOD_MONTHS - 1)), financialYearMonths(firstYear - 1).from].sort()[0] as Month;
      const base = { orgId, category: filters.category, site: filters.site };
      const inPeriod = { ...base, from: `${period.from}-01`, to: `${period.to}-01` };
      const monthly = await repo.monthly(tx, { ...base, from: `${windowFrom}-01`, to: `${period.to}-01` });
      const byDepartment = await repo.byDepartment(tx, inPeriod);
      const notYetDue = await repo.notYetDue(tx, inPeriod, today);
      const completedOverdue = await repo.completedOverdue(tx, inPeriod, today);
      return buildDashboard({ org: org as Org, filters, period, monthly, byDepartment, notYetDue, completedOverdue, sites, departments, headcounts, now });
    });
  }

  /** Commissioned providers of the actor's commissioning organisation (empty for anyone else). */
  async function commissioned(a: Extract<Actor, { kind: 'user' }>) {
    if (!a.orgId) return [];
    const commissioner = a.orgId;
    return inScope(db, { orgId: commissioner }, (tx) => commissioningRepository.providersOf(tx, commissioner));
  }

  return {
    /** An organisation's dashboard: incidents by category and month, site and department, rates, shares, cases. */
    async dashboard(actor: Actor | null, orgId: string, raw: unknown, now = new Date()) {
      authorize(actor, 'analytics.read', orgId);
      return dashboardOf(orgId, raw, now);
    },

    /** A commissioned provider's dashboard, for its commissioner: aggregates only (`002 std 1.6, 1.7`). */
    async providerDashboard(actor: Actor | null, providerId: string, raw: unknown, now = new Date()) {
      const a = authorize(actor, 'analytics.providers', actor?.kind === 'user' ? actor.orgId : undefined);
      if (a.kind !== 'user') throw forbidden();
      if (!(await commissioned(a)).some((p) => p.id === providerId)) throw notFound('provider');
      return dashboardOf(providerId, raw, now);
    },

    /**
     * The organisation beside its peers (same type) and the national picture for a year (`004` peer table): rate
     * per 1,000 staff, rank and percentile, medians; and its rate over the years beside the medians.
     */
    async benchmark(actor: Actor | null, orgId: string, raw: unknown, now = new Date()) {
      authorize(actor, 'analytics.read', orgId);
      const q = parse(yearQuery, raw);
      const year = chosenYear(q.year, now);
      return inScope(db, { all: true }, async (tx) => {
        const org = (await repo.organisation(tx, orgId)) as Org | undefined;
        if (!org) throw notFound('organisation');
        const type = org.type;
        if (!isProvider(type))
          throw new AppError(
            'not_found',
            404,
            'Not found',
            'Only provider organisations (acute, ambulance, mental health and community trusts) are benchmarked.',
          );
        const picture = await loadPicture(tx);
        const ranked = rankYear(picture, year);
        const own = ranked.rows.get(orgId);
        const peers = [...ranked.rows.values()].filter((r) => r.org.type === type).sort(byRank);
        const typeInfo = ranked.types.get(type);
        const history = medians(picture, type).map((m) => {
          const mine = picture.figures.get(orgId)?.get(m.year);
          return {
            financialYear: m.year,
            label: financialYearLabel(m.year),
            rate: mine ? ratePer1000(mine.physicalAssaults, mine.staff) : null,
            peerMedian: fromTenths(m.peer),
            nationalMedian: fromTenths(m.national),
          };
        });
        return {
          organisation: orgOut(org),
          financialYear: year,
          label: financialYearLabel(year),
          years: picture.years,
          own: own ? rowOut(own, year) : null,
          peers: {
            type,
            ranked: typeInfo?.ranked ?? 0,
            median: fromTenths(typeInfo?.medianTenths ?? null),
            rows: peers.map((r) => rowOut(r, year)),
          },
          national: {
            ranked: ranked.national.ranked,
            median: fromTenths(ranked.national.medianTenths),
            rank: own?.national.rank ?? null,
            percentile: own?.national.percentile ?? null,
          },
          history,
        };
      });
    },

    /** The national table (national assessor): every provider's figures for a year, ranked by type and nationally. */
    async national(actor: Actor | null, raw: unknown, now = new Date()) {
      authorize(actor, 'analytics.national');
      const q = parse(nationalQuery, raw);
      const year = chosenYear(q.year, now);
      return inScope(db, { all: true }, async (tx) => nationalTable(await loadPicture(tx, [year]), year, q.type));
    },

    /** A commissioner's providers, ranked against the national picture; aggregates only. */
    async providers(actor: Actor | null, raw: unknown, now = new Date()) {
      const a = authorize(actor, 'analytics.providers', actor?.kind === 'user' ? actor.orgId : undefined);
      if (a.kind !== 'user') throw forbidden();
      const q = parse(nationalQuery, raw);
      const mine = new Set((await commissioned(a)).map((p) => p.id));
      const year = chosenYear(q.year, now);
      const table = await inScope(db, { all: true }, async (tx) => nationalTable(await loadPicture(tx, [year]), year, q.type));
      return { ...table, rows: table.rows.filter((r) => mine.has(r.organisation.id)), commissioned: mine.size };
    },

    /** Perception and reality (`000 §8.2`): staff-survey figures beside the reported rate, year by year. */
    async perception(actor: Actor | null, orgId: string) {
      authorize(actor, 'analytics.read', orgId);
      return inScope(db, { orgId }, async (tx) => {
        const org = (await repo.organisation(tx, orgId)) as Org | undefined;
        if (!org) throw notFound('organisation');
        const surveys = await repo.surveys(tx, orgId);
        const counted = await repo.yearRollups(tx, orgId);
        const published = await repo.published(tx, orgId);
        const headcounts = await repo.headcounts(tx, orgId);
        const staff = new Map(headcounts.map((h) => [h.financial_year, h.headcount]));
        const figures = new Map<number, Figure>();
        for (const c of counted)
          if (c.incidents > 0)
            figures.set(c.financial_year, {
              source: 'warden',
              physicalAssaults: c.physical_assaults,
              medical: c.physical_assaults_medical,
              staff: staff.get(c.financial_year) ?? null,
            });
        for (const p of published)
          figures.set(p.financial_year, { source: 'published', physicalAssaults: p.physical_assaults, medical: p.physical_assaults_medical, staff: p.staff });
        const bySurvey = new Map(surveys.map((s) => [s.financial_year, s]));
        const years = [...new Set([...bySurvey.keys(), ...figures.keys()])].sort((a, b) => a - b);
        return {
          organisation: orgOut(org),
          years: years.map((y) => {
            const s = bySurvey.get(y);
            const f = figures.get(y);
            return {
              financialYear: y,
              label: financialYearLabel(y),
              physicalViolencePublic: s?.physical_violence_public ?? null,
              abusePublic: s?.abuse_public ?? null,
              violenceReported: s?.violence_reported ?? null,
              respondents: s?.respondents ?? null,
              // a percentage of staff is that many tenths of the staff per 1,000: 14.2% → 142 per 1,000
              surveyPer1000: s ? Math.round(s.physical_violence_public * 10) : null,
              reportedRatePer1000: f ? ratePer1000(f.physicalAssaults, f.staff) : null,
              source: f?.source ?? null,
            };
          }),
        };
      });
    },

    /** Records (or corrects) a year's staff-survey figures for an organisation; audited. */
    async setSurvey(actor: Actor | null, orgId: string, raw: unknown) {
      const a = authorize(actor, 'survey.manage', orgId);
      const input = parse(surveyInput, raw);
      return inScope(db, { orgId }, async (tx) => {
        if (!(await repo.organisation(tx, orgId))) throw notFound('organisation');
        const row = {
          orgId,
          financialYear: input.financialYear,
          physicalViolencePublic: input.physicalViolencePublic,
          abusePublic: input.abusePublic ?? null,
          violenceReported: input.violenceReported ?? null,
          respondents: input.respondents ?? null,
        };
        await repo.upsertSurvey(tx, [row], actorId(a));
        await audit(tx, a, { action: 'survey.set', orgId, objectType: 'staff_survey', objectId: `${orgId}/${input.financialYear}`, detail: input });
        return {
          financialYear: row.financialYear,
          physicalViolencePublic: row.physicalViolencePublic,
          abusePublic: row.abusePublic,
          violenceReported: row.violenceReported,
          respondents: row.respondents,
        };
      });
    },

    /** Every published figure imported, by organisation and year (administrators). */
    async publishedStatistics(actor: Actor | null) {
      authorize(actor, 'statistics.import');
      return inScope(db, { all: true }, async (tx) =>
        (await repo.published(tx)).map((p) => ({
          code: p.code,
          name: p.name,
          financialYear: p.financial_year,
          physicalAssaults: p.physical_assaults,
          physicalAssaultsMedical: p.physical_assaults_medical,
          staff: p.staff,
          ratePer1000: ratePer1000(p.physical_assaults, p.staff),
          source: p.source,
        })),
      );
    },

    /**
     * Imports published statistics from CSV (`code,financial_year,physical_assaults,medical_factors,staff`; years
     * as 2010 or 2010/11). Every row is checked first; one bad row rejects the whole file with line-numbered
     * messages and nothing is written. A year already imported for an organisation is replaced. Audited.
     */
    async importStatistics(actor: Actor | null, text: string, source: string | null = null) {
      const a = authorize(actor, 'statistics.import');
      const rows = checkFile(text, statisticsRow, STATISTICS_HEADER);
      return inScope(db, { all: true }, async (tx) => {
        const orgs = await resolveCodes(tx, rows);
        const out = rows.map(({ line, data }) => {
          const org = orgs.get(data.code);
          return org
            ? { orgId: org.id, financialYear: data.financial_year, physicalAssaults: data.physical_assaults, medical: data.medical_factors, staff: data.staff }
            : line;
        });
        failOnUnknown(out, rows);
        const values = out as Exclude<(typeof out)[number], number>[];
        await repo.upsertPublished(tx, values, source, actorId(a));
        const summary = importSummary(values);
        await audit(tx, a, { action: 'statistics.import', objectType: 'published_statistics', detail: { source, ...summary } });
        return summary;
      });
    },

    /** Imports staff-survey figures from CSV (SURVEY_HEADER), all or nothing, like published statistics. Audited. */
    async importSurvey(actor: Actor | null, text: string, source: string | null = null) {
      const a = authorize(actor, 'statistics.import');
      const rows = checkFile(text, surveyRow, SURVEY_HEADER);
      return inScope(db, { all: true }, async (tx) => {
        const orgs = await resolveCodes(tx, rows);
        const out = rows.map(({ line, data }) => {
          const org = orgs.get(data.code);
          return org
            ? {
                orgId: org.id,
                financialYear: data.financial_year,
                physicalViolencePublic: data.physical_violence_public,
                abusePublic: data.abuse_public ?? null,
                violenceReported: data.violence_reported ?? null,
                respondents: data.respondents ?? null,
              }
            : line;
        });
        failOnUnknown(out, rows);
        const values = out as Exclude<(typeof out)[number], number>[];
        await repo.upsertSurvey(tx, values, actorId(a));
        const summary = importSummary(values);
        await audit(tx, a, { action: 'survey.import', objectType: 'staff_survey', detail: { source, ...summary } });
        return summary;
      });
    },
  };
}

export type AnalyticsService = ReturnType<typeof analyticsService>;

const byRank = (a: Ranked, b: Ranked) =>
  (a.type.rank ?? Number.POSITIVE_INFINITY) - (b.type.rank ?? Number.POSITIVE_INFINITY) || a.org.name.localeCompare(b.org.name);

function nationalTable(picture: Picture, year: number, type?: ProviderType) {
  const ranked = rankYear(picture, year);
  const rows = [...ranked.rows.values()]
    .filter((r) => !type || r.org.type === type)
    .sort((a, b) => (a.national.rank ?? Number.POSITIVE_INFINITY) - (b.national.rank ?? Number.POSITIVE_INFINITY) || a.org.name.localeCompare(b.org.name));
  return {
    financialYear: year,
    label: financialYearLabel(year),
    years: picture.years,
    median: fromTenths(ranked.national.medianTenths),
    ranked: ranked.national.ranked,
    types: PROVIDER_TYPES.map((t) => {
      const x = ranked.types.get(t);
      return {
        type: t,
        label: ORGANISATION_TYPE_LABELS[t],
        organisations: x?.organisations ?? 0,
        ranked: x?.ranked ?? 0,
        median: fromTenths(x?.medianTenths ?? null),
      };
    }),
    rows: rows.map((r) => ({ ...rowOut(r, year), nationalRank: r.national.rank, nationalPercentile: r.national.percentile })),
  };
}

// ---- the dashboard -------------------------------------------------------------------------------------------

function resolvePeriod(f: DashboardFilters, now: Date): { from: Month; to: Month } {
  const current = londonMonth(now);
  // Only a start given: up to this month (or to that month itself, when it is still to come).
  const to = f.to ?? (f.from && f.from > current ? f.from : current);
  const from = f.from ?? addMonths(to, -(DEFAULT_PERIOD_MONTHS - 1));
  if (monthsFrom(from, to).length > MAX_PERIOD_MONTHS)
    throw invalid([{ field: 'from', message: `The period can be at most ${MAX_PERIOD_MONTHS} months (ten years)` }]);
  return { from, to };
}

type MonthlyRow = { month: string; category: string } & Totals;

function buildDashboard(x: {
  org: Org;
  filters: DashboardFilters;
  period: { from: Month; to: Month };
  monthly: MonthlyRow[];
  byDepartment: { site_id: string | null; department_id: string | null; incidents: number; months: number }[];
  notYetDue: number;
  /** Open cases past their due day whose investigation is completed: not overdue work (002 std 4.1). */
  completedOverdue: number;
  sites: { id: string; name: string }[];
  departments: { id: string; name: string; site_id: string | null }[];
  headcounts: { financial_year: number; headcount: number }[];
  now: Date;
}) {
  const { period } = x;
  const rows = x.monthly.map((r) => ({ ...r, month: r.month.slice(0, 7) as Month }));
  const sum = (pred: (r: (typeof rows)[number]) => boolean, m: keyof Totals = 'incidents') => rows.reduce((n, r) => n + (pred(r) ? Number(r[m]) : 0), 0);
  const within = (from: Month, to: Month) => (r: { month: Month }) => r.month >= from && r.month <= to;
  const inPeriod = within(period.from, period.to);

  const months = monthsFrom(period.from, period.to).map((month) => {
    const byCategory: Record<string, number> = {};
    for (const r of rows) if (r.month === month && Number(r.incidents) !== 0) byCategory[r.category] = (byCategory[r.category] ?? 0) + Number(r.incidents);
    return { month, total: Object.values(byCategory).reduce((a, b) => a + b, 0), byCategory };
  });

  const last12 = within(addMonths(period.to, -11), period.to);
  const previous12 = within(addMonths(period.to, -23), addMonths(period.to, -12));
  const categories = INCIDENT_CATEGORIES.filter((c) => !x.filters.category || c === x.filters.category)
    .map((category) => {
      const of = (r: { category: string }) => r.category === category;
      const l = sum((r) => of(r) && last12(r));
      const p = sum((r) => of(r) && previous12(r));
      return {
        category,
        label: CATEGORY_DEFINITIONS[category as IncidentCategory].label,
        incidents: sum((r) => of(r) && inPeriod(r)),
        last12: l,
        previous12: p,
        change: percentChange(l, p),
      };
    })
    .filter((c) => c.incidents > 0 || c.last12 > 0 || c.previous12 > 0);

  const t = (m: keyof Totals) => sum(inPeriod, m);
  const pa = (r: { category: string }) => r.category === 'physical_assault';
  const incidents = t('incidents');
  const physicalAssaults = sum((r) => pa(r) && inPeriod(r));
  const physicalAssaultsMedical = sum((r) => pa(r) && inPeriod(r), 'medical_factors');
  const totals = {
    incidents,
    physicalAssaults,
    physicalAssaultsMedical,
    medicalFactorsShare: sharePercent(physicalAssaultsMedical, physicalAssaults),
    late: t('late'),
    lateShare: sharePercent(t('late'), incidents),
    police: t('police'),
    policeShare: sharePercent(t('police'), incidents),
    injured: t('injured'),
    closed: t('closed'),
    averageDaysToClose: averageDays(t('closure_seconds'), t('closed')),
    open: t('open'),
    // 002 std 4.1, as the case lists count it: open, past the due day, the manager's investigation not completed
    overdue: t('open') - x.notYetDue - x.completedOverdue,
    sanctions: t('sanctions'),
    casesSanctioned: t('sanctioned'),
    redressCases: t('redress_cases'),
    redressSoughtPence: t('redress_sought_pence'),
    redressRecoveredPence: t('redress_recovered_pence'),
    redressRecoveredCases: t('redress_recovered_cases'),
  };
  const l12 = sum(last12);
  const p12 = sum(previous12);

  // Financial years the period touches, each counted whole (up to the period's end: a year not yet over is partial).
  const staff = new Map(x.headcounts.map((h) => [h.financial_year, h.headcount]));
  const current = londonMonth(x.now);
  const fy = (y: number) => {
    const m = financialYearMonths(y);
    const end = m.to < period.to ? m.to : period.to;
    const n = sum(within(m.from, end));
    const assaults = sum((r) => pa(r) && within(m.from, end)(r));
    return { n, assaults, partial: m.to > period.to || m.to > current };
  };
  const years = [];
  for (let y = financialYearOfMonth(period.from); y <= financialYearOfMonth(period.to); y++) {
    const now = fy(y);
    const before = fy(y - 1);
    const headcount = staff.get(y) ?? null;
    // Rates are per 1,000 staff of the whole organisation: not meaningful for one site.
    const rated = !x.filters.site;
    const assaultsCounted = !x.filters.category || x.filters.category === 'physical_assault';
    years.push({
      financialYear: y,
      label: financialYearLabel(y),
      partial: now.partial,
      incidents: now.n,
      physicalAssaults: now.assaults,
      staff: headcount,
      ratePer1000: rated ? ratePer1000(now.n, headcount) : null,
      assaultRatePer1000: rated && assaultsCounted ? ratePer1000(now.assaults, headcount) : null,
      change: now.partial || before.partial ? null : percentChange(now.n, before.n),
    });
  }

  const siteName = new Map(x.sites.map((s) => [s.id, s.name]));
  const departmentName = new Map(x.departments.map((d) => [d.id, d.name]));
  const place = (siteId: string | null) => (siteId ? (siteName.get(siteId) ?? 'Unknown site') : 'In the community');
  const bySite = new Map<string | null, number>();
  for (const d of x.byDepartment) bySite.set(d.site_id, (bySite.get(d.site_id) ?? 0) + Number(d.incidents));
  const sites = [...bySite]
    .filter(([, n]) => n > 0)
    .map(([id, n]) => ({ siteId: id, name: place(id), incidents: n }))
    .sort((a, b) => b.incidents - a.incidents || a.name.localeCompare(b.name));
  const byDept = new Map<string | null, number>();
  for (const d of x.byDepartment) byDept.set(d.department_id, (byDept.get(d.department_id) ?? 0) + Number(d.incidents));
  const departments = [...byDept]
    .filter(([, n]) => n > 0)
    .map(([id, n]) => ({ departmentId: id, name: id ? (departmentName.get(id) ?? 'Unknown department') : 'No department given', incidents: n }))
    .sort((a, b) => b.incidents - a.incidents || a.name.localeCompare(b.name));
  const repeatLocations = x.byDepartment
    .filter((d) => Number(d.incidents) >= REPEAT_MIN)
    .map((d) => ({
      location: d.department_id ? `${place(d.site_id)}: ${departmentName.get(d.department_id) ?? 'Unknown department'}` : place(d.site_id),
      incidents: Number(d.incidents),
      months: d.months,
    }))
    .sort((a, b) => b.incidents - a.incidents || b.months - a.months || a.location.localeCompare(b.location))
    .slice(0, REPEAT_LIMIT);

  return {
    organisation: orgOut(x.org),
    period: { from: period.from, to: period.to, category: x.filters.category ?? null, site: x.filters.site ?? null },
    totals,
    months,
    categories,
    yearOnYear: { to: period.to, last12: l12, previous12: p12, change: percentChange(l12, p12) },
    sites,
    departments,
    repeatLocations,
    years,
    /** The organisation's sites, for the site filter. */
    siteOptions: x.sites.map((s) => ({ id: s.id, name: s.name })),
  };
}

export type Dashboard = ReturnType<typeof buildDashboard>;

// ---- CSV imports ----------------------------------------------------------------------------------------------

type Checked<T> = { line: number; data: T };

/** Parses and checks every row; throws one line-numbered message per problem, writing nothing. */
function checkFile<S extends z.ZodType<{ code: string; financial_year: number }>>(text: string, schema: S, header: string): Checked<z.infer<S>>[] {
  const records = parseCsvRecords(text);
  if (records.length === 0)
    throw invalid([{ field: 'file', message: `The file has no rows: it needs a header row (${header}) and one row per organisation and year` }]);
  const optional = ['abuse_public', 'violence_reported', 'respondents'];
  const missing = header.split(',').filter((h) => !(h in (records[0]?.record ?? {})) && !optional.includes(h));
  if (missing.length) throw invalid([{ field: 'file', message: `line 1: the header row must name the columns ${header} (missing: ${missing.join(', ')})` }]);
  const problems: FieldError[] = [];
  const out: Checked<z.infer<S>>[] = [];
  const seen = new Map<string, number>();
  for (const { line, record } of records) {
    const r = schema.safeParse(record);
    if (!r.success) {
      const fields = new Set<string>();
      for (const i of r.error.issues) {
        const field = String(i.path[0] ?? 'row');
        if (fields.has(field)) continue;
        fields.add(field);
        problems.push({ field: `line ${line}`, message: `line ${line}, ${field}: ${i.message}` });
      }
      continue;
    }
    const key = `${r.data.code}/${r.data.financial_year}`;
    const dup = seen.get(key);
    if (dup)
      problems.push({ field: `line ${line}`, message: `line ${line}: ${r.data.code} ${financialYearLabel(r.data.financial_year)} is already on line ${dup}` });
    seen.set(key, line);
    out.push({ line, data: r.data });
  }
  if (problems.length) throw invalid(problems, `The file was not imported: ${problems.length} problem(s) found`);
  return out;
}

async function resolveCodes(tx: Tx, rows: { data: { code: string } }[]) {
  const found = await repo.organisationsByCode(tx, [...new Set(rows.map((r) => r.data.code))]);
  return new Map(found.map((o) => [o.code.toUpperCase(), o]));
}

function failOnUnknown(out: (number | object)[], rows: Checked<{ code: string }>[]) {
  const problems = out.flatMap((o, i) =>
    typeof o === 'number'
      ? [
          {
            field: `line ${o}`,
            message: `line ${o}, code: no organisation has the code ${rows[i]?.data.code}: import organisations first (warden import organisations)`,
          },
        ]
      : [],
  );
  if (problems.length) throw invalid(problems, `The file was not imported: ${problems.length} problem(s) found`);
}

function importSummary(values: { orgId: string; financialYear: number }[]) {
  return {
    rows: values.length,
    organisations: new Set(values.map((v) => v.orgId)).size,
    years: [...new Set(values.map((v) => v.financialYear))].sort((a, b) => a - b),
  };
}
