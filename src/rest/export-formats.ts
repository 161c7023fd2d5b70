import type { ExportFormatName, JsonSchema } from './route.js';

/**
 * The text formats of a streamed body (an export), written a page of items at a time: `head`
 * once, `rows` per page, `tail` once. Each writer keeps only what it needs between pages (the
 * JSON writer whether an item was written), so a body of any length costs one page of memory.
 */
export interface ExportWriter {
  head(): string;
  rows(items: readonly unknown[]): string;
  tail(): string;
}

export interface ExportFormat {
  contentType: string;
  extension: string;
  /** What the body is, for OpenAPI and docs/rest.md. */
  description: string;
  /** A writer for one body of items shaped like `itemSchema` (its properties are the CSV columns). */
  writer(itemSchema: JsonSchema): ExportWriter;
}

/**
 * A JSON array, one item per line. An array rather than NDJSON: `format=json` is then one JSON
 * document any JSON tool reads (an empty export is `[]`), the items are exactly the JSON route's,
 * and a body cut short by a failure mid-stream does not parse, where NDJSON cut at a line end
 * would look complete.
 */
function jsonArrayWriter(): ExportWriter {
  let written = 0;
  return {
    head: () => '[',
    rows(items) {
      let text = '';
      for (const item of items) text += (written++ === 0 ? '\n' : ',\n') + JSON.stringify(item);
      return text;
    },
    tail: () => (written === 0 ? ']\n' : '\n]\n'),
  };
}

/**
 * What a spreadsheet reads as the start of a formula (OWASP CSV injection; ASVS 1.2.10 adds NUL):
 * a cell starting with one of these gets a leading `'`, which makes it text.
 */
const FORMULA_START = /^[=+\-@\t\r\0]/;

/**
 * One CSV cell (RFC 4180): null is an empty field; any other value is quoted, its quotes doubled,
 * objects as JSON. Every non-null cell is quoted (RFC 4180 allows it; OWASP advises it): a
 * spreadsheet splitting on another separator (`;` in some locales) cannot start a new cell, and
 * so a formula, inside one.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

/** RFC 4180 CSV with a header row of the item schema's property names, CRLF line ends. */
function csvWriter(itemSchema: JsonSchema): ExportWriter {
  const columns = Object.keys((itemSchema.properties as Record<string, unknown> | undefined) ?? {});
  const line = (cells: readonly unknown[]) => cells.map(csvCell).join(',') + '\r\n';
  return {
    head: () => line(columns),
    rows(items) {
      let text = '';
      for (const item of items) {
        const record = item as Record<string, unknown>;
        text += line(columns.map((c) => record[c]));
      }
      return text;
    },
    tail: () => '',
  };
}

export const EXPORT_FORMATS: Readonly<Record<ExportFormatName, ExportFormat>> = {
  json: {
    contentType: 'application/json; charset=utf-8',
    extension: 'json',
    description: 'A JSON array of the items, one per line.',
    writer: jsonArrayWriter,
  },
  csv: {
    contentType: 'text/csv; charset=utf-8; header=present',
    extension: 'csv',
    description:
      "RFC 4180 CSV: a header row of the item fields, then one row per item (objects as JSON, null as an empty field); cells starting with = + - @ tab, CR or NUL begin with ' so a spreadsheet reads them as text.",
    writer: csvWriter,
  },
};
