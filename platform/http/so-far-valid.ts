import type { z } from "zod";

/**
 * Options for a cross-field refinement (a range check between two dates, say) that should run only while nothing else
 * is wrong: it means nothing between values that failed their own checks, and would only add a misleading message.
 */
export const soFarValid = { when: (payload: z.core.ParsePayload) => payload.issues.length === 0 };
