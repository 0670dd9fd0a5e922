import fc from "fast-check"

// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document is plain JSON, read generically
type Json = any

/**
 * Values that a client generated from the OpenAPI document would send: fast-check arbitraries built from the
 * document's JSON Schemas alone (type, enum, const, pattern, format, length and number bounds, properties and
 * required, items, anyOf / oneOf, $ref). Besides the schemas it follows the one rule the document states in words
 * for all text: no NUL character and no half of a surrogate pair. Header values are HTTP tokens (what HTTP allows).
 */
const SAFE_TEXT = (text: string) => !text.includes("\u0000") && !/[\uD800-\uDFFF]/u.test(text)

const codePoints = (text: string) => [...text].length

const withinLength = (schema: Json) => (text: string) =>
  (schema.minLength === undefined || codePoints(text) >= schema.minLength) &&
  (schema.maxLength === undefined || codePoints(text) <= schema.maxLength)

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

/** An RFC 3339 date-time that exists, with `Z` or an offset, seconds and fractions or not. */
const dateTime = fc
  .record({
    date: fc.date({
      min: new Date("0001-01-02T00:00:00Z"),
      max: new Date("9999-12-30T00:00:00Z"),
      noInvalidDate: true
    }),
    offsetMinutes: fc.integer({ min: -23 * 60, max: 23 * 60 }),
    zulu: fc.boolean(),
    precision: fc.constantFrom("minutes", "seconds", "millis")
  })
  .map(({ date, offsetMinutes, zulu, precision }) => {
    const local = new Date(date.getTime() + (zulu ? 0 : offsetMinutes) * 60_000)
    const iso = local.toISOString()
    const time =
      precision === "minutes" ? iso.slice(0, 16) : precision === "seconds" ? iso.slice(0, 19) : iso.slice(0, 23)
    if (zulu) return `${time}Z`
    const sign = offsetMinutes < 0 ? "-" : "+"
    const abs = Math.abs(offsetMinutes)
    return `${time}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  })

const text = (schema: Json): fc.Arbitrary<string> => {
  if (schema.format === "date-time") return dateTime
  const base =
    typeof schema.pattern === "string"
      ? fc.stringMatching(new RegExp(schema.pattern, "u"))
      : fc.string({ unit: "binary", minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) })
  return base.filter((value) => SAFE_TEXT(value) && withinLength(schema)(value))
}

const integer = (schema: Json): fc.Arbitrary<number> => {
  const min = schema.minimum ?? -1_000_000
  const max = schema.maximum ?? 1_000_000
  return min >= -0x80000000 && max <= 0x7fffffff
    ? fc.integer({ min, max })
    : fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map(Number)
}

/** The arbitrary of one JSON Schema of the document. */
export const arbitraryOf = (document: Json, schema: Json, depth = 0): fc.Arbitrary<unknown> => {
  if (depth > 20) throw new Error("schema too deep for the generator")
  const recur = (inner: Json) => arbitraryOf(document, inner, depth + 1)
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace("#/components/schemas/", "")
    return recur(document.components.schemas[name])
  }
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum)
  if (Array.isArray(schema.anyOf ?? schema.oneOf)) return fc.oneof(...(schema.anyOf ?? schema.oneOf).map(recur))
  if (Array.isArray(schema.allOf)) throw new Error(`allOf is not generated: ${JSON.stringify(schema).slice(0, 200)}`)
  switch (schema.type) {
    case "null":
      return fc.constant(null)
    case "boolean":
      return fc.boolean()
    case "integer":
      return integer(schema)
    case "number":
      return fc.double({
        min: schema.minimum ?? -1e9,
        max: schema.maximum ?? 1e9,
        noNaN: true,
        noDefaultInfinity: true
      })
    case "string":
      return text(schema)
    case "array":
      return fc.array(recur(schema.items ?? {}), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 5, 5)
      })
    case "object": {
      const properties: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [key, inner] of Object.entries<Json>(schema.properties ?? {})) properties[key] = recur(inner)
      return fc.record(properties, { requiredKeys: schema.required ?? [] })
    }
    default:
      throw new Error(`no generator for ${JSON.stringify(schema).slice(0, 200)}`)
  }
}

/** The request body schema of an operation (`POST /v1/events` → its application/json schema). */
export const bodySchemaOf = (document: Json, method: string, path: string): Json =>
  document.paths[path][method].requestBody.content["application/json"].schema

/** An HTTP header value as a generated client would send one: a token of 1 to `max` characters. */
export const headerValue = (max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9._~-]{1,${Math.min(max, 64)}}$`))
