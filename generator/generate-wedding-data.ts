import { DAY_MS, dayNumber } from "./calendar.ts";
import type { GeneratedItem } from "./generated-item.ts";
import { materializeStep } from "./materialize-step.ts";
import { buildOrgCatalog, type OrgCatalog } from "./org-catalog.ts";
import type { OrgProfile } from "./org-profiles.ts";
import { createOrgRuntime, deriveSeed, type OrgRuntime } from "./org-runtime.ts";
import { planInquiry } from "./plan-wedding.ts";
import { PlanQueue } from "./plan-queue.ts";
import { Rng } from "./random.ts";
import { inquiryFactor } from "./seasonality.ts";
import { insertStep } from "./wedding-plan.ts";

/** Event types whose data carries a business id, which a producer may send again under a new event id. */
const BUSINESS_ID_TYPES = new Set<string>([
  "booking.created",
  "payment.received",
  "payment.refunded",
  "expense.recorded",
  "inquiry.received",
]);

/** What to generate. The same options always give the same events, in the same order. */
export interface GenerateOptions {
  seed: number;
  /** Who sends the events; presets are in ORG_PRESETS. Keys and id prefixes must be unique. */
  organisations: OrgProfile[];
  /** First day inquiries arrive, YYYY-MM-DD (UTC). No event happens before it. */
  from: string;
  /** Last day of the period, YYYY-MM-DD (UTC), inclusive. No event happens after it; wedding dates may. */
  to: string;
  /** Multiplies every organisation's weddings per year; default 1. */
  scale?: number;
  /** Share of booked weddings given one injected, labelled anomaly; default 0.01. */
  anomalyRate?: number;
  /**
   * Share of booked weddings given one labelled mismatch (a payment for a booking that does not exist, a payment after
   * cancellation, a refund above its payment, a payment or contract value in another currency); default 0. Money that
   * moved is counted whatever it names; the mismatch is flagged, never dead-lettered.
   */
  mismatchRate?: number;
  /** Share of events sent a second time (same id, 1–120 s later), as a retrying producer would; default 0. */
  duplicateRate?: number;
  /**
   * Share of events carrying a business id (booking.created, payment.received, payment.refunded, expense.recorded,
   * inquiry.received) sent again with the same content under a new event id, 1 minute to 1 day later, as a producer
   * re-importing its records would; labelled `resend`, counted once; default 0.
   */
  resendRate?: number;
  /** Stop after this many items (re-sends included); default unlimited. */
  maxEvents?: number;
}

/**
 * Generated wedding data: iterate it for the events (each iteration starts over and yields the same
 * items), read `catalogs` for the reference data they refer to (venue capacities for the
 * guest-count check). Labels travel on the items themselves (`item.label`), so a consumer that
 * streams the events can feed the same items to a GroundTruthBuilder and know what was injected.
 */
export interface WeddingData extends Iterable<GeneratedItem> {
  catalogs: OrgCatalog[];
}

/** Throws a RangeError naming the first thing wrong with the options. */
function checkOptions(options: GenerateOptions): void {
  const fail = (message: string): never => {
    throw new RangeError(message);
  };
  if (!Number.isFinite(options.seed)) fail("seed must be a finite number");
  if (options.organisations.length === 0) fail("organisations must not be empty");
  if (dayNumber(options.from) > dayNumber(options.to)) fail(`from (${options.from}) is after to (${options.to})`);
  for (const name of ["anomalyRate", "mismatchRate", "duplicateRate", "resendRate"] as const) {
    const rate = options[name] ?? 0;
    if (!(rate >= 0 && rate <= 1)) fail(`${name} must be between 0 and 1`);
  }
  if (!((options.scale ?? 1) > 0)) fail("scale must be positive");
  const currencies = new Set(Intl.supportedValuesOf("currency"));
  for (const key of ["key", "idPrefix"] as const) {
    const values = options.organisations.map((org) => org[key]);
    if (new Set(values).size !== values.length) fail(`organisation ${key}s must be unique`);
  }
  for (const org of options.organisations) {
    for (const currency of [org.currency, ...org.regions.map((region) => region.currency ?? org.currency)]) {
      if (!currencies.has(currency)) fail(`${org.key}: ${currency} is not an ISO 4217 currency`);
    }
    if (org.regions.length === 0 || org.services.length === 0)
      fail(`${org.key}: needs at least one region and one service`);
  }
}

/** Generates realistic, deterministic wedding-supplier events for the given organisations and period. */
export function generateWeddingData(options: GenerateOptions): WeddingData {
  checkOptions(options);
  const catalogs = options.organisations.map((profile) =>
    buildOrgCatalog(profile, new Rng(deriveSeed(options.seed, profile.key, "catalog"))),
  );
  return { catalogs, [Symbol.iterator]: () => streamEvents(options, catalogs) };
}

/**
 * The event stream. Inquiries arrive day by day; each one is planned at once (a lone inquiry, or a
 * whole wedding with its bookings, payments, budgets and expenses), and the plans are merged by the
 * time of their next step. A day's inquiries are planned before anything at or after that day is
 * emitted, so the stream is in time order across organisations (exact re-sends arrive up to two
 * minutes late, as retries do; re-sends under a new event id up to a day late).
 */
function* streamEvents(options: GenerateOptions, catalogs: OrgCatalog[]): Generator<GeneratedItem> {
  const rates = {
    anomalyRate: options.anomalyRate ?? 0.01,
    mismatchRate: options.mismatchRate ?? 0,
    duplicateRate: options.duplicateRate ?? 0,
    resendRate: options.resendRate ?? 0,
  };
  const orgs: OrgRuntime[] = options.organisations.map((profile, i) =>
    createOrgRuntime(profile, catalogs[i]!, options.seed, options.scale ?? 1, rates),
  );
  const lastDay = dayNumber(options.to);
  const horizon = (lastDay + 1) * DAY_MS - 1;
  const maxEvents = options.maxEvents ?? Infinity;
  const queue = new PlanQueue();
  let day = dayNumber(options.from);
  let seq = 0;
  let emitted = 0;
  while (emitted < maxEvents) {
    const next = queue.peek();
    if (day <= lastDay && (next === undefined || next.steps[next.cursor]!.at >= day * DAY_MS)) {
      for (const org of orgs) {
        for (let n = org.rng.poisson(org.inquiriesPerDay * inquiryFactor(day)); n > 0; n--) {
          const plan = planInquiry(org, day, seq++, horizon);
          if (plan.steps.length > 0) queue.push(plan);
        }
      }
      day++;
      continue;
    }
    if (next === undefined) return;
    const step = next.steps[next.cursor]!;
    if (step.at > horizon) {
      // Steps are in time order, so the rest of this plan is beyond the period too.
      queue.pop();
      continue;
    }
    next.cursor++;
    const item = materializeStep(step, next);
    const org = next.org;
    const original = item !== undefined && step.kind !== "replay" && step.kind !== "resend";
    if (original && rates.duplicateRate > 0 && org.resendRng.chance(rates.duplicateRate)) {
      insertStep(next, { at: step.at + org.resendRng.int(1, 120) * 1000, kind: "replay", item });
    }
    if (
      original &&
      rates.resendRate > 0 &&
      BUSINESS_ID_TYPES.has(item.event.type) &&
      org.businessResendRng.chance(rates.resendRate)
    ) {
      const rng = org.businessResendRng;
      const resent = { orgKey: item.orgKey, event: { ...item.event, id: rng.uuid() } as GeneratedItem["event"] };
      const label = { class: "resend", of: item.event.id } as const;
      insertStep(next, { at: step.at + rng.int(60, 86_400) * 1000, kind: "resend", item: { ...resent, label } });
    }
    if (next.cursor >= 8) {
      // Emitted steps are dead weight; dropping them keeps plans small (memory grows with weddings in flight).
      next.steps.splice(0, next.cursor);
      next.cursor = 0;
    }
    if (next.cursor < next.steps.length) queue.updateFirst();
    else queue.pop();
    if (item !== undefined) {
      emitted++;
      yield item;
    }
  }
}
