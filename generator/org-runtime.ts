import type { SupplierEntry, OrgCatalog, VenueEntry } from "./org-catalog.ts";
import type { Channel, Method, OrgProfile, RegionProfile, ServiceOffer } from "./org-profiles.ts";
import { hashString, Rng, WeightedPicker } from "./random.ts";

/** Rates of injected faults, shared by every organisation of one generation run. */
export interface InjectionRates {
  anomalyRate: number;
  mismatchRate: number;
  duplicateRate: number;
  resendRate: number;
}

/** Running counters behind an organisation's generated ids. */
export interface IdCounters {
  wedding: number;
  booking: number;
  payment: number;
  refund: number;
  expense: number;
  inquiry: number;
  client: number;
  ghost: number;
}

/** One organisation while data is being generated: its profile, catalog, random stream and id counters. */
export interface OrgRuntime {
  profile: OrgProfile;
  catalog: OrgCatalog;
  /** The organisation's own random stream, so its events do not change when other organisations are added. */
  rng: Rng;
  /** A separate stream for exact re-sends, so turning them on leaves every other event unchanged. */
  resendRng: Rng;
  /** Another for re-sends under a new event id (and those ids), so turning them on leaves every other event unchanged. */
  businessResendRng: Rng;
  rates: InjectionRates;
  /** Expected inquiries per day at scale × weddingsPerYear, before seasonal factors. */
  inquiriesPerDay: number;
  regions: WeightedPicker<RegionProfile>;
  channels: WeightedPicker<Channel>;
  methods: WeightedPicker<Method>;
  primaryServices: WeightedPicker<ServiceOffer>;
  suppliersByRegion: Map<string, SupplierEntry[]>;
  venuesByRegion: Map<string, VenueEntry[]>;
  venuesById: Map<string, VenueEntry>;
  counters: IdCounters;
}

/** Derives a 32-bit seed for one named stream of one run, e.g. ("lens-and-light", "events"). */
export function deriveSeed(seed: number, ...names: string[]): number {
  return names.reduce((acc, name) => hashString(`${acc}:${name}`), Math.trunc(seed) >>> 0);
}

/** Groups entries by region, so a booking's supplier and venue come from the wedding's region. */
function byRegion<T extends { region: string }>(entries: T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const entry of entries) {
    const list = map.get(entry.region);
    if (list) list.push(entry);
    else map.set(entry.region, [entry]);
  }
  return map;
}

/** Prepares an organisation for generation: pickers, indexes and a random stream derived from the seed. */
export function createOrgRuntime(
  profile: OrgProfile,
  catalog: OrgCatalog,
  seed: number,
  scale: number,
  rates: InjectionRates,
): OrgRuntime {
  const channelEntries = Object.entries(profile.channels) as [Channel, { share: number; conversion: number }][];
  const meanConversion =
    channelEntries.reduce((sum, [, mix]) => sum + mix.share * mix.conversion, 0) /
    channelEntries.reduce((sum, [, mix]) => sum + mix.share, 0);
  return {
    profile,
    catalog,
    rng: new Rng(deriveSeed(seed, profile.key, "events")),
    resendRng: new Rng(deriveSeed(seed, profile.key, "resends")),
    businessResendRng: new Rng(deriveSeed(seed, profile.key, "business-resends")),
    rates,
    inquiriesPerDay: (profile.weddingsPerYear * scale) / meanConversion / 365.25,
    regions: new WeightedPicker(profile.regions.map((region) => [region, region.weight] as const)),
    channels: new WeightedPicker(channelEntries.map(([channel, mix]) => [channel, mix.share] as const)),
    methods: new WeightedPicker(Object.entries(profile.methods) as [Method, number][]),
    primaryServices: new WeightedPicker(profile.services.map((offer) => [offer, offer.primaryWeight] as const)),
    suppliersByRegion: byRegion(catalog.suppliers),
    venuesByRegion: byRegion(catalog.venues),
    venuesById: new Map(catalog.venues.map((venue) => [venue.id, venue])),
    counters: { wedding: 0, booking: 0, payment: 0, refund: 0, expense: 0, inquiry: 0, client: 0, ghost: 0 },
  };
}
