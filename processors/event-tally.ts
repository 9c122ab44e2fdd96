/**
 * What became of an event in processing: counted (`ok`), counted and flagged as an anomaly (`flagged`), ignored as
 * already applied (`dropped`), or dead-lettered (`dead_lettered`).
 */
export type EventOutcome = "ok" | "dropped" | "dead_lettered" | "flagged";

/** One line of a tally: how many events had this outcome for this reason. */
export interface TallyLine {
  outcome: EventOutcome;
  /** The code that decided the outcome (a drop or dead-letter reason, an anomaly kind); empty for `ok`. */
  reason: string;
  events: number;
}

/**
 * Events counted by outcome and reason, each event once: one batch's (in its outcome), or a process's so far (the
 * sum of its committed batches', for /metrics). An event with several reasons counts under the first: the first
 * dead-letter reason, or the kind of its first anomaly in the order the detectors run.
 */
export class EventTally {
  private readonly lines = new Map<string, TallyLine>();

  /** Counts `events` events (default one) of outcome for reason. */
  count(outcome: EventOutcome, reason = "", events = 1): void {
    const key = `${outcome}\u0000${reason}`;
    const line = this.lines.get(key) ?? { outcome, reason, events: 0 };
    line.events += events;
    this.lines.set(key, line);
  }

  /** Adds every count of another tally to this one. */
  add(other: EventTally): void {
    for (const { outcome, reason, events } of other.entries()) this.count(outcome, reason, events);
  }

  /** Every outcome and reason counted so far, with its count. */
  entries(): TallyLine[] {
    return [...this.lines.values()].map((line) => ({ ...line }));
  }

  /** Events counted with the outcome, whatever the reason. */
  total(outcome: EventOutcome): number {
    let sum = 0;
    for (const line of this.lines.values()) if (line.outcome === outcome) sum += line.events;
    return sum;
  }
}
