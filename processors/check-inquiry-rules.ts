import type { InquiryState } from "./inquiry-state.ts";
import { ok, type ProcessedEvent, type StepResult } from "./step-result.ts";

/** An inquiry id names one inquiry: a second copy of its event is dropped, another event reusing it dead-lettered. */
export function createCheckInquiryRulesStep() {
  return function checkInquiryRules({ orgId, event }: ProcessedEvent, state: InquiryState): StepResult {
    if (event.type !== "inquiry.received") return ok;
    const existing = state.inquiry(orgId, event.data.inquiryId);
    if (!existing) return ok;
    if (existing.eventId === event.id) return { kind: "drop", reason: "already_applied" };
    return {
      kind: "deadLetter",
      reasons: ["duplicate_inquiry_id"],
      message: `inquiry ${event.data.inquiryId} was already received in event ${existing.eventId}`,
    };
  };
}
