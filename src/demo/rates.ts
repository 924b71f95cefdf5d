/**
 * Expected incident rates by type of organisation, and a seeded pseudo-random generator: the ground both generated
 * data sets stand on, the demo's (src/demo/incidents.ts) and the national benchmark's (bench/national.ts). No I/O.
 */
import type { IncidentCategory } from '../domain/incidents.ts';

export type ProviderType = 'acute' | 'mental_health' | 'ambulance' | 'community';

/** Deterministic pseudo-random numbers (mulberry32): the same seed, the same data. Never Math.random. */
export function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** true with probability `p`. */
    chance: (p: number) => next() < p,
    between: (lo: number, hi: number) => lo + (hi - lo) * next(),
    int: (lo: number, hi: number) => lo + Math.floor((hi - lo + 1) * next()),
    /** `x` rounded up or down at random, in proportion: the expected value stays `x`. */
    round: (x: number) => Math.floor(x) + (next() < x - Math.floor(x) ? 1 : 0),
    pick: <T>(items: readonly T[], weights: readonly number[] = items.map(() => 1)) => {
      const total = weights.reduce((s, w) => s + w, 0);
      let r = next() * total;
      for (let i = 0; i < items.length; i++) {
        r -= weights[i] as number;
        if (r <= 0) return items[i] as T;
      }
      return items[items.length - 1] as T;
    },
    hex: (n: number) => {
      let s = '';
      while (s.length < n)
        s += Math.floor(next() * 0x100000000)
          .toString(16)
          .padStart(8, '0');
      return s.slice(0, n);
    },
  };
}
export type Random = ReturnType<typeof random>;

/**
 * Incidents per 1,000 staff a year, by type and category (proportions from SIRS-era reports). Physical assaults:
 * acute about 15 (`004` peer table: 43 to 129 assaults among 3,175 to 6,615 staff, 13.5 to 19.5 per 1,000), mental
 * health about twelve times that, ambulance and community in between and below.
 */
export const RATES: Record<ProviderType, Partial<Record<IncidentCategory, number>>> = {
  mental_health: {
    physical_assault: 180,
    non_physical_assault: 120,
    theft: 3,
    criminal_damage: 15,
    burglary: 0.5,
    unauthorised_access: 6,
    drugs_prescriptions_hazardous: 2,
    lone_worker: 8,
    near_miss: 5,
  },
  ambulance: {
    physical_assault: 40,
    non_physical_assault: 60,
    theft: 4,
    criminal_damage: 5,
    burglary: 0.5,
    unauthorised_access: 1,
    drugs_prescriptions_hazardous: 2,
    lone_worker: 10,
    near_miss: 5,
  },
  acute: {
    physical_assault: 15,
    non_physical_assault: 30,
    theft: 8,
    criminal_damage: 5,
    burglary: 0.5,
    unauthorised_access: 4,
    drugs_prescriptions_hazardous: 2,
    maternity_paediatric: 1,
    lone_worker: 1,
    near_miss: 5,
  },
  community: {
    physical_assault: 12,
    non_physical_assault: 20,
    theft: 3,
    criminal_damage: 3,
    burglary: 0.5,
    unauthorised_access: 1,
    drugs_prescriptions_hazardous: 1,
    lone_worker: 15,
    near_miss: 5,
  },
};

/** Share of physical assaults involving medical factors (`004` peer table: 62 of 69 in an acute trust, 93 of 129). */
export const MEDICAL: Record<ProviderType, number> = { mental_health: 0.8, acute: 0.7, ambulance: 0.35, community: 0.5 };

/** The categories an organisation of a type sees, and their weights (its rates). */
export function categoriesOf(type: ProviderType): { categories: IncidentCategory[]; weights: number[] } {
  const categories = Object.keys(RATES[type]) as IncidentCategory[];
  return { categories, weights: categories.map((c) => RATES[type][c] ?? 0) };
}

/** Incidents of every category per 1,000 staff a year. */
export const totalRate = (type: ProviderType) => Object.values(RATES[type]).reduce((s, r) => s + r, 0);
