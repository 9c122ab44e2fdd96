import { Redis } from "ioredis";
import { InfrastructureError } from "../errors.ts";

/** Where Redis is and how this connection's keys are namespaced. */
export interface RedisConnectionOptions {
  /** redis:// or rediss:// URL. */
  url: string;
  /** Put before every key, e.g. `wedsync:cache:`. */
  keyPrefix: string;
}

/**
 * Opens a Redis connection and waits until it is ready; rejects with InfrastructureError when Redis cannot be
 * reached. Commands fail after a few reconnection attempts rather than queueing forever behind a dead server.
 */
export async function connectRedis({ url, keyPrefix }: RedisConnectionOptions): Promise<Redis> {
  const redis = new Redis(url, { keyPrefix, lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 2 });
  // ioredis reports connection trouble as 'error' events besides rejecting commands; without a listener each one
  // would be printed as an unhandled error. The commands' rejections are what callers act on.
  redis.on("error", () => undefined);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw asInfrastructureError(error);
  }
  return redis;
}

/** A Redis failure as the retriable InfrastructureError callers handle. */
export function asInfrastructureError(error: unknown): InfrastructureError {
  return error instanceof InfrastructureError
    ? error
    : new InfrastructureError(`redis unavailable: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
}

/** Runs fn, turning any Redis failure into an InfrastructureError. */
export async function redisCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw asInfrastructureError(error);
  }
}
