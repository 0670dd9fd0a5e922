import { createRequire } from "node:module"
import { describe, expect, it } from "@effect/vitest"
import QRCode from "qrcode"
import { QR_OPTIONS, qrPng } from "./QrPng.ts"

// pngjs (qrcode's own PNG codec) decodes both images to RGBA.
const { PNG } = createRequire(import.meta.url)("pngjs") as {
  PNG: { sync: { read: (png: Buffer) => { width: number; height: number; data: Buffer } } }
}

/** Each pixel as 1 (dark) or 0 (light). */
const pixelsOf = (png: Buffer) => {
  const image = PNG.sync.read(png)
  const dark: Array<number> = []
  for (let i = 0; i < image.width * image.height; i++) dark.push((image.data[i * 4] ?? 255) < 128 ? 1 : 0)
  return { width: image.width, height: image.height, dark }
}

describe("qrPng", () => {
  it("draws exactly the pixels of qrcode's own PNG renderer, as a 1-bit greyscale PNG", async () => {
    const codes = [
      "gt1.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8.3q2-7w_K1jJ0ZJq2bnYx8a6M2Zg4nq4l0oE9a0mYyXs",
      "x",
      "a longer text than a ticket code, so that the symbol has a version of its own: ".repeat(3)
    ]
    for (const code of codes) {
      const mine = qrPng(code)
      const theirs = await QRCode.toBuffer([{ data: Buffer.from(code, "utf8"), mode: "byte" }], {
        type: "png",
        ...QR_OPTIONS
      })
      expect(mine.subarray(0, 8)).toEqual(theirs.subarray(0, 8))
      expect(mine[24]).toBe(1) // bit depth
      expect(mine[25]).toBe(0) // colour type: greyscale
      const a = pixelsOf(mine)
      const b = pixelsOf(theirs)
      expect({ width: a.width, height: a.height }).toEqual({ width: b.width, height: b.height })
      expect(a.width).toBeGreaterThanOrEqual(QR_OPTIONS.width - 1)
      expect(a.dark).toEqual(b.dark)
      expect(mine.length).toBeLessThan(theirs.length)
    }
  })

  it("encodes the text: the symbol's modules are those qrcode makes of it", () => {
    const code = "gt1.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8.3q2-7w_K1jJ0ZJq2bnYx8a6M2Zg4nq4l0oE9a0mYyXs"
    const symbol = QRCode.create([{ data: Buffer.from(code, "utf8"), mode: "byte" }], { errorCorrectionLevel: "M" })
    const { width, dark } = pixelsOf(qrPng(code))
    const scale = width / (symbol.modules.size + 2 * QR_OPTIONS.margin)
    // The centre pixel of each module is that module's colour.
    for (let row = 0; row < symbol.modules.size; row++)
      for (let column = 0; column < symbol.modules.size; column++) {
        const y = Math.floor((row + QR_OPTIONS.margin + 0.5) * scale)
        const x = Math.floor((column + QR_OPTIONS.margin + 0.5) * scale)
        expect(dark[y * width + x]).toBe(symbol.modules.get(row, column) ? 1 : 0)
      }
  })
})
