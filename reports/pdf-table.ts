import type PDFDocument from "pdfkit";

/** A pdfkit document, as drawn on by the report renderers. */
export type PdfDocument = typeof PDFDocument;

/** One column of a PDF table: its header, width in points and alignment (numbers align right). */
export interface PdfTableColumn {
  header: string;
  width: number;
  align?: "left" | "right";
}

const CELL_PADDING = 4;
const SMALLEST_FONT_SIZE = 5;

/** Moves to a new page when fewer than `height` points are left above the bottom margin; true if it did. */
export function ensureSpace(doc: PdfDocument, height: number): boolean {
  if (doc.y + height <= doc.page.height - doc.page.margins.bottom) return false;
  doc.addPage();
  return true;
}

/**
 * Draws a table of text cells from the current position, one line per row. A row that does not
 * fit on the page starts a new page, and the header is drawn again there, so long tables read on
 * every page. A cell too wide for its column is set in a smaller font rather than wrapped, so
 * every figure stays on its row's line (text extraction reads rows back line by line).
 */
export function drawPdfTable(
  doc: PdfDocument,
  columns: readonly PdfTableColumn[],
  rows: readonly (readonly string[])[],
  fontSize = 8,
): void {
  const rowHeight = fontSize + 7;
  const left = doc.page.margins.left;
  const width = columns.reduce((sum, column) => sum + column.width, 0);

  const drawRow = (cells: readonly string[], font: string, background: string | undefined) => {
    const y = doc.y;
    if (background !== undefined) doc.rect(left, y, width, rowHeight).fill(background);
    let x = left;
    columns.forEach((column, index) => {
      const text = cells[index] ?? "";
      const room = column.width - 2 * CELL_PADDING;
      let size = fontSize;
      doc.font(font).fontSize(size);
      while (size > SMALLEST_FONT_SIZE && doc.widthOfString(text) > room) doc.fontSize((size -= 0.5));
      doc.fillColor("#1f2933").text(text, x + CELL_PADDING, y + (rowHeight - size) / 2, {
        width: room,
        align: column.align ?? "left",
        lineBreak: false,
      });
      x += column.width;
    });
    doc
      .moveTo(left, y + rowHeight)
      .lineTo(left + width, y + rowHeight)
      .lineWidth(0.5)
      .strokeColor("#cbd2d9")
      .stroke();
    doc.x = left;
    doc.y = y + rowHeight;
  };
  const drawHeader = () =>
    drawRow(
      columns.map((column) => column.header),
      "Helvetica-Bold",
      "#e4e7eb",
    );

  ensureSpace(doc, 2 * rowHeight);
  drawHeader();
  rows.forEach((row, index) => {
    if (ensureSpace(doc, rowHeight)) drawHeader();
    drawRow(row, "Helvetica", index % 2 === 1 ? "#f5f7fa" : undefined);
  });
  doc.y += rowHeight / 2;
}
