import type { Service } from "../schemas/index.ts";
import { DAY_MS, dayName, dayOf } from "./calendar.ts";
import { PLAN_ANOMALY_KINDS, type MismatchKind, type PlanAnomalyKind } from "./generated-item.ts";
import { floorToMajor, minorPerMajor, roundToMajor } from "./minor-units.ts";
import type { VenueEntry } from "./org-catalog.ts";
import type { Channel, ServiceOffer } from "./org-profiles.ts";
import type { OrgRuntime } from "./org-runtime.ts";
import type { Rng } from "./random.ts";
import { sampleWeddingDay } from "./seasonality.ts";
import type { BookingPlan, MismatchFault, Step, WeddingPlan } from "./wedding-plan.ts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Bookings are made at least this long before the wedding (three months) … */
const MIN_BOOKING_LEAD_DAYS = 92;
/** … and at most this long (eighteen months). */
const MAX_BOOKING_LEAD_DAYS = 545;

// prettier-ignore
const SURNAMES = [
  "hart",
  "okafor",
  "nguyen",
  "silva",
  "muller",
  "rossi",
  "kowalski",
  "patel",
  "murphy",
  "jones",
  "dubois",
  "tanaka",
  "garcia",
  "smith",
  "cohen",
  "larsen",
  "haddad",
  "brown",
  "moreau",
  "kim",
  "walsh",
  "ahmed",
  "novak",
  "costa",
  "evans",
  "fischer",
  "bianchi",
  "sato",
  "lopez",
  "wright",
];

const VENDORS: Partial<Record<Service, string[]>> = {
  florist: ["Petal Wholesale", "Covent Garden Flowers", "Bloom Direct"],
  catering: ["Metro Cash & Carry", "Fresh Direct Produce", "Caves de Bourgogne"],
  transport: ["City Cabs", "Vintage Car Hire", "Fuel"],
  music: ["String Quartet Agency", "DJ Collective"],
  attire: ["Atelier Hana", "Bridal Fabrics Co."],
  other: ["Second Shooter Ltd", "Print Lab", "Temp Staff Agency"],
};

/** A moment on `day` between two hours of the day (UTC), to the second. */
function timeOn(rng: Rng, day: number, fromHour: number, toHour: number): number {
  return day * DAY_MS + rng.int(fromHour * 3600, toHour * 3600 - 1) * SECOND;
}

/** A moment uniformly between two instants, to the second. */
function timeBetween(rng: Rng, from: number, to: number): number {
  return Math.floor(rng.between(from, to) / SECOND) * SECOND;
}

/** A wedding id in the style of the examples, e.g. wed-2027-0612-hart-ll42. */
function weddingIdFor(org: OrgRuntime, day: number): string {
  const date = dayName(day);
  const n = ++org.counters.wedding;
  const surname = org.rng.pick(SURNAMES);
  return `wed-${date.slice(0, 4)}-${date.slice(5, 7)}${date.slice(8, 10)}-${surname}-${org.profile.idPrefix}${n}`;
}

/** The contract value of a service in minor units: a log-normal fixed price plus a price per guest. */
function priceOf(org: OrgRuntime, offer: ServiceOffer, guests: number, currency: string): number {
  const rounding = org.profile.priceRounding;
  const major = org.rng.logNormal(offer.medianPrice, offer.priceSpread) + offer.perGuest * guests;
  return Math.max(rounding, Math.round(major / rounding) * rounding) * minorPerMajor(currency);
}

/** Plans one inquiry arriving on `day`: a lone inquiry, or the first step of a wedding that books. */
export function planInquiry(org: OrgRuntime, day: number, seq: number, horizon: number): WeddingPlan {
  const channel = org.channels.pick(org.rng);
  return org.rng.chance(org.profile.channels[channel].conversion)
    ? planWedding(org, day, seq, channel, horizon)
    : planLoneInquiry(org, day, seq, channel);
}

/** An inquiry that never turns into a booking; half of them still name a wedding. */
function planLoneInquiry(org: OrgRuntime, day: number, seq: number, channel: Channel): WeddingPlan {
  const { rng, profile } = org;
  const region = org.regions.pick(rng);
  const currency = region.currency ?? profile.currency;
  const offer = org.primaryServices.pick(rng);
  const weddingDay = sampleWeddingDay(rng, day);
  const weddingId = rng.chance(0.5) ? weddingIdFor(org, weddingDay) : undefined;
  const budget = rng.chance(0.4)
    ? { amount: roundToMajor(priceOf(org, offer, 100, currency) * rng.between(0.6, 1.1), currency), currency }
    : undefined;
  const inquiry = {
    service: offer.service,
    channel,
    weddingId,
    weddingDay: rng.chance(0.7) ? weddingDay : undefined,
    budget,
  };
  const steps: Step[] = [{ at: timeOn(rng, day, 7, 23), kind: "inquiry", inquiry }];
  return { org, seq, weddingId: weddingId ?? "", weddingDay, currency, steps, cursor: 0 };
}

/** Plans a wedding from its first inquiry to its last expense; steps beyond `horizon` are dropped. */
function planWedding(org: OrgRuntime, inquiryDay: number, seq: number, channel: Channel, horizon: number): WeddingPlan {
  const { rng, profile } = org;
  const weddingDay = sampleWeddingDay(rng, inquiryDay);
  const lead = weddingDay - inquiryDay;
  const bookingDay =
    inquiryDay + rng.int(Math.max(2, lead - MAX_BOOKING_LEAD_DAYS), Math.min(45, lead - MIN_BOOKING_LEAD_DAYS));
  const region = org.regions.pick(rng);
  const currency = region.currency ?? profile.currency;
  const plan: WeddingPlan = {
    org,
    seq,
    weddingId: weddingIdFor(org, weddingDay),
    weddingDay,
    currency,
    steps: [],
    cursor: 0,
  };

  const suppliers = org.suppliersByRegion.get(region.name) ?? org.catalog.suppliers;
  const mainSupplier = rng.pick(suppliers);
  let venue: VenueEntry | undefined;
  if (mainSupplier.venueId !== undefined) venue = org.venuesById.get(mainSupplier.venueId);
  else if (rng.chance(0.85)) venue = rng.pick(org.venuesByRegion.get(region.name) ?? org.catalog.venues);
  const guests = venue
    ? Math.round(venue.capacity * rng.between(0.45, 0.95))
    : Math.min(400, Math.max(12, Math.round(rng.logNormal(100, 0.35))));
  const clientId = rng.chance(0.85) ? `cl-${profile.idPrefix}-${++org.counters.client}` : undefined;
  const regionName = rng.chance(profile.regionRecorded) ? region.name : undefined;

  const main = org.primaryServices.pick(rng);
  const offers = [main, ...profile.services.filter((offer) => offer !== main && rng.chance(offer.addOnChance))];
  const mainAt = timeOn(rng, bookingDay, 9, 18);
  const bookings = offers.map((offer, i) => {
    const booking: BookingPlan = {
      id: `bk-${profile.idPrefix}-${++org.counters.booking}`,
      wedding: plan,
      offer,
      supplierId: i === 0 || mainSupplier.venueId !== undefined ? mainSupplier.id : rng.pick(suppliers).id,
      clientId,
      region: regionName,
      venueId: venue?.id,
      currency,
      guests,
      perGuest: offer.perGuest * minorPerMajor(currency),
      depositShare: rng.between(profile.depositShare[0], profile.depositShare[1]),
      value: priceOf(org, offer, guests, currency),
      paid: 0,
      refunded: 0,
      payments: [],
      remainingWeight: 0,
      cancelled: false,
      waiveFee: rng.chance(0.15),
      cancellationFee: 0,
    };
    // Add-ons follow within three weeks, never closer than three months to the wedding.
    const at =
      i === 0
        ? mainAt
        : Math.max(
            mainAt + rng.int(5, 90) * MINUTE,
            timeOn(rng, bookingDay + rng.int(0, Math.min(20, weddingDay - MIN_BOOKING_LEAD_DAYS - bookingDay)), 9, 18),
          );
    return { booking, at };
  });

  const mainBooking = bookings[0]!.booking;
  plan.steps.push({
    at: timeOn(rng, inquiryDay, 7, 23),
    kind: "inquiry",
    inquiry: {
      service: main.service,
      channel,
      weddingId: plan.weddingId,
      weddingDay: rng.chance(0.9) ? weddingDay : undefined,
      budget: rng.chance(0.45)
        ? { amount: roundToMajor(mainBooking.value * rng.between(0.8, 1.3), currency), currency }
        : undefined,
    },
  });

  const finalAts = bookings.map(({ booking, at }) => planBooking(org, plan, booking, at));
  planBudgets(
    org,
    plan,
    bookings[0]!.at,
    bookings.reduce((sum, { booking }) => sum + booking.value, 0),
  );

  // A called-off wedding cancels every booking at once; nothing planned after that happens.
  let cancelledAt: number | undefined;
  if (rng.chance(profile.cancellationRate)) {
    const earliest = Math.max(...bookings.map(({ at }) => at)) + 7 * DAY_MS;
    const latest = (weddingDay - 10) * DAY_MS;
    if (earliest < latest) {
      cancelledAt = timeOn(rng, dayOf(timeBetween(rng, earliest, latest)), 9, 18);
      const at = cancelledAt;
      plan.steps = plan.steps.filter((step) => step.at < at);
      bookings.forEach(({ booking }, i) => {
        plan.steps.push({ at: at + i * MINUTE, kind: "cancel", booking });
        // The accounts team sometimes records the same cancellation again a few days later.
        if (rng.chance(0.25)) {
          plan.steps.push({ at: at + i * MINUTE + rng.int(1, 5) * DAY_MS, kind: "cancel-confirmation", booking });
        }
      });
    }
  }
  if (cancelledAt === undefined) {
    for (const { booking } of bookings) {
      if (rng.chance(profile.goodwillRefundRate)) {
        const at = timeOn(rng, weddingDay + rng.int(5, 40), 9, 18);
        plan.steps.push({ at, kind: "goodwill-refund", booking, share: rng.between(0.05, 0.2) });
      }
    }
  }

  if (rng.chance(org.rates.anomalyRate)) injectAnomaly(org, plan, bookings, cancelledAt);
  if (rng.chance(org.rates.mismatchRate)) injectMismatch(org, plan, mainBooking, finalAts[0]!, cancelledAt);

  plan.steps.sort((a, b) => a.at - b.at);
  // Distinct times within a wedding keep "latest" unambiguous; a clash moves the later step by a second.
  for (let i = 1; i < plan.steps.length; i++) {
    const step = plan.steps[i]!;
    const previous = plan.steps[i - 1]!.at;
    if (step.at <= previous) step.at = previous + SECOND;
  }
  const end = plan.steps.findIndex((step) => step.at > horizon);
  if (end >= 0) plan.steps.length = end;
  return plan;
}

/** Plans a booking's creation, deposit, instalments, final payment and changes; returns the final payment's time. */
function planBooking(org: OrgRuntime, plan: WeddingPlan, booking: BookingPlan, at: number): number {
  const { rng, profile } = org;
  const steps = plan.steps;
  const bookingDay = dayOf(at);
  steps.push({ at, kind: "booking", booking, reportedDay: plan.weddingDay });
  steps.push({ at: at + rng.int(60, 1800) * SECOND, kind: "payment", booking, role: "deposit", weight: 0 });

  const finalDay = plan.weddingDay - rng.int(28, 56);
  const span = finalDay - bookingDay;
  const instalments = rng.int(0, Math.max(0, Math.min(profile.maxInstalments, Math.floor(span / 45) - 1)));
  for (let j = 1; j <= instalments; j++) {
    const day = bookingDay + Math.round((span * j) / (instalments + 1)) + rng.int(-3, 3);
    steps.push({ at: timeOn(rng, day, 6, 22), kind: "payment", booking, role: "instalment", weight: 1 });
  }
  const finalAt = timeOn(rng, finalDay, 6, 22);
  steps.push({ at: finalAt, kind: "payment", booking, role: "final", weight: 1 });
  booking.remainingWeight = instalments + 1;

  // Changes happen between the booking and the final payment, so the final payment settles them.
  if (rng.chance(profile.updateRate)) {
    const from = at + 7 * DAY_MS;
    const to = finalAt - 3 * DAY_MS;
    let guests = booking.guests;
    for (let n = rng.chance(0.8) ? 1 : 2; n > 0 && from < to; n--) {
      const when = timeBetween(rng, from, to);
      if (booking.offer.perGuest > 0 || rng.chance(0.5)) {
        const capacity = booking.venueId === undefined ? 10_000 : org.venuesById.get(booking.venueId)!.capacity;
        guests = Math.min(capacity, Math.max(10, Math.round(guests * rng.between(0.85, 1.15))));
        steps.push({ at: when, kind: "update-guests", booking, guests });
      } else {
        const factor = rng.chance(0.8) ? rng.between(1.05, 1.25) : rng.between(0.9, 0.95);
        steps.push({ at: when, kind: "update-value", booking, factor });
      }
    }
  }
  return finalAt;
}

/** Plans the wedding's cost budgets (sometimes raised later) and the expenses recorded against them, within budget. */
function planBudgets(org: OrgRuntime, plan: WeddingPlan, firstBookingAt: number, contractTotal: number): void {
  const { rng, profile } = org;
  const currency = plan.currency;
  const unit = minorPerMajor(currency);
  const allocationDay = dayOf(firstBookingAt) + rng.int(1, 14);
  for (const { category, share } of profile.costCategories) {
    let budget = roundToMajor(contractTotal * share * rng.between(0.85, 1.15), currency);
    if (budget < 10 * unit) continue;
    const allocatedAt = timeOn(rng, allocationDay, 8, 18);
    plan.steps.push({ at: allocatedAt, kind: "budget", category, amount: budget });
    const raiseBy = (plan.weddingDay - 40) * DAY_MS;
    if (rng.chance(0.15) && allocatedAt + 7 * DAY_MS < raiseBy) {
      budget = roundToMajor(budget * rng.between(1.05, 1.2), currency);
      plan.steps.push({
        at: timeBetween(rng, allocatedAt + 7 * DAY_MS, raiseBy),
        kind: "budget",
        category,
        amount: budget,
      });
    }
    // Expenses start a month before the wedding, after every allocation, and stay below the budget.
    const count = rng.int(1, 3);
    const weights = Array.from({ length: count }, () => rng.between(0.5, 1.5));
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    const spend = budget * rng.between(0.55, 0.95);
    for (const weight of weights) {
      const amount = floorToMajor((spend * weight) / total, currency);
      if (amount <= 0) continue;
      const at = timeOn(rng, plan.weddingDay + rng.int(-30, 2), 8, 20);
      const vendor = rng.chance(0.75) ? rng.pick(VENDORS[category] ?? VENDORS.other!) : undefined;
      plan.steps.push({ at, kind: "expense", category, amount, incurredDay: dayOf(at) - rng.int(0, 3), vendor });
    }
  }
}

/** Injects one anomaly of a kind this wedding allows, labelled on the event that shows it. */
function injectAnomaly(
  org: OrgRuntime,
  plan: WeddingPlan,
  bookings: { booking: BookingPlan; at: number }[],
  cancelledAt: number | undefined,
): void {
  const { rng } = org;
  const before = cancelledAt ?? Infinity;
  const steps = plan.steps;
  const finals = steps.filter((step) => step.kind === "payment" && step.role === "final");
  const duplicable = steps.filter(
    (step) =>
      step.kind === "payment" &&
      (step.role === "deposit" || step.role === "instalment") &&
      step.at + 10 * MINUTE < before,
  );
  const spentByCategory = new Map<Service, { spent: number; lastAt: number; budget: number }>();
  for (const step of steps) {
    if (step.kind === "budget") {
      const entry = spentByCategory.get(step.category);
      spentByCategory.set(step.category, { spent: entry?.spent ?? 0, lastAt: entry?.lastAt ?? 0, budget: step.amount });
    } else if (step.kind === "expense") {
      const entry = spentByCategory.get(step.category)!;
      entry.spent += step.amount;
      entry.lastAt = Math.max(entry.lastAt, step.at);
    }
  }
  const overspendable = [...spentByCategory].filter(
    ([, entry]) => entry.lastAt > 0 && entry.lastAt + 48 * HOUR < before,
  );
  const withVenue = bookings.filter(({ booking }) => booking.venueId !== undefined);

  const applicable: Record<PlanAnomalyKind, boolean> = {
    overpayment: finals.length > 0,
    "duplicate-payment": duplicable.length > 0,
    "expense-over-budget": overspendable.length > 0,
    "guest-count-over-capacity": withVenue.length > 0,
    "wedding-date-in-past": true,
  };
  const kinds = PLAN_ANOMALY_KINDS.filter((kind) => applicable[kind]);
  const kind = rng.pick(kinds);
  const label = { class: "anomaly", kind } as const;

  switch (kind) {
    case "overpayment": {
      const final = rng.pick(finals);
      if (final.kind === "payment") {
        final.role = "overpaid-final";
        final.weight = rng.between(0.05, 0.25);
        final.label = label;
      }
      return;
    }
    case "duplicate-payment": {
      const original = rng.pick(duplicable);
      if (original.kind === "payment") {
        const at = original.at + rng.int(60, 600) * SECOND;
        steps.push({ at, kind: "payment", booking: original.booking, role: "duplicate", weight: 0, label });
      }
      return;
    }
    case "expense-over-budget": {
      const [category, entry] = rng.pick(overspendable);
      const over = Math.max(
        minorPerMajor(plan.currency),
        roundToMajor(entry.budget * rng.between(0.05, 0.3), plan.currency),
      );
      const at = entry.lastAt + rng.int(1, 47) * HOUR;
      const amount = entry.budget - entry.spent + over;
      steps.push({ at, kind: "expense", category, amount, incurredDay: dayOf(at), vendor: undefined, label });
      return;
    }
    case "guest-count-over-capacity": {
      // The couple's guest list outgrows the venue; every booking naming the venue shows it.
      const capacity = org.venuesById.get(withVenue[0]!.booking.venueId!)!.capacity;
      const guests = capacity + Math.ceil(capacity * rng.between(0.05, 0.4));
      plan.steps = steps.filter((step) => step.kind !== "update-guests");
      for (const step of plan.steps) {
        if (step.kind === "booking" && step.booking.venueId !== undefined) {
          step.booking.guests = guests;
          step.label = label;
        }
      }
      return;
    }
    case "wedding-date-in-past": {
      // A typo in the year puts the wedding in the past; the supplier corrects it a few days later.
      const { booking, at } = bookings[0]!;
      const created = steps.find((step) => step.kind === "booking" && step.booking === booking);
      if (created?.kind === "booking") {
        created.reportedDay = dayOf(at) - rng.int(1, 300);
        created.label = label;
      }
      steps.push({
        at: timeOn(rng, dayOf(at) + rng.int(1, 3), 9, 18),
        kind: "update-date",
        booking,
        day: plan.weddingDay,
      });
      return;
    }
  }
}

/**
 * Injects one mismatch of a kind this wedding allows, labelled as an anomaly: money the pipeline counts and flags. A
 * contract value in another currency comes after the booking's other changes, so it stands as the booking's current
 * value (and currency) and the booking's payments in its first currency show the mismatch.
 */
function injectMismatch(
  org: OrgRuntime,
  plan: WeddingPlan,
  booking: BookingPlan,
  finalAt: number,
  cancelledAt: number | undefined,
): void {
  const { rng } = org;
  const deposit = plan.steps.find(
    (step) => step.kind === "payment" && step.booking === booking && step.role === "deposit",
  );
  const paidFrom = (deposit?.at ?? finalAt) + DAY_MS;
  const paidUntil = (cancelledAt ?? finalAt) - DAY_MS;
  const changedUntil = Math.max(
    0,
    ...plan.steps
      .filter((step) => (step.kind === "update-guests" || step.kind === "update-value") && step.booking === booking)
      .map((step) => step.at),
  );
  const faults: MismatchFault[] = ["payment-unknown-booking"];
  if (deposit && paidFrom < paidUntil) faults.push("refund-exceeds-paid", "payment-other-currency");
  if (deposit && Math.max(paidFrom, changedUntil + MINUTE) < paidUntil) faults.push("update-other-currency");
  // A called-off wedding's most likely mismatch is an instalment that still arrives (a standing order, say).
  const fault = cancelledAt !== undefined && rng.chance(0.75) ? "payment-cancelled-booking" : rng.pick(faults);
  const kinds: Record<MismatchFault, MismatchKind> = {
    "payment-unknown-booking": "orphan-payment",
    "payment-cancelled-booking": "payment-after-cancellation",
    "refund-exceeds-paid": "refund-exceeds-paid",
    "payment-other-currency": "currency-mismatch",
    "update-other-currency": "currency-mismatch",
  };
  const at =
    fault === "payment-unknown-booking"
      ? timeBetween(rng, paidFrom - DAY_MS, Math.max(paidFrom, paidUntil))
      : fault === "payment-cancelled-booking"
        ? (cancelledAt ?? 0) + rng.int(1, 30) * DAY_MS
        : fault === "update-other-currency"
          ? timeBetween(rng, Math.max(paidFrom, changedUntil + MINUTE), paidUntil)
          : timeBetween(rng, paidFrom, paidUntil);
  plan.steps.push({ at, kind: "mismatch", booking, fault, label: { class: "anomaly", kind: kinds[fault] } });
}
