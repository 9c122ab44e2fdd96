import { createHash } from "node:crypto";

/** Where processing stood when an answer was computed: the next offset to process, per log partition. */
export type DataVersion = readonly number[];

/** A question to the analytics store: which answer, for which organisation, with which (validated) parameters. */
export interface Question {
  orgId: string;
  /** The kind of answer, e.g. "revenue"; part of the key, so two kinds never share an entry. */
  name: string;
  params: Record<string, unknown>;
}

/** Parameters with keys sorted at every level and undefined left out, so equal questions are equal text. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, normalise(v)]),
  );
}

/**
 * Where an answer is stored (`key`, of the organisation's namespace) and its entity tag (`digest`): both name the
 * organisation, the normalised question and the data version, so equal questions at one version share them. The
 * version is read before computing, and the analytics store only ever holds at least what the version says (rows are
 * written before offsets are committed), so an entry is never older than its key: once processing moves on, every
 * later question carries a new version and misses. A TTL only bounds how long unused entries take space.
 */
export function answerKey(question: Question, version: DataVersion): { key: string; digest: string } {
  const digest = createHash("sha256")
    .update(JSON.stringify([question.orgId, question.name, normalise(question.params), version]))
    .digest("base64url");
  return { key: `wedsync:answer:${question.orgId}:${digest}`, digest };
}
