import { Exit, Schema } from "effect"

/** Exits as JSON: success and failure values are already in their encoded form; defects become plain objects. */
const ExitJson = Schema.toCodecJson(Schema.Exit(Schema.Any, Schema.Any, Schema.Defect()))

/** An exit as the journal stores it. */
export const exitToJson = (exit: Exit.Exit<unknown, unknown>): unknown =>
  Schema.encodeSync(ExitJson)(Exit.map(exit, (value) => value ?? null))

/** An exit the journal stored. */
export const exitFromJson = (json: unknown): Exit.Exit<unknown, unknown> => Schema.decodeUnknownSync(ExitJson)(json)

/** Where a run keeps an activity's exit (per attempt) and a deferred's completion in its journal. */
export const activityKey = (name: string, attempt: number) => `a/${attempt}/${name}`
export const deferredKey = (name: string) => `d/0/${name}`
