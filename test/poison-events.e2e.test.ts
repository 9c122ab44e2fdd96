import { describePoisonEvents } from "./support/poison-suite.ts";

describePoisonEvents("poison events in the log, on embedded Postgres (PGlite)", {
  open: async () => ({}),
  close: async () => {},
});
