import { Effect, SchemaIssue } from "effect"
import { HttpServerRequest } from "effect/http"
import type { HttpApiError } from "effect/http-api"
import { HttpApiDecodeError, MalformedRequest } from "./api/errors.ts"

/** The kind of each issue, named as Effect 3's ArrayFormatter named them (the API's documented issue shape). */
const issueTags: Record<string, string> = {
  InvalidType: "Type",
  InvalidValue: "Type",
  MissingKey: "Missing",
  UnexpectedKey: "Unexpected",
  Forbidden: "Forbidden",
  OneOf: "Type",
  AnyOf: "Type"
}

/** The kinds of the leaves of an issue tree, in the order SchemaIssue's formatters list them. */
const leafTags = (issue: SchemaIssue.Issue, inherited: string | undefined): Array<string> => {
  switch (issue._tag) {
    case "Filter":
      return leafTags(issue.issue, inherited ?? "Refinement")
    case "Encoding":
      return leafTags(issue.issue, inherited ?? "Transformation")
    case "Pointer":
      return leafTags(issue.issue, inherited)
    case "Composite":
      return issue.issues.flatMap((inner) => leafTags(inner, inherited))
    case "AnyOf":
      return issue.issues.length > 0
        ? issue.issues.flatMap((inner) => leafTags(inner, inherited))
        : [inherited ?? "Type"]
    default:
      return [inherited ?? issueTags[issue._tag] ?? "Type"]
  }
}

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()
const formatMessage = SchemaIssue.makeFormatterDefault()

const pathSegment = (segment: PropertyKey | { readonly key: PropertyKey }): string | number => {
  const key = typeof segment === "object" ? segment.key : segment
  return typeof key === "number" ? key : String(key)
}

/** Every problem of a request that does not match the contract, each with its path, and all of them as text. */
export const decodeError = (issue: SchemaIssue.Issue): HttpApiDecodeError => {
  const tags = leafTags(issue, undefined)
  return new HttpApiDecodeError({
    issues: formatIssues(issue).issues.map((found, i) => ({
      _tag: tags[i] ?? "Type",
      path: (found.path ?? []).map(pathSegment),
      message: found.message
    })),
    message: formatMessage(issue)
  })
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
  if (error.kind !== "Payload") return Effect.succeed(decodeError(error.cause.issue))
  return HttpServerRequest.HttpServerRequest.pipe(
    Effect.flatMap((request) => Effect.option(request.text)),
    Effect.map((text) => {
      const syntax = text._tag === "Some" ? jsonSyntaxError(text.value) : undefined
      return syntax === undefined
        ? decodeError(error.cause.issue)
        : new MalformedRequest({ message: `the body is not valid JSON: ${syntax}` })
    })
  )
}
