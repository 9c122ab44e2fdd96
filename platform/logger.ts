import { pino, type Logger } from "pino";

export type { Logger };

/**
 * A structured JSON logger; every line carries a stable `event` name given by the caller. Servers
 * log to stdout; one-shot commands log to stderr so their stdout stays machine-readable.
 */
export function createLogger(level: string, { toStderr = false }: { toStderr?: boolean } = {}): Logger {
  return pino({ level, base: { service: "wedsync" } }, pino.destination(toStderr ? 2 : 1));
}
