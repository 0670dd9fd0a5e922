/**
 * CSV (RFC 4180) for spreadsheets: CRLF line ends, a cell quoted when it holds a comma, a quote or a line break (its
 * quotes doubled). Text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
 * carriage return) is prefixed with `'`, so that a buyer's name such as `=HYPERLINK(…)` stays text.
 */

const FORMULA_START = /^[=+\-@\t\r]/u
const NEEDS_QUOTES = /[",\r\n]/u

export type CsvValue = string | number | boolean | Date | null | undefined

/** One cell: numbers and instants as they are, text neutralised and quoted when it must be. */
export const csvCell = (value: CsvValue): string => {
  if (value === null || value === undefined) return ""
  if (typeof value === "number" || typeof value === "boolean") return String(value)
  if (value instanceof Date) return value.toISOString()
  const text = FORMULA_START.test(value) ? `'${value}` : value
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** One line, with its CRLF. */
export const csvLine = (values: ReadonlyArray<CsvValue>): string => `${values.map(csvCell).join(",")}\r\n`
