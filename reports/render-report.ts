import { loadMonthlyReport, type MonthlyReportSources } from "./monthly-report.ts";
import { renderMonthlyReportPdf } from "./render-pdf.ts";
import { renderMonthlyReportXlsx } from "./render-xlsx.ts";
import type { RenderReport } from "./report-jobs.ts";

/**
 * The job runner's render step: loads the requested month of the organisation from the stores and renders it in the
 * requested format. Kept out of the job runner, which knows nothing of queries or renderers.
 */
export function createRenderReport(sources: MonthlyReportSources): RenderReport {
  return async function renderReport(orgId, request) {
    const report = await loadMonthlyReport(sources, { orgId, month: request.month });
    return request.format === "pdf"
      ? { buffer: await renderMonthlyReportPdf(report), extension: "pdf" }
      : { buffer: await renderMonthlyReportXlsx(report), extension: "xlsx" };
  };
}
