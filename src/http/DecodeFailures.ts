import { Effect, type SchemaAST, SchemaIssue } from "effect"
import { HttpServerRequest } from "effect/http"
import type { HttpApiError } from "effect/http-api"
import { HttpApiDecodeError, type IssueCode, MalformedRequest } from "./api/errors.ts"

type PathSegment = string | number

/** One problem as the API reports it: where, a stable code, and a sentence. */
interface Found {
  readonly _tag: string
  readonly code: IssueCode
  readonly path: ReadonlyArray<PathSegment>
  readonly message: string
}

const formatLeaf = SchemaIssue.makeFormatterStandardSchemaV1()

const pathSegment = (segment: PropertyKey | { readonly key: PropertyKey }): PathSegment => {
  const key = typeof segment === "object" ? segment.key : segment
  return typeof key === "number" ? key : String(key)
}

/** What a value of this schema is, in words, for "must be …" (never a schema's identifier or a type name). */
const kindOf = (ast: SchemaAST.AST): string => {
  switch (ast._tag) {
    case "Objects":
      return "a JSON object"
    case "Arrays":
      return "an array"
    case "String":
    case "TemplateLiteral":
      return "a string"
    case "Number":
      return "a number"
    case "Boolean":
      return "true or false"
    case "Null":
      return "null"
    case "Literal":
      return JSON.stringify(ast.literal)
    case "Union": {
      const kinds = [...new Set(ast.types.map(kindOf))]
      return kinds.length === 1 ? (kinds[0] ?? "another value") : `one of ${kinds.join(", ")}`
    }
    case "Suspend":
      return kindOf(ast.thunk())
    default:
      return "a value of another type"
  }
}

/** The code of a failed rule, from the filter's own name (isMaxLength → too_long …). */
const filterCode = (issue: SchemaIssue.Filter): IssueCode => {
  const id = String((issue.filter.annotations?.representation as { id?: unknown } | undefined)?.id ?? "")
  if (/Max(Length|CodePoints|Size)/.test(id)) return "too_long"
  if (/Min(Length|CodePoints|Size)/.test(id)) return "too_short"
  if (/Pattern|UUID|GUID|Trimmed/.test(id)) return "pattern"
  if (/Between|Greater|Less/.test(id)) return "out_of_range"
  if (/Int/.test(id)) return "not_integer"
  return "invalid_value"
}

/** A rule's own message, or the library's default worded as the others are ("Expected a UUID" → "must be a UUID"). */
const messageOf = (issue: SchemaIssue.Issue): string =>
  (formatLeaf(issue).issues[0]?.message ?? "is not valid").replace(/^Expected /, "must be ")

/** How far an alternative of a union is from what was sent: a missing or unknown field, or another type, weighs most. */
const distance = (found: ReadonlyArray<Found>): number =>
  found.reduce(
    (sum, issue) =>
      sum + (issue.code === "missing" || issue.code === "unexpected" || issue.code === "invalid_type" ? 100 : 1),
    0
  )

/**
 * The problems of an issue tree as the API reports them. Of a union that matched no alternative, only the problems
 * of the alternative closest to what was sent are kept (a hold with quantity 0 is about the quantity, not about the
 * two other shapes of hold it does not have).
 */
const problems = (issue: SchemaIssue.Issue, path: ReadonlyArray<PathSegment>): Array<Found> => {
  switch (issue._tag) {
    case "Pointer":
      return problems(issue.issue, [...path, ...issue.path.map(pathSegment)])
    case "Composite":
      return issue.issues.flatMap((inner) => problems(inner, path))
    case "Encoding":
      return problems(issue.issue, path)
    case "AnyOf": {
      const alternatives = issue.issues.map((inner) => problems(inner, path))
      const closest = alternatives.reduce<Array<Found> | undefined>(
        (best, next) => (best === undefined || distance(next) < distance(best) ? next : best),
        undefined
      )
      return closest ?? [{ _tag: "Type", code: "invalid_type", path, message: `must be ${kindOf(issue.ast)}` }]
    }
    case "Filter":
      return issue.issue._tag === "Pointer" || issue.issue._tag === "Composite"
        ? problems(issue.issue, path)
        : [{ _tag: "Refinement", code: filterCode(issue), path, message: messageOf(issue) }]
    case "MissingKey":
      return [{ _tag: "Missing", code: "missing", path, message: "is required" }]
    case "UnexpectedKey":
      return [{ _tag: "Unexpected", code: "unexpected", path, message: "is not a field of this request" }]
    case "InvalidType":
      return [{ _tag: "Type", code: "invalid_type", path, message: `must be ${kindOf(issue.ast)}` }]
    case "OneOf":
      return [{ _tag: "Type", code: "ambiguous", path, message: "matches more than one of the accepted shapes" }]
    case "Forbidden":
      return [{ _tag: "Forbidden", code: "invalid_value", path, message: messageOf(issue) }]
    case "InvalidValue":
      return [{ _tag: "Type", code: "invalid_value", path, message: messageOf(issue) }]
  }
}

/** Where in the request a path points, in words: `body field items[0].quantity`, `query parameter limit` … */
const placeOf = (kind: HttpApiError.HttpApiSchemaError["kind"] | undefined, path: ReadonlyArray<PathSegment>) => {
  const field = path
    .map((segment, i) => (typeof segment === "number" ? `[${segment}]` : i === 0 ? segment : `.${segment}`))
    .join("")
  switch (kind) {
    case "Query":
      return field === "" ? "the query" : `query parameter ${field}`
    case "Params":
      return field === "" ? "the path" : `path parameter ${field}`
    case "Headers":
      return field === "" ? "the headers" : `header ${field}`
    default:
      return field === "" ? "the body" : `body field ${field}`
  }
}

/**
 * Every problem of a request that does not match the contract, each with its path, a stable code and a sentence; the
 * message names the first problem's field and rule, and how many more there are.
 */
export const decodeError = (
  issue: SchemaIssue.Issue,
  kind?: HttpApiError.HttpApiSchemaError["kind"]
): HttpApiDecodeError => {
  const found = problems(issue, [])
  const first = found[0]
  const more = found.length - 1
  const message =
    first === undefined
      ? "the request does not match the API"
      : `${placeOf(kind, first.path)} ${first.message}${more > 0 ? ` (and ${more} more problem${more > 1 ? "s" : ""})` : ""}`
  return new HttpApiDecodeError({ issues: found, message })
}

/** Why the body is not JSON, or undefined when it is. */
const jsonSyntaxError = (text: string): string | undefined => {
  if (text === "") return undefined
  try {
    JSON.parse(text)
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

/**
 * The answer to a request the framework could not decode: MalformedRequest when the body is not JSON at all,
 * HttpApiDecodeError (every issue at once) when it does not match the contract. Undefined for a failure to encode
 * our own answer, which stays a failure on our side.
 */
export const decodeFailureAnswer = (
  error: HttpApiError.HttpApiSchemaError
): Effect.Effect<HttpApiDecodeError | MalformedRequest | undefined, never, HttpServerRequest.HttpServerRequest> => {
  if (error.kind === "Body" || error.kind === "ResponseHeaders") return Effect.succeed(undefined)
  if (error.kind !== "Payload") return Effect.succeed(decodeError(error.cause.issue, error.kind))
  return HttpServerRequest.HttpServerRequest.pipe(
    Effect.flatMap((request) => Effect.option(request.text)),
    Effect.map((text) => {
      const syntax = text._tag === "Some" ? jsonSyntaxError(text.value) : undefined
      return syntax === undefined
        ? decodeError(error.cause.issue, error.kind)
        : new MalformedRequest({ message: `the body is not valid JSON: ${syntax}` })
    })
  )
}
