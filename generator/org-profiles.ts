import type { Service } from "../schemas/index.ts";

/** How couples reach a supplier; mirrors the inquiry.received `channel` values. */
export type Channel = "website" | "referral" | "marketplace" | "social" | "other";

/** How payments are made; mirrors the payment.received `method` values. */
export type Method = "card" | "bank_transfer" | "cash" | "other";

/** A service an organisation sells and what it costs. Prices are in major units of the booking's currency. */
export interface ServiceOffer {
  service: Service;
  /** Relative weight of this service as the first thing a wedding books (0: only ever an add-on). */
  primaryWeight: number;
  /** Chance that a wedding which booked another service also books this one. */
  addOnChance: number;
  /** Median fixed price. */
  medianPrice: number;
  /** Price per guest on top of the fixed price (venue hire, catering); 0 when guests do not matter. */
  perGuest: number;
  /** Log-normal spread of the fixed price (0.3 ≈ two thirds of prices within ±35 % of the median). */
  priceSpread: number;
}

/** A region an organisation works in; a region may trade in its own currency. */
export interface RegionProfile {
  name: string;
  /** Relative share of the organisation's weddings. */
  weight: number;
  /** ISO 4217 code when it differs from the organisation's currency. */
  currency?: string;
}

/** A cost budget the organisation allocates for each wedding, as a share of the wedding's contract value. */
export interface CostCategory {
  category: Service;
  share: number;
}

/** Share of inquiries arriving through a channel and the share of those that turn into a booking. */
export interface ChannelMix {
  share: number;
  conversion: number;
}

/** Everything that makes one simulated organisation look like itself. */
export interface OrgProfile {
  /** Stable key the generated events are attributed to (stands in for the organisation's API key). */
  key: string;
  name: string;
  /** Short tag in generated ids, so ids never collide across organisations. */
  idPrefix: string;
  /** Default ISO 4217 currency; zero-decimal currencies such as JPY are supported. */
  currency: string;
  regions: RegionProfile[];
  /** Chance that a booking carries its region (hand-entered data often omits it). */
  regionRecorded: number;
  /** Suppliers (photographers, florists) the organisation books work for; ignored when it owns its venues. */
  suppliers: number;
  /** Venues bookings take place at; `own` means each supplier is a venue of the organisation. */
  venues: { count: number; minCapacity: number; maxCapacity: number; own: boolean };
  /** Booked weddings per year at scale 1. */
  weddingsPerYear: number;
  services: ServiceOffer[];
  costCategories: CostCategory[];
  channels: Record<Channel, ChannelMix>;
  methods: Record<Method, number>;
  /** Share of the contract value paid as a deposit at booking, [min, max]. */
  depositShare: [number, number];
  /** At most this many instalments between the deposit and the final payment. */
  maxInstalments: number;
  /** Share of weddings called off after booking. */
  cancellationRate: number;
  /** Share of bookings changed after booking (guest count or contract value). */
  updateRate: number;
  /** Share of completed bookings given a partial goodwill refund after the wedding. */
  goodwillRefundRate: number;
  /** Prices are rounded to this many major units; payments to whole major units. */
  priceRounding: number;
}

const UK_REGIONS: RegionProfile[] = [
  { name: "London", weight: 18 },
  { name: "South East", weight: 16 },
  { name: "South West", weight: 11 },
  { name: "East of England", weight: 9 },
  { name: "Midlands", weight: 12 },
  { name: "North West", weight: 10 },
  { name: "Yorkshire", weight: 9 },
  { name: "North East", weight: 4 },
  { name: "Wales", weight: 5 },
  { name: "Scotland", weight: 6 },
];

/** A national chain: 500 photographers and videographers across the UK, thousands of weddings a year. */
const chain: OrgProfile = {
  key: "lens-and-light",
  name: "Lens & Light Collective",
  idPrefix: "ll",
  currency: "GBP",
  regions: UK_REGIONS,
  regionRecorded: 1,
  suppliers: 500,
  venues: { count: 400, minCapacity: 40, maxCapacity: 320, own: false },
  weddingsPerYear: 9000,
  services: [
    { service: "photography", primaryWeight: 1, addOnChance: 0, medianPrice: 1900, perGuest: 0, priceSpread: 0.3 },
    { service: "videography", primaryWeight: 0, addOnChance: 0.25, medianPrice: 1500, perGuest: 0, priceSpread: 0.3 },
  ],
  costCategories: [
    { category: "other", share: 0.12 },
    { category: "transport", share: 0.03 },
  ],
  channels: {
    website: { share: 0.35, conversion: 0.28 },
    referral: { share: 0.2, conversion: 0.5 },
    marketplace: { share: 0.3, conversion: 0.18 },
    social: { share: 0.1, conversion: 0.1 },
    other: { share: 0.05, conversion: 0.2 },
  },
  methods: { card: 0.6, bank_transfer: 0.35, cash: 0, other: 0.05 },
  depositShare: [0.2, 0.3],
  maxInstalments: 3,
  cancellationRate: 0.04,
  updateRate: 0.15,
  goodwillRefundRate: 0.02,
  priceRounding: 10,
};

/** A group of sixteen venues in France, Italy and England, trading in EUR and GBP, with in-house catering. */
const venueGroup: OrgProfile = {
  key: "chateaux-group",
  name: "Château & Manor Venues",
  idPrefix: "cm",
  currency: "EUR",
  regions: [
    { name: "Provence", weight: 5 },
    { name: "Loire Valley", weight: 3 },
    { name: "Tuscany", weight: 4 },
    { name: "Cotswolds", weight: 3, currency: "GBP" },
    { name: "Lake District", weight: 1, currency: "GBP" },
  ],
  regionRecorded: 1,
  suppliers: 16,
  venues: { count: 16, minCapacity: 80, maxCapacity: 300, own: true },
  weddingsPerYear: 1200,
  services: [
    { service: "venue", primaryWeight: 1, addOnChance: 0, medianPrice: 6000, perGuest: 45, priceSpread: 0.25 },
    { service: "catering", primaryWeight: 0, addOnChance: 0.8, medianPrice: 1500, perGuest: 95, priceSpread: 0.2 },
    { service: "planner", primaryWeight: 0, addOnChance: 0.15, medianPrice: 3500, perGuest: 0, priceSpread: 0.3 },
    { service: "music", primaryWeight: 0, addOnChance: 0.2, medianPrice: 1200, perGuest: 0, priceSpread: 0.3 },
  ],
  costCategories: [
    { category: "catering", share: 0.22 },
    { category: "florist", share: 0.04 },
    { category: "music", share: 0.03 },
    { category: "other", share: 0.06 },
  ],
  channels: {
    website: { share: 0.45, conversion: 0.25 },
    referral: { share: 0.15, conversion: 0.45 },
    marketplace: { share: 0.25, conversion: 0.15 },
    social: { share: 0.1, conversion: 0.08 },
    other: { share: 0.05, conversion: 0.2 },
  },
  methods: { card: 0.25, bank_transfer: 0.7, cash: 0.02, other: 0.03 },
  depositShare: [0.25, 0.35],
  maxInstalments: 4,
  cancellationRate: 0.05,
  updateRate: 0.35,
  goodwillRefundRate: 0.03,
  priceRounding: 50,
};

/** A one-person florist in Vermont: one supplier, a few dozen weddings a year, regions often not recorded. */
const soloFlorist: OrgProfile = {
  key: "petal-and-stem",
  name: "Petal & Stem",
  idPrefix: "ps",
  currency: "USD",
  regions: [{ name: "Vermont", weight: 1 }],
  regionRecorded: 0.6,
  suppliers: 1,
  venues: { count: 20, minCapacity: 50, maxCapacity: 220, own: false },
  weddingsPerYear: 35,
  services: [
    { service: "florist", primaryWeight: 1, addOnChance: 0, medianPrice: 2200, perGuest: 0, priceSpread: 0.45 },
  ],
  costCategories: [
    { category: "florist", share: 0.38 },
    { category: "transport", share: 0.05 },
  ],
  channels: {
    website: { share: 0.3, conversion: 0.3 },
    referral: { share: 0.4, conversion: 0.6 },
    marketplace: { share: 0.1, conversion: 0.2 },
    social: { share: 0.15, conversion: 0.15 },
    other: { share: 0.05, conversion: 0.3 },
  },
  methods: { card: 0.5, bank_transfer: 0.3, cash: 0.15, other: 0.05 },
  depositShare: [0.25, 0.5],
  maxInstalments: 1,
  cancellationRate: 0.03,
  updateRate: 0.2,
  goodwillRefundRate: 0.04,
  priceRounding: 10,
};

/** A Tokyo photo-and-attire studio trading in yen, a zero-decimal currency. */
const tokyoStudio: OrgProfile = {
  key: "sakura-studio",
  name: "Sakura Photo & Dress",
  idPrefix: "ss",
  currency: "JPY",
  regions: [
    { name: "Tokyo", weight: 6 },
    { name: "Osaka", weight: 3 },
    { name: "Kyoto", weight: 2 },
  ],
  regionRecorded: 1,
  suppliers: 25,
  venues: { count: 60, minCapacity: 30, maxCapacity: 200, own: false },
  weddingsPerYear: 800,
  services: [
    { service: "photography", primaryWeight: 1, addOnChance: 0, medianPrice: 280_000, perGuest: 0, priceSpread: 0.3 },
    { service: "attire", primaryWeight: 0, addOnChance: 0.5, medianPrice: 220_000, perGuest: 0, priceSpread: 0.35 },
  ],
  costCategories: [
    { category: "attire", share: 0.3 },
    { category: "other", share: 0.08 },
  ],
  channels: {
    website: { share: 0.4, conversion: 0.3 },
    referral: { share: 0.15, conversion: 0.5 },
    marketplace: { share: 0.35, conversion: 0.2 },
    social: { share: 0.08, conversion: 0.1 },
    other: { share: 0.02, conversion: 0.2 },
  },
  methods: { card: 0.45, bank_transfer: 0.45, cash: 0.08, other: 0.02 },
  depositShare: [0.1, 0.2],
  maxInstalments: 1,
  cancellationRate: 0.03,
  updateRate: 0.1,
  goodwillRefundRate: 0.01,
  priceRounding: 1000,
};

/** Ready-made organisations from a 500-photographer chain down to a one-person florist. */
export const ORG_PRESETS = { chain, venueGroup, soloFlorist, tokyoStudio } as const;
