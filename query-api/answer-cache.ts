import { createHash } from "node:crypto";
import type { Cache } from "../platform/cache/cache.ts";

/** Where processing stood when an answer was computed: the next offset to process, per log partition. */
export type DataVersion = readonly number[];

/** A question to the analytics store: which answer, for which organisation, with which (validated) parameters. */
export interface Question {
  orgId: string;
  /** The kind of answer, e.g. "revenue"; part of the key, so two kinds never share an entry. */
  name: string;
  params: Record<string, unknown>;
}

/** An answer as JSON text (so a hit is sent on without parsing it again) and whether it came from the cache. */
export interface Answer {
  json: string;
  hit: boolean;
  /**
   * Names the answer's content for the organisation and the version it was computed at: the same for every equal
   * question, different for any other organisation, question or version (an entity tag).
   */
  key: string;
}

/** Answers analytics questions from a cache, computing (as JSON text) and storing them on a miss. */
export type AnswerCache = (question: Question, version: DataVersion, computeJson: () => Promise<string>) => Promise<Answer>;

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
 * organisation, the normalised question and the data version, so equal questions at one version share them.
 */
export function answerKey(question: Question, version: DataVersion): { key: string; digest: string } {
  const digest = createHash("sha256")
    .update(JSON.stringify([question.orgId, question.name, normalise(question.params), version]))
    .digest("base64url");
  return { key: `wedsync:answer:${question.orgId}:${digest}`, digest };
}

/**
 * Caches answers under the organisation, the normalised question and the data version they were computed at. The
 * version is read before computing, and the analytics store only ever holds at least what the version says (rows are
 * written before offsets are committed), so an entry is never older than its key: once processing moves on, every
 * later question carries a new version and misses. The TTL only bounds how long unused entries take space.
 */
export function createAnswerCache(
  cache: Cache,
  { ttlMs = 10 * 60_000, onServed }: { ttlMs?: number; /** Told of every answer whether it was a hit. */ onServed?: (hit: boolean) => void } = {},
): AnswerCache {
  return async function answer(question, version, computeJson) {
    const { key, digest } = answerKey(question, version);
    const stored = await cache.get(key);
    if (stored !== undefined) {
      onServed?.(true);
      return { json: stored, hit: true, key: digest };
    }
    const json = await computeJson();
    await cache.set(key, json, ttlMs);
    onServed?.(false);
    return { json, hit: false, key: digest };
  };
}
