import type { OrgProfile } from "./org-profiles.ts";
import { WeightedPicker, type Rng } from "./random.ts";

/** A venue weddings take place at; anomaly detection compares guest counts with its capacity. */
export interface VenueEntry {
  id: string;
  region: string;
  capacity: number;
}

/** A supplier (photographer, venue, florist) of the organisation; own venues name their venue. */
export interface SupplierEntry {
  id: string;
  region: string;
  venueId?: string;
}

/** The fixed reference data of one generated organisation, decided before its first event. */
export interface OrgCatalog {
  orgKey: string;
  name: string;
  suppliers: SupplierEntry[];
  venues: VenueEntry[];
}

/** Spreads `count` items over the regions: one each first (while they last), the rest by weight. */
function assignRegions(profile: OrgProfile, count: number, rng: Rng): string[] {
  const picker = new WeightedPicker(profile.regions.map((region) => [region.name, region.weight] as const));
  return Array.from({ length: count }, (_, i) =>
    i < profile.regions.length ? profile.regions[i]!.name : picker.pick(rng),
  );
}

/** Builds an organisation's suppliers and venues from its profile, deterministically from the generator. */
export function buildOrgCatalog(profile: OrgProfile, rng: Rng): OrgCatalog {
  const venueRegions = assignRegions(profile, profile.venues.count, rng);
  const venues = venueRegions.map((region, i) => ({
    id: `ven-${profile.idPrefix}-${i + 1}`,
    region,
    capacity: 10 * rng.int(Math.ceil(profile.venues.minCapacity / 10), Math.floor(profile.venues.maxCapacity / 10)),
  }));
  const suppliers: SupplierEntry[] = profile.venues.own
    ? venues.map((venue, i) => ({ id: `sup-${profile.idPrefix}-${i + 1}`, region: venue.region, venueId: venue.id }))
    : assignRegions(profile, profile.suppliers, rng).map((region, i) => ({
        id: `sup-${profile.idPrefix}-${i + 1}`,
        region,
      }));
  return { orgKey: profile.key, name: profile.name, suppliers, venues };
}
