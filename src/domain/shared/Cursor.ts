import { Option, Schema } from "effect"
import { Uuid } from "./Ids.ts"

const isUuid = Schema.is(Uuid)
/** PostgreSQL's timestamptz range is narrower than JavaScript's Date: keep cursors inside years 1–9999. */
const inRange = (at: Date) => at.getUTCFullYear() >= 1 && at.getUTCFullYear() <= 9999

/** Keyset position (startsAt, id), encoded as an opaque URL-safe string. */
export interface KeysetPosition {
  readonly at: Date
  readonly id: string
}

export const encodeCursor = (p: KeysetPosition): string =>
  btoa(`${p.at.toISOString()}|${p.id}`).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "")

export const decodeCursor = (cursor: string): Option.Option<KeysetPosition> => {
  try {
    const [iso, id] = atob(cursor.replaceAll("-", "+").replaceAll("_", "/")).split("|")
    const at = new Date(iso ?? "")
    if (Number.isNaN(at.getTime()) || !inRange(at) || id === undefined || !isUuid(id)) return Option.none()
    return Option.some({ at, id })
  } catch {
    return Option.none()
  }
}

/** Orders by (at, id) ascending and tells whether `p` comes after `cursor`. */
export const isAfter = (p: KeysetPosition, cursor: KeysetPosition): boolean =>
  p.at.getTime() > cursor.at.getTime() || (p.at.getTime() === cursor.at.getTime() && p.id > cursor.id)
