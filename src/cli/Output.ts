import { Console, Effect } from "effect"
import type { Order } from "../domain/orders/Order.ts"
import type { ServiceKey } from "../domain/servicekeys/ServiceKey.ts"
import { goticket } from "./Connection.ts"

/** Columns padded to their widest cell (the last one left as it is), two spaces apart. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const all = [header, ...rows]
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column]?.length ?? 0)))
  return all
    .map((row) =>
      row
        .map((cell, column) => (column < header.length - 1 ? cell.padEnd(widths[column] ?? 0) : cell))
        .join("  ")
        .trimEnd()
    )
    .join("\n")
}

const at = (date: Date | null) => date?.toISOString() ?? "never"

/** How an operator writes a key's scopes: `door:scan:<eventId>` once per event, the others by name. */
export const scopeSpecs = (key: ServiceKey) =>
  [...key.scopes.filter((s) => s !== "door:scan"), ...key.doorEvents.map((e) => `door:scan:${e}`)].join(" ")

export const keyRow = (key: ServiceKey) => [
  key.id,
  key.name,
  `${key.prefix}…`,
  scopeSpecs(key),
  at(key.expiresAt),
  at(key.lastUsedAt),
  key.revokedAt === null ? "active" : `revoked ${key.revokedAt.toISOString()}`
]
export const KEY_HEADER = ["ID", "NAME", "PREFIX", "SCOPES", "EXPIRES", "LAST USED", "STATE"]

export const money = (minor: number, currency: string) => `${(minor / 100).toFixed(2)} ${currency}`

export const orderRow = (order: Order) => [
  order.id,
  order.status,
  money(order.totalMinor, order.currency),
  order.refundedMinor === 0 ? "-" : money(order.refundedMinor, order.currency),
  String(order.tickets.length),
  order.eventId,
  order.createdAt.toISOString()
]
export const ORDER_HEADER = ["ORDER", "STATUS", "TOTAL", "REFUNDED", "TICKETS", "EVENT", "CREATED"]

/** The value as JSON with `--json` (dates as ISO strings), else the human text. */
export const show = (value: unknown, human: () => string) =>
  Effect.flatMap(goticket, (root) => Console.log(root.json ? JSON.stringify(value) : human()))
