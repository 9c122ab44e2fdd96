import { ensureSpace, type PdfDocument } from "./pdf-table.ts";

/** A bar chart: one bar per label, values on a scale from zero, each axis labelled. */
export interface PdfBarChart {
  title: string;
  labels: readonly string[];
  values: readonly number[];
  /** Formats a value of the scale for the vertical axis. */
  formatValue: (value: number) => string;
  height?: number;
  color?: string;
}

const AXIS_LABEL_WIDTH = 72;
const TITLE_HEIGHT = 16;
const X_LABEL_HEIGHT = 12;

/** The smallest 1, 2 or 5 × 10^k at or above value (at least 1), so the scale's labels read round. */
export function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((candidate) => candidate * magnitude >= value) ?? 10;
  return step * magnitude;
}

/**
 * Draws a bar chart as vectors (filled rectangles, axis lines and text labels; no images) at the
 * current position, on a new page if it does not fit on this one.
 */
export function drawPdfBarChart(doc: PdfDocument, chart: PdfBarChart): void {
  const height = chart.height ?? 130;
  ensureSpace(doc, TITLE_HEIGHT + height + X_LABEL_HEIGHT + 8);
  const left = doc.page.margins.left;
  const plotLeft = left + AXIS_LABEL_WIDTH;
  const plotWidth = doc.page.width - doc.page.margins.right - plotLeft;
  const top = doc.y + TITLE_HEIGHT;
  const bottom = top + height;

  doc.font("Helvetica-Bold").fontSize(9).fillColor("#1f2933").text(chart.title, left, doc.y, { lineBreak: false });

  const scale = niceCeiling(Math.max(0, ...chart.values));
  for (const fraction of [0, 0.5, 1]) {
    const y = bottom - fraction * height;
    doc
      .moveTo(plotLeft, y)
      .lineTo(plotLeft + plotWidth, y)
      .lineWidth(fraction === 0 ? 1 : 0.5)
      .strokeColor(fraction === 0 ? "#52606d" : "#e4e7eb")
      .stroke();
    doc
      .font("Helvetica")
      .fontSize(6.5)
      .fillColor("#52606d")
      .text(chart.formatValue(Math.round(scale * fraction)), left, y - 3, {
        width: AXIS_LABEL_WIDTH - 6,
        align: "right",
        lineBreak: false,
      });
  }
  doc.moveTo(plotLeft, top).lineTo(plotLeft, bottom).lineWidth(1).strokeColor("#52606d").stroke();

  const slot = plotWidth / Math.max(1, chart.labels.length);
  chart.labels.forEach((label, index) => {
    const value = chart.values[index] ?? 0;
    const x = plotLeft + index * slot;
    if (value > 0) {
      const barHeight = (value / scale) * height;
      doc.rect(x + slot * 0.15, bottom - barHeight, slot * 0.7, barHeight).fill(chart.color ?? "#3e7cb1");
    }
    doc
      .font("Helvetica")
      .fontSize(6)
      .fillColor("#52606d")
      .text(label, x, bottom + 3, { width: slot, align: "center", lineBreak: false });
  });

  doc.x = left;
  doc.y = bottom + X_LABEL_HEIGHT + 8;
}
