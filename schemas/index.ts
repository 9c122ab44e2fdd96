export * from "./primitives.ts";
export * from "./events.ts";
export * from "./envelope.ts";
export * from "./log-message.ts";
