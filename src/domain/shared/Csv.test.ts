import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { csvCell, csvLine } from "./Csv.ts"

/** A cell as a spreadsheet reads it back (RFC 4180): unquoted, quotes undoubled. */
const parseCell = (cell: string) => (cell.startsWith('"') ? cell.slice(1, -1).replaceAll('""', '"') : cell)

describe("CSV cells", () => {
  it("quotes what must be quoted and neutralises formulas", () => {
    expect(csvCell("plain")).toBe("plain")
    expect(csvCell('Alice "Ace", Smith')).toBe('"Alice ""Ace"", Smith"')
    expect(csvCell("two\r\nlines")).toBe('"two\r\nlines"')
    expect(csvCell("=1+1")).toBe("'=1+1")
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`)
    for (const start of ["+", "-", "@", "\t", "\r"]) expect(csvCell(`${start}x`).replace(/^"/, "")).toMatch(/^'/)
    expect(csvCell(-5)).toBe("-5")
    expect(csvCell(null)).toBe("")
    expect(csvCell(true)).toBe("true")
    expect(csvCell(new Date("2027-06-01T19:30:00Z"))).toBe("2027-06-01T19:30:00.000Z")
    expect(csvLine(["a", 1, null])).toBe("a,1,\r\n")
  })

  it("any text reads back as itself (after the formula guard), never starting a formula", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const read = parseCell(csvCell(text))
        expect(/^[=+\-@\t\r]/.test(read)).toBe(false)
        expect(read === text || read === `'${text}`).toBe(true)
      })
    )
  })
})
