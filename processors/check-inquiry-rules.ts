import { checkBusinessId } from "./business-id.ts";
import type { InquiryState } from "./inquiry-state.ts";
import { ok, type ProcessedEvent, type StepResult } from "./step-result.ts";

/** An inquiry id names one inquiry (see checkBusinessId): a re-send counts once, other content under it conflicts. */
export function createCheckInquiryRulesStep() {
  return function checkInquiryRules(
    { orgId, event }: ProcessedEvent,
    state: InquiryState,
    content: string,
  ): StepResult {
    if (event.type !== "inquiry.received") return ok;
    return checkBusinessId(
      `inquiry ${event.data.inquiryId}`,
      state.inquiry(orgId, event.data.inquiryId),
      event,
      content,
    );
  };
}
