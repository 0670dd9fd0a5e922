import { describe, expect, layer } from "@effect/vitest"
import { Arbitrary, Context, Effect, Exit, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import fc from "fast-check"
import { HoldRequest } from "../../src/domain/reservations/HoldRequest.ts"
import { encodeCursor } from "../../src/domain/shared/Cursor.ts"
import { EVENT_TYPES } from "../../src/domain/webhooks/Webhook.ts"
import {
  ChangeEmailRequest,
  ChangePasswordRequest,
  EmailChangeConfirmRequest,
  PasswordResetConfirmRequest,
  PasswordResetRequest,
  TwoFactorConfirmRequest,
  TwoFactorDisableRequest,
  TwoFactorEnrolRequest,
  TwoFactorLoginRequest
} from "../../src/http/api/AccountSecurityApi.ts"
import { ReplayRequest } from "../../src/http/api/AdminApi.ts"
import {
  LoginRequest,
  RefreshRequest,
  RegisterRequest,
  ResendVerificationRequest,
  VerifyEmailRequest
} from "../../src/http/api/AuthApi.ts"
import {
  CreateEventRequest,
  CreateTicketTypeRequest,
  GrantStaffRequest,
  SeatingRequest,
  UpdateEventRequest,
  UpdateTicketTypeRequest
} from "../../src/http/api/OrganizerApi.ts"
import { CreateApiKeyRequest } from "../../src/http/api/OrganizerApiKeysApi.ts"
import { EraseAccountRequest } from "../../src/http/api/PrivacyApi.ts"
import { CreateServiceKeyRequest } from "../../src/http/api/ServiceKeysApi.ts"
import { CreateVouchersRequest } from "../../src/http/api/VouchersApi.ts"
import { WaitingListSettingsRequest } from "../../src/http/api/WaitingListsApi.ts"
import { RegisterWebhookRequest } from "../../src/http/api/WebhooksApi.ts"
import { InProcessSandbox } from "../../src/services/payments/PaymentGatewayLive.ts"
import { signatureHeader } from "../../src/services/payments/sandbox/Signature.ts"
import type { Api } from "../support/Purchase.ts"
import { type Account, ADMIN, buildWorld, type SecurityWorld } from "../support/SecurityWorld.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

/**
 * Property tests against every endpoint of the running service: requests shaped like the API's own request schemas
 * (`Arbitrary.schema`, sampled from fast-check's seeds), mixed with hostile values (SQL and JSON injection, prototype-pollution keys, huge and odd
 * numbers, long strings, RTL/emoji/combining/lone-surrogate unicode, NUL bytes, wrong types, missing and extra
 * fields, hostile path segments, query strings and headers), sent as a real user so that validation is reached.
 *
 * Properties: no answer is a 5xx; every 4xx is JSON with a `_tag` and a `message`; a refused request changes
 * nothing (the database's domain tables and what the owners see through the API are the same before and after);
 * nothing pollutes the server's Object.prototype.
 *
 * Reproduce a failure with the seed it prints: FUZZ_SEED=<seed> npx vitest run test/security/Fuzzing.test.ts.
 * FUZZ_RUNS sets the runs per endpoint (default 30); FUZZ_SHRINK=1 shrinks a counterexample (slow).
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 30)
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED)
const SHRINK = process.env.FUZZ_SHRINK === "1"

// ---------------------------------------------------------------------------------------------------------------
// Hostile values

/** A small deterministic PRNG: every choice of a run derives from fast-check's integers, so runs replay by seed. */
const prng = (seed: number) => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    chance: (p: number) => next() < p,
    pick: <A>(items: ReadonlyArray<A>): A => items[Math.floor(next() * items.length)] as A
  }
}
type Rng = ReturnType<typeof prng>

const SQL_INJECTION = [
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  "1; SELECT pg_sleep(10) --",
  "' UNION SELECT password_hash FROM users --",
  "%' AND 1=1 --",
  "\\",
  "\\'",
  "$1",
  "'||(SELECT current_user)||'",
  '" OR ""="',
  "E'\\x00'",
  "%",
  "_",
  "%_%\\%"
]
const JSON_INJECTION = [
  '{"$gt":""}',
  '"},"isAdmin":true,"x":{"',
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "</script><script>alert(1)</script>",
  "$" + "{7*7}",
  "{{7*7}}"
]
const UNICODE = [
  "\u202eevil\u202c",
  "مرحبا بالعالم",
  "😀🎟️👨‍👩‍👧‍👦",
  "e\u0301\u0301\u0301\u0301\u0301",
  "\ud800",
  "\udfff",
  "a\ud83d",
  "\ufeff",
  "\u200b\u200b",
  "İstanbul",
  "ǅ ß ﬁ",
  "\u0000",
  "a\u0000b",
  "\u0007\u001b[31mred",
  "\r\n\r\nX-Injected: 1",
  "İ".repeat(130),
  "\uffff\ufffe"
]
const LONG = ["x".repeat(10_000), "é".repeat(3_000), "💥".repeat(2_000), "İ".repeat(254), "a".repeat(257)]
const NUMBERS = [
  1e308,
  -1e308,
  2 ** 53 + 1,
  -(2 ** 53 + 1),
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31) - 1,
  2 ** 63,
  0.1,
  -1,
  5e-324
]
const NUMBER_STRINGS = [
  "NaN",
  "Infinity",
  "-Infinity",
  "-0",
  "1e308",
  "1e309",
  "0x1F",
  "1_000",
  " 1",
  "١٢٣",
  "9007199254740993",
  ""
]
const WRONG_TYPES: ReadonlyArray<unknown> = [null, true, false, [], {}, [null], [[[]]], { $ne: null }, 0, ""]
/** Rendered verbatim into the JSON text: numbers JSON.stringify cannot write. */
const RAW_TOKENS = ["-0", "1e999", "-1e999", "9007199254740993", "0.1e-999", "123456789012345678901234567890"]
const EXTRA_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "isAdmin",
  "adm",
  "organizerId",
  "customerId",
  "status",
  "id",
  "role",
  "price",
  "k".repeat(1000),
  "\u0000",
  "🎟️"
]

class Raw {
  readonly text: string
  constructor(text: string) {
    this.text = text
  }
}

const randomUnicode = (r: Rng) => {
  let s = ""
  const n = r.int(40)
  for (let i = 0; i < n; i++) {
    const kind = r.int(4)
    const cp = kind === 0 ? r.int(0x80) : kind === 1 ? r.int(0x800) : kind === 2 ? r.int(0x10000) : r.int(0x110000)
    s += cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp)
  }
  return s
}

const hostileString = (r: Rng): string => {
  switch (r.int(5)) {
    case 0:
      return r.pick(SQL_INJECTION)
    case 1:
      return r.pick(JSON_INJECTION)
    case 2:
      return r.pick(UNICODE)
    case 3:
      return r.pick(LONG)
    default:
      return randomUnicode(r)
  }
}

const hostileValue = (r: Rng): unknown => {
  switch (r.int(6)) {
    case 0:
    case 1:
      return hostileString(r)
    case 2:
      return r.pick(NUMBERS)
    case 3:
      return r.pick(NUMBER_STRINGS)
    case 4:
      return new Raw(r.pick(RAW_TOKENS))
    default:
      return bare(r.pick(WRONG_TYPES)) // a copy: mutations must not change (or loop through) the shared constants
  }
}

/** A hostile value as text (for query strings and path segments). */
const textOf = (value: unknown): string => (typeof value === "string" ? value : render(value))

/** JSON text of a value that may hold Raw tokens and own "__proto__" keys (objects are built without prototype). */
const render = (value: unknown): string => {
  const raws: Array<string> = []
  const text = JSON.stringify(value, (_key, v) => {
    if (v instanceof Raw) {
      raws.push(v.text)
      return `@@RAW${raws.length - 1}@@`
    }
    return v
  })
  return (text ?? "null").replace(/"@@RAW(\d+)@@"/g, (_, i: string) => raws[Number(i)] as string)
}

/** A deep copy into prototype-less objects, so that "__proto__" stays a plain key. */
const bare = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(bare)
  if (value === null || typeof value !== "object" || value instanceof Raw) return value
  const copy = Object.create(null) as Record<string, unknown>
  for (const [k, v] of Object.entries(value)) copy[k] = bare(v)
  return copy
}

/** Every (parent, key) in a JSON value, for the mutations to aim at. */
const slots = (value: unknown): Array<{ parent: Record<string, unknown> | Array<unknown>; key: string | number }> => {
  const found: Array<{ parent: Record<string, unknown> | Array<unknown>; key: string | number }> = []
  const walk = (v: unknown) => {
    if (Array.isArray(v))
      v.forEach((item, i) => {
        found.push({ parent: v, key: i })
        walk(item)
      })
    else if (v !== null && typeof v === "object" && !(v instanceof Raw))
      for (const k of Object.keys(v)) {
        found.push({ parent: v as Record<string, unknown>, key: k })
        walk((v as Record<string, unknown>)[k])
      }
  }
  walk(value)
  return found
}

const containers = (value: unknown): Array<Record<string, unknown>> => {
  const found: Array<Record<string, unknown>> = []
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk)
    else if (v !== null && typeof v === "object" && !(v instanceof Raw)) {
      found.push(v as Record<string, unknown>)
      Object.values(v).forEach(walk)
    }
  }
  walk(value)
  return found
}

/** Characters that keep a valid string valid-looking while testing what lies behind the schema. */
const TAINTS = ["\u0000", "\ud800", "\u202e", "\u0301", "'", "%", "\\", "\u200b", "\ufeff", "\n"]

/** A valid string with one odd character slipped in, or grown with a character that lower-cases to two. */
const taint = (text: string, r: Rng): string => {
  if (r.chance(0.2)) return `${"İ".repeat(1 + r.int(250))}${text}`
  const at = r.int(text.length + 1)
  return `${text.slice(0, at)}${r.pick(TAINTS)}${text.slice(at)}`
}

/** One to three mutations of a well-formed body: replace a value, drop a field, add a field, or replace it all. */
const mutate = (valid: unknown, r: Rng): unknown => {
  let value = bare(valid)
  const n = 1 + r.int(3)
  for (let i = 0; i < n; i++) {
    const op = r.int(10)
    const targets = slots(value)
    const strings = targets.filter(
      ({ parent, key }) => typeof (parent as Record<string | number, unknown>)[key] === "string"
    )
    if (op < 4 && targets.length > 0) {
      const { parent, key } = r.pick(targets)
      ;(parent as Record<string | number, unknown>)[key] = hostileValue(r)
    } else if (op < 6 && strings.length > 0) {
      const { parent, key } = r.pick(strings)
      const text = (parent as Record<string | number, string>)[key] as string
      ;(parent as Record<string | number, unknown>)[key] = taint(text, r)
    } else if (op < 7 && targets.length > 0) {
      const { parent, key } = r.pick(targets)
      if (Array.isArray(parent)) parent.splice(key as number, 1)
      else delete parent[key as string]
    } else if (op < 9) {
      const objects = containers(value)
      if (objects.length > 0) {
        const extra = r.chance(0.5) ? bare({ isAdmin: true, polluted: "yes" }) : hostileValue(r)
        ;(r.pick(objects) as Record<string, unknown>)[r.pick(EXTRA_KEYS)] = extra
      }
    } else value = r.chance(0.5) ? hostileValue(r) : [value]
  }
  return value
}

const RAW_BODIES = [
  "",
  "null",
  "[]",
  '"just a string"',
  "{",
  '{"a":',
  "{'single':'quotes'}",
  "\u0000",
  '{"__proto__":{"isAdmin":true,"polluted":"yes"}}',
  '{"constructor":{"prototype":{"isAdmin":true,"polluted":"yes"}}}',
  `${"[".repeat(20_000)}${"]".repeat(20_000)}`,
  '{"a":1,"a":2}',
  "\ufeff{}",
  "1e999",
  '{"x":"\\ud800"}',
  '{"x":"\\u0000"}',
  "NaN",
  `{"k":${"9".repeat(5000)}}`
]
const CONTENT_TYPES = [
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "application/json; charset=utf-16",
  "application/xml",
  "application/json, text/html"
]

interface Body {
  readonly text?: string
  readonly bytes?: Uint8Array
  readonly contentType?: string
}

/** A body from a well-formed value: sent as is, mutated, replaced by odd raw text or bytes, or with a wrong type. */
const hostileBody = (valid: unknown, r: Rng): Body => {
  const mode = r.int(20)
  if (mode < 5) return { text: render(valid), contentType: "application/json" }
  if (mode < 15) return { text: render(mutate(valid, r)), contentType: "application/json" }
  if (mode < 17) return { text: r.pick(RAW_BODIES), contentType: "application/json" }
  if (mode < 18)
    return {
      bytes: Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0x80, 0x22, 0x7d]),
      contentType: "application/json"
    }
  return { text: r.chance(0.5) ? render(valid) : "a=1&b=2", contentType: r.pick(CONTENT_TYPES) }
}

const HOSTILE_SEGMENTS = [
  "..",
  "%2e%2e",
  "..%2f..%2fv1%2fme",
  "%00",
  "%ZZ",
  "%",
  "%E0%A4%A",
  "%C0%AF",
  "%ED%A0%80",
  "null",
  "undefined",
  "0",
  "-1",
  "%27%20OR%201%3D1--",
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  "a".repeat(9000),
  "%7BeventId%7D",
  "__proto__",
  "constructor",
  "%20",
  "%0d%0aX-Injected:%201"
]

/** A path segment: mostly a known id, else a random UUID or something hostile. */
const segment = (pool: ReadonlyArray<string>, r: Rng): string => {
  const roll = r.int(10)
  if (roll < 5 && pool.length > 0) return encodeURIComponent(r.pick(pool))
  if (roll < 6) return crypto.randomUUID()
  if (roll < 7 && pool.length > 0) {
    const id = r.pick(pool)
    return r.pick([id.toUpperCase(), `${id}'`, `${id}%00`, `${id}.json`, ` ${id}`, id.slice(0, -1), `${id}/x`])
  }
  if (roll < 9) return r.pick(HOSTILE_SEGMENTS)
  try {
    return encodeURIComponent(hostileString(r))
  } catch {
    return "%ED%B0%80" // a lone surrogate cannot be percent-encoded: send its (invalid) UTF-8 bytes instead
  }
}

const encode = (s: string) => {
  try {
    return encodeURIComponent(s)
  } catch {
    return "%ED%A0%80"
  }
}

const RAW_QUERIES = [
  "limit=%ZZ",
  "cursor=%00",
  "&&&",
  "=",
  "limit[]=1",
  "limit[$gt]=1",
  "__proto__[isAdmin]=1",
  "limit=1&limit=2",
  "q",
  "%"
]

/** A query string from the endpoint's own parameters (good and hostile values), unknown ones and raw junk. */
const hostileQuery = (known: Readonly<Record<string, ReadonlyArray<string>>>, r: Rng): string => {
  if (r.chance(0.1)) return r.pick(RAW_QUERIES)
  const parts: Array<string> = []
  for (const [key, values] of Object.entries(known)) {
    if (!r.chance(0.5)) continue
    const good = values.length > 0 ? r.pick(values) : "1"
    const value = r.chance(0.4) ? good : r.chance(0.5) ? taint(good, r) : textOf(hostileValue(r))
    parts.push(`${key}=${encode(value)}`)
    if (r.chance(0.1)) parts.push(`${key}=${encode(r.pick(values.length > 0 ? values : ["1"]))}`)
  }
  if (r.chance(0.2)) parts.push(`${encode(r.pick(EXTRA_KEYS))}=${encode(textOf(hostileValue(r)))}`)
  return parts.join("&")
}

const LIMITS = ["1", "20", "100", "0", "101", "-1", "1.5", "1e2", "NaN", "", "9".repeat(400), "0x10"]
const INSTANTS = [
  "2027-06-01T19:00:00Z",
  "0000-01-01T00:00:00Z",
  "9999-12-31T23:59:59.999999999-14:00",
  "2027-02-30T00:00Z",
  "2027-13-01T00:00Z",
  "1970-01-01T00:00:00+23:59",
  "2027-06-01 19:00:00Z",
  "2027-06-01T19:00:00"
]
const cursors = () => [
  encodeCursor({ at: new Date("2027-01-01T00:00:00Z"), id: crypto.randomUUID() }),
  encodeCursor({ at: new Date("0001-01-01T00:00:00Z"), id: crypto.randomUUID() }),
  btoa(`2027-01-01T00:00:00.000Z|' OR 1=1 --`),
  btoa("0000-00-00|x"),
  btoa(`${"9".repeat(180)}|${crypto.randomUUID()}`).slice(0, 200),
  "not-a-cursor",
  "=="
]
const PAGE = () => ({ limit: LIMITS, cursor: cursors() })
/** The order search's filters: real and hostile values of each (a ticket code's forged variants among them). */
const ORDER_FILTERS = () => ({
  status: ["confirmed", "pending_payment", "CONFIRMED", "shipped", ""],
  email: ["customer@example.com", "CUSTOMER@EXAMPLE.COM", "nobody", "a@b", "%@%", ""],
  name: ["Ada", "%", "_", "\\", "=1+1", "'; DROP TABLE orders; --", "x".repeat(121), ""],
  ticketCode: [
    "GT1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB",
    "GT1..",
    "GT2.a.b",
    "GT1.a.b",
    "x".repeat(201),
    ""
  ],
  from: INSTANTS,
  to: INSTANTS
})

// ---------------------------------------------------------------------------------------------------------------
// Well-formed payloads from the API's own schemas

const ZONES = ["Europe/Paris", "UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "europe/paris"]
/** Plausible addresses, in place of what the Email schema's checks would let a generator find. */
const emailArbitrary = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9._+-]{1,20}$/),
    fc.constantFrom("example.com", "example.org", "xn--bcher-kva.example")
  )
  .map(([local, domain]) => `${local}@${domain}`)

/**
 * Values of `schema` (Effect's `Arbitrary.schema`, which generates its decoded side), encoded as a client sends them.
 * The checks that live on the encoded side (an email's pattern, an instant's format, a time zone name) are not what the
 * generator aims at, so encoding does not enforce them: `realistic` puts real values there most of the time. `{}` when
 * a value cannot be encoded at all. fast-check draws the seed and size of each value, so a run replays by its seed; a
 * seed whose generation gives up (too many values refused by the schema's checks) moves on to the next ones.
 */
const wellFormed = <S extends Schema.ConstraintCodec<unknown, unknown, never, never>>(
  schema: S
): fc.Arbitrary<unknown> => {
  const arbitrary = Arbitrary.schema(schema)
  const encode = Schema.encodeSync(schema)
  const sample = (seed: number, size: number): Option.Option<unknown> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const exit = Effect.runSyncExit(
        Arbitrary.sampleEffect(arbitrary, { count: 1, seed: seed + attempt, size: size >> attempt })
      )
      if (Exit.isSuccess(exit)) return Option.some(exit.value[0])
    }
    return Option.none()
  }
  return fc.tuple(fc.integer(), fc.integer({ min: 0, max: 20 })).map(([seed, size]) =>
    Option.match(sample(seed, size), {
      onNone: () => ({}),
      onSome: (value) => {
        try {
          return encode(value, { disableChecks: true })
        } catch {
          return {}
        }
      }
    })
  )
}

/** `wellFormed` for a payload whose `email` field is an address from `emailArbitrary`. */
const wellFormedWithEmail = <Fields extends Schema.Struct.Fields & { readonly email: unknown }>(
  fields: Fields
): fc.Arbitrary<unknown> => {
  const { email: _, ...rest } = fields
  // The request schemas need no services; TypeScript cannot tell through the generic field map.
  const others = Schema.Struct(rest) as unknown as Schema.ConstraintCodec<unknown, unknown, never, never>
  return fc
    .tuple(wellFormed(others), emailArbitrary)
    .map(([body, email]) => (body !== null && typeof body === "object" ? { ...body, email } : body))
}

/** Replaces generated ids, emails, zones and times by real ones most of the time, so that requests get past lookups. */
const realistic = (value: unknown, r: Rng, pools: Pools): unknown => {
  const fix = (key: string, v: unknown): unknown => {
    if (typeof v === "string") {
      if (!r.chance(0.8)) return v
      if (key === "timezone") return r.pick(ZONES)
      if (key === "email") return r.pick(pools.emails)
      if (key === "url") return r.pick(pools.urls)
      if (key === "code") return r.pick(pools.codes)
      if (key === "refreshToken") return r.pick(pools.refreshTokens)
      if (key === "eventId") return r.pick(pools.eventIds)
      if (key === "ticketTypeId") return r.pick(pools.ticketTypeIds)
      if (key === "currency") return "EUR"
      if (key.endsWith("At")) return new Date(Date.now() + (1 + r.int(60)) * 86_400_000).toISOString()
    }
    if (key === "eventTypes" && Array.isArray(v) && r.chance(0.8)) return [r.pick(EVENT_TYPES)]
    if (v !== null && typeof v === "object") return walk(v)
    return v
  }
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map((item) => fix("", item))
    if (v === null || typeof v !== "object") return v
    return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, fix(k, item)]))
  }
  return fix("", value)
}

interface Pools {
  readonly emails: ReadonlyArray<string>
  readonly urls: ReadonlyArray<string>
  readonly codes: ReadonlyArray<string>
  readonly refreshTokens: ReadonlyArray<string>
  readonly eventIds: ReadonlyArray<string>
  readonly ticketTypeIds: ReadonlyArray<string>
}

// ---------------------------------------------------------------------------------------------------------------
// The endpoints

type Caller = "anonymous" | "customer" | "organizer" | "admin" | "holder" | "leaver"
type View = "events" | "mine" | "holds" | "orders" | "webhooks" | "accounts"

interface Target {
  readonly route: string
  readonly as: Caller
  /** Known values of each path parameter (the rest of the time a parameter is random or hostile). */
  readonly params?: (w: SecurityWorld) => Readonly<Record<string, ReadonlyArray<string>>>
  /** The endpoint's query parameters, with good and odd values. */
  readonly query?:
    | Readonly<Record<string, ReadonlyArray<string>>>
    | (() => Readonly<Record<string, ReadonlyArray<string>>>)
  /** Well-formed bodies, before `realistic` and the hostile mutations. */
  readonly body?: fc.Arbitrary<unknown>
  /** Adjusts a body for the target (e.g. never refund real tickets). */
  readonly shape?: (body: unknown, w: SecurityWorld) => unknown
  /** A request written by hand (signed webhooks). */
  readonly custom?: (
    r: Rng,
    w: SecurityWorld,
    secret: string
  ) => { readonly body: Body; readonly headers: Record<string, string> }
  readonly headers?: (r: Rng) => Record<string, string>
  /** The owners' views a refused call must leave as they were. */
  readonly views?: ReadonlyArray<View>
  /** Undoes a success that would make later runs pointless (a hold counts against the customer's limit). */
  readonly cleanup?: (body: unknown, w: FuzzWorld, api: Api) => Effect.Effect<unknown>
}

const idempotencyKey = (r: Rng): Record<string, string> => {
  const roll = r.int(10)
  if (roll < 6) return { "idempotency-key": crypto.randomUUID() }
  if (roll < 7) return {}
  return {
    "idempotency-key": r.pick([
      "",
      " ",
      "x".repeat(201),
      "x".repeat(200),
      "' OR 1=1 --",
      "ÿþ",
      "a\tb",
      crypto.randomUUID()
    ])
  }
}

const signedWebhook = (r: Rng, w: SecurityWorld, secret: string) => {
  const event = {
    id: r.chance(0.8) ? `evt_${crypto.randomUUID()}` : hostileString(r),
    type: r.chance(0.8)
      ? r.pick(["payment_intent.processing", "payment_intent.succeeded", "payment_intent.canceled", "refund.succeeded"])
      : hostileString(r),
    createdAt: new Date().toISOString(),
    data: {
      intentId: `pi_${crypto.randomUUID()}`,
      reference: r.pick([crypto.randomUUID(), w.ids.order, "not-an-order", hostileString(r)]),
      amountMinor: r.chance(0.7) ? 100 : hostileValue(r),
      declineCode: null
    }
  }
  const payload = r.chance(0.5) ? render(event) : render(mutate(event, r))
  const now = Math.floor(Date.now() / 1000)
  const signature = r.pick([
    signatureHeader(secret, payload, now),
    signatureHeader(secret, payload, now),
    signatureHeader(secret, payload, now - 3600),
    signatureHeader("not-the-secret", payload, now),
    `t=${now},v1=${"0".repeat(64)}`,
    `t=${"9".repeat(20)},v1=abc`,
    "t=,v1=",
    ",,,,",
    `v1=${"a".repeat(5000)}`,
    ""
  ])
  return {
    body: { text: payload, contentType: "application/json" },
    headers: signature === "" ? {} : { "sandbox-signature": signature }
  }
}

const TARGETS: ReadonlyArray<Target> = [
  { route: "GET /health/live", as: "anonymous", query: { verbose: ["1"] } },
  { route: "GET /health/ready", as: "anonymous", query: { verbose: ["1"] } },
  { route: "GET /metrics", as: "anonymous", query: { name: ["goticket_http"] } },
  {
    route: "POST /v1/auth/register",
    as: "anonymous",
    body: wellFormedWithEmail(RegisterRequest.fields),
    views: ["accounts"]
  },
  {
    route: "POST /v1/auth/login",
    as: "anonymous",
    body: wellFormedWithEmail(LoginRequest.fields),
    views: ["accounts"]
  },
  { route: "POST /v1/auth/verify-email", as: "anonymous", body: wellFormed(VerifyEmailRequest), views: ["accounts"] },
  {
    // The mailed link, as an API client opens it (a browser gets an HTML page instead of the JSON refusal).
    route: "GET /verify-email",
    as: "anonymous",
    query: { token: ["ev1.AAAAAAAAAAAAAAAAAAAAAAAAAAA.BBBB", "", "ev1..", "x".repeat(300)] },
    headers: () => ({ accept: "application/json" }),
    views: ["accounts"]
  },
  {
    route: "POST /v1/auth/resend-verification",
    as: "anonymous",
    body: wellFormedWithEmail(ResendVerificationRequest.fields),
    views: ["accounts"]
  },
  { route: "POST /v1/auth/refresh", as: "anonymous", body: wellFormed(RefreshRequest), views: ["accounts"] },
  { route: "POST /v1/auth/logout", as: "anonymous", body: wellFormed(RefreshRequest), views: ["accounts"] },
  { route: "GET /v1/me", as: "customer" },
  { route: "GET /v1/me/export", as: "customer" },
  { route: "DELETE /v1/me", as: "leaver", body: wellFormed(EraseAccountRequest), views: ["accounts"] },
  {
    route: "POST /v1/auth/password-reset",
    as: "anonymous",
    body: wellFormedWithEmail(PasswordResetRequest.fields),
    views: ["accounts"]
  },
  {
    route: "POST /v1/auth/password-reset/confirm",
    as: "anonymous",
    body: wellFormed(PasswordResetConfirmRequest),
    views: ["accounts"]
  },
  {
    route: "POST /v1/auth/email-change/confirm",
    as: "anonymous",
    body: wellFormed(EmailChangeConfirmRequest),
    views: ["accounts"]
  },
  {
    route: "POST /v1/auth/login/two-factor",
    as: "anonymous",
    body: wellFormed(TwoFactorLoginRequest),
    views: ["accounts"]
  },
  { route: "POST /v1/me/password", as: "leaver", body: wellFormed(ChangePasswordRequest), views: ["accounts"] },
  { route: "POST /v1/me/email", as: "leaver", body: wellFormed(ChangeEmailRequest), views: ["accounts"] },
  { route: "GET /v1/me/two-factor", as: "organizer" },
  {
    route: "POST /v1/me/two-factor/enrolment",
    as: "organizer",
    body: wellFormed(TwoFactorEnrolRequest),
    views: ["accounts"]
  },
  {
    route: "POST /v1/me/two-factor/enrolment/confirm",
    as: "organizer",
    body: wellFormed(TwoFactorConfirmRequest),
    views: ["accounts"]
  },
  {
    route: "DELETE /v1/me/two-factor",
    as: "organizer",
    body: wellFormed(TwoFactorDisableRequest),
    views: ["accounts"]
  },
  {
    route: "GET /v1/events",
    as: "anonymous",
    query: () => ({ q: ["Night", "%", "_", "\\", "Concert"], from: INSTANTS, to: INSTANTS, ...PAGE() })
  },
  { route: "POST /v1/events", as: "organizer", body: wellFormed(CreateEventRequest), views: ["mine"] },
  { route: "GET /v1/events/{eventId}", as: "anonymous", params: (w) => ({ eventId: [w.ids.event, w.ids.draft] }) },
  {
    route: "PATCH /v1/events/{eventId}",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.sideEvent, w.ids.draft, w.ids.otherOrganizerEvent] }),
    body: wellFormed(UpdateEventRequest),
    views: ["events", "mine"]
  },
  {
    route: "GET /v1/events/{eventId}/seats",
    as: "anonymous",
    params: (w) => ({ eventId: [w.ids.event, w.ids.draft] })
  },
  {
    route: "POST /v1/events/{eventId}/ticket-types",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.draft, w.ids.sideEvent, w.ids.otherOrganizerEvent] }),
    body: wellFormed(CreateTicketTypeRequest),
    views: ["events"]
  },
  {
    route: "PATCH /v1/events/{eventId}/ticket-types/{ticketTypeId}",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.event, w.ids.draft], ticketTypeId: [w.ids.ticketType, w.ids.draftTicketType] }),
    body: wellFormed(UpdateTicketTypeRequest),
    views: ["events", "holds"]
  },
  {
    route: "POST /v1/events/{eventId}/seating",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.draft, w.ids.event, w.ids.otherOrganizerDraft] }),
    body: wellFormed(SeatingRequest),
    views: ["events"]
  },
  {
    route: "POST /v1/events/{eventId}/publish",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.publishTarget, w.ids.event, w.ids.otherOrganizerDraft] }),
    views: ["events", "mine"]
  },
  {
    route: "POST /v1/events/{eventId}/cancel",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.cancelTarget, w.ids.cancelDraftTarget, w.ids.otherOrganizerEvent] }),
    views: ["events", "mine"]
  },
  {
    route: "POST /v1/events/{eventId}/staff",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.event, w.ids.draft, w.ids.otherOrganizerEvent] }),
    body: wellFormed(GrantStaffRequest),
    views: ["events"]
  },
  {
    route: "GET /v1/events/{eventId}/staff",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.event, w.ids.draft] })
  },
  {
    route: "GET /v1/events/{eventId}/stats",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.event, w.ids.draft] })
  },
  {
    route: "POST /v1/events/{eventId}/vouchers",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.event, w.ids.draft, w.ids.otherOrganizerEvent] }),
    body: wellFormed(CreateVouchersRequest),
    // A few vouchers per call: thousands of codes per run would only slow the suite.
    shape: (body) =>
      typeof body === "object" && body !== null && "count" in body
        ? { ...body, count: 1 + ((body.count as number) % 3) }
        : body,
    views: ["events"]
  },
  {
    route: "GET /v1/events/{eventId}/vouchers",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.event, w.ids.draft] })
  },
  {
    route: "GET /v1/events/{eventId}/vouchers.csv",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.event, w.ids.draft] })
  },
  {
    route: "POST /v1/events/{eventId}/waiting-lists/{ticketTypeId}/entry",
    as: "customer",
    params: (w) => ({ eventId: [w.ids.waitingEvent, w.ids.event], ticketTypeId: [w.ids.waitingType, w.ids.ticketType] })
  },
  {
    route: "GET /v1/events/{eventId}/waiting-lists/{ticketTypeId}/entry",
    as: "customer",
    params: (w) => ({ eventId: [w.ids.waitingEvent], ticketTypeId: [w.ids.waitingType] })
  },
  {
    route: "DELETE /v1/events/{eventId}/waiting-lists/{ticketTypeId}/entry",
    as: "customer",
    params: (w) => ({ eventId: [w.ids.waitingEvent], ticketTypeId: [w.ids.waitingType] })
  },
  {
    route: "GET /v1/events/{eventId}/waiting-lists",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.waitingEvent, w.ids.event, w.ids.draft] })
  },
  {
    route: "PATCH /v1/events/{eventId}/waiting-lists/{ticketTypeId}",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.waitingEvent], ticketTypeId: [w.ids.waitingType] }),
    body: wellFormed(WaitingListSettingsRequest)
  },
  {
    route: "GET /v1/events/{eventId}/audit",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.event, w.ids.draft] }),
    query: () => ({
      action: ["event.published", "Event.Published"],
      resourceType: ["event", "EVENT"],
      resourceId: [crypto.randomUUID()],
      actorId: [crypto.randomUUID()],
      from: INSTANTS,
      to: INSTANTS,
      ...PAGE()
    })
  },
  { route: "GET /v1/organizer/events", as: "organizer", query: PAGE },
  {
    route: "POST /v1/reservations",
    as: "holder",
    body: wellFormed(HoldRequest),
    headers: idempotencyKey,
    views: ["holds", "orders"],
    cleanup: (hold, w, api) =>
      api.call("DELETE", `/v1/reservations/${(hold as { id: string }).id}`, { token: w.holder.token })
  },
  {
    route: "GET /v1/reservations/{reservationId}",
    as: "customer",
    params: (w) => ({ reservationId: [w.ids.hold, w.ids.otherCustomerHold] })
  },
  {
    route: "DELETE /v1/reservations/{reservationId}",
    as: "customer",
    params: (w) => ({ reservationId: [w.ids.holdToRelease, w.ids.otherCustomerHold] }),
    views: ["holds"]
  },
  {
    route: "POST /v1/reservations/{reservationId}/checkout",
    as: "customer",
    params: (w) => ({ reservationId: [w.ids.otherCustomerHold, w.ids.holdToRelease] }),
    headers: idempotencyKey,
    views: ["holds", "orders"]
  },
  { route: "GET /v1/orders", as: "customer", query: PAGE },
  {
    route: "GET /v1/orders/{orderId}",
    as: "customer",
    params: (w) => ({ orderId: [w.ids.order] }),
    // Long-polls whose wait is over at once for the world's paid order (one that could still come true would hold
    // each run for its timeout), and bounds around the timeout's.
    query: {
      waitFor: ["settled", "confirmed", "pending_payment", "cancelled"],
      timeoutMs: ["0", "1000", "30000", "30001", "-1", "1.5", "1e3"]
    }
  },
  {
    route: "GET /v1/orders/{orderId}/events",
    as: "customer",
    params: (w) => ({ orderId: [w.ids.order] }),
    // The world's order is settled: its stream is one event and the end, or 204 for a client that saw it.
    headers: (r) =>
      r.chance(0.6)
        ? {
            "last-event-id": r.pick([
              "1",
              "2",
              "4",
              "0",
              "99",
              "",
              " ",
              "x",
              "-1",
              "1e1",
              "' OR 1=1 --",
              "x".repeat(5000)
            ])
          }
        : {}
  },
  {
    route: "POST /v1/orders/{orderId}/refund",
    as: "customer",
    params: (w) => ({ orderId: [w.ids.order] }),
    // Never the order's own valid tickets: a refund that goes through is not what is being fuzzed here.
    body: fc.array(fc.uuid(), { minLength: 1, maxLength: 3 }).map((ticketIds) => ({ ticketIds })),
    headers: idempotencyKey,
    views: ["orders"]
  },
  {
    route: "GET /v1/events/{eventId}/orders/{orderId}",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.event], orderId: [w.ids.order] })
  },
  {
    route: "POST /v1/events/{eventId}/orders/{orderId}/refund",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.event], orderId: [w.ids.order] }),
    // Never the order's own valid tickets: a refund that goes through is not what is being fuzzed here.
    body: fc.array(fc.uuid(), { minLength: 1, maxLength: 3 }).map((ticketIds) => ({ ticketIds })),
    headers: idempotencyKey,
    views: ["orders"]
  },
  {
    route: "GET /v1/events/{eventId}/orders",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.event, w.ids.draft] }),
    query: () => ({ ...ORDER_FILTERS(), ...PAGE() })
  },
  {
    route: "GET /v1/events/{eventId}/orders.csv",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.event, w.ids.draft] }),
    query: ORDER_FILTERS
  },
  {
    route: "GET /v1/events/{eventId}/attendees",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.event, w.ids.draft] }),
    query: PAGE
  },
  {
    route: "GET /v1/events/{eventId}/attendees.csv",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.event, w.ids.draft] })
  },
  {
    route: "POST /v1/events/{eventId}/orders/{orderId}/confirmation",
    as: "organizer",
    params: (w) => ({ eventId: [w.ids.event], orderId: [w.ids.order] }),
    views: ["orders"]
  },
  {
    route: "POST /v1/orders/{orderId}/confirmation",
    as: "customer",
    params: (w) => ({ orderId: [w.ids.order] }),
    views: ["orders"]
  },
  { route: "GET /v1/tickets/{ticketId}", as: "customer", params: (w) => ({ ticketId: [w.ids.ticket] }) },
  { route: "GET /v1/tickets/{ticketId}/qr.svg", as: "customer", params: (w) => ({ ticketId: [w.ids.ticket] }) },
  {
    route: "PUT /v1/tickets/{ticketId}/attendee-name",
    as: "customer",
    params: (w) => ({ ticketId: [w.ids.ticket, w.ids.ticketToRefund] }),
    body: fc
      .oneof(
        fc.constant(null),
        fc.string({ maxLength: 120 }),
        fc.constantFrom("  Ada  Lovelace ", "x".repeat(101), "a\u0007b", "名前", "' OR 1=1 --")
      )
      .map((name) => ({ name })),
    views: ["orders"]
  },
  {
    route: "POST /v1/check-ins",
    as: "organizer",
    body: fc.record({ eventId: fc.uuid(), code: fc.string({ minLength: 1, maxLength: 200 }) }),
    shape: (body, w) => {
      if (body === null || typeof body !== "object") return body
      const code = String((body as { code: unknown }).code)
      // Forged variants of a real code: one character changed, truncated, another event's, padded.
      const real = w.codes.ticket
      const variants = [
        real,
        `${real.slice(0, -2)}xx`,
        real.slice(0, 20),
        real.replace("GT1", "GT2"),
        `${real}.`,
        `${real}${code}`,
        code
      ]
      return { ...body, code: variants[code.length % variants.length] }
    },
    views: ["orders"]
  },
  { route: "POST /v1/payments/webhook", as: "anonymous", custom: signedWebhook, views: ["orders"] },
  {
    route: "POST /v1/organizer/webhooks",
    as: "organizer",
    body: wellFormed(RegisterWebhookRequest),
    views: ["webhooks"]
  },
  { route: "GET /v1/organizer/webhooks", as: "organizer" },
  {
    route: "DELETE /v1/organizer/webhooks/{webhookId}",
    as: "organizer",
    params: (w) => ({ webhookId: [w.ids.webhookToDelete] }),
    views: ["webhooks"]
  },
  {
    route: "POST /v1/organizer/api-keys",
    as: "organizer",
    body: wellFormed(CreateApiKeyRequest),
    views: ["mine"]
  },
  { route: "GET /v1/organizer/api-keys", as: "organizer" },
  {
    route: "DELETE /v1/organizer/api-keys/{keyId}",
    as: "organizer",
    params: (w) => ({ keyId: [w.ids.apiKeyToRevoke] }),
    views: ["mine"]
  },
  {
    route: "GET /v1/organizer/webhooks/{webhookId}/deliveries",
    as: "organizer",
    params: (w) => ({ webhookId: [w.ids.webhook] }),
    query: PAGE
  },
  {
    route: "GET /v1/admin/audit",
    as: "admin",
    query: () => ({
      eventId: [crypto.randomUUID()],
      action: ["event.published"],
      resourceType: ["event"],
      resourceId: ["x"],
      actorId: [crypto.randomUUID()],
      from: INSTANTS,
      to: INSTANTS,
      ...PAGE()
    })
  },
  {
    route: "GET /v1/admin/dead-letters/{consumer}",
    as: "admin",
    params: () => ({ consumer: ["notifications", "sales-stats", "organizer-webhooks"] })
  },
  {
    route: "POST /v1/admin/dead-letters/{consumer}/replay",
    as: "admin",
    params: () => ({ consumer: ["notifications", "sales-stats"] }),
    body: wellFormed(ReplayRequest)
  },
  { route: "GET /v1/admin/service-keys", as: "admin" },
  { route: "POST /v1/admin/service-keys", as: "admin", body: wellFormed(CreateServiceKeyRequest) },
  {
    route: "DELETE /v1/admin/service-keys/{serviceKeyId}",
    as: "admin",
    params: (w) => ({ serviceKeyId: [w.ids.serviceKeyToRevoke] })
  }
]

// ---------------------------------------------------------------------------------------------------------------
// The run

type FuzzWorld = SecurityWorld & { readonly holder: Account; readonly leaver: Account; readonly pools: Pools }

class World extends Context.Service<World, FuzzWorld>()("security/FuzzWorld") {}

const WorldLive = Layer.effect(
  World,
  Effect.gen(function* () {
    const api = yield* client
    const w = yield* buildWorld(api)
    const holder = yield* api.account("customer", "fuzz-holder")
    const leaver = yield* api.account("customer", "fuzz-leaver")
    const pools: Pools = {
      emails: [
        w.customer.email,
        w.otherCustomer.email,
        w.colleague.email,
        "nobody@example.com",
        w.customer.email.toUpperCase()
      ],
      urls: [
        "http://127.0.0.1:9/hooks",
        "https://example.com/hooks",
        "http://example.com/hooks",
        "https://169.254.169.254/latest",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "http://[::1]:9/x",
        "https://user:pw@example.com/",
        "https://example.com/#frag"
      ],
      codes: [w.codes.ticket],
      refreshTokens: [`gtr_${"A".repeat(43)}`, "gtr_", "x"],
      eventIds: [w.ids.event, w.ids.draft, w.ids.sideEvent, w.ids.otherOrganizerEvent],
      ticketTypeIds: [w.ids.ticketType, w.ids.draftTicketType]
    }
    return { ...w, holder, leaver, pools }
  })
)

const Server = WorldLive.pipe(
  Layer.provideMerge(TestServerLive({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password }))
)

/** Tables that background work changes on its own (relay, consumers, webhook deliveries, workflow engine, audit). */
const BACKGROUND_TABLE =
  /^(outbox|outbox_slots|inbox|event_sales|webhook_deliveries|audit.*|cluster_.*|effect_sql_migrations)$/

/**
 * What a refused request must leave as it was: a digest of every domain table of the database (all rows of every
 * table but those background work writes to on its own, and the number of domain events written), and the owners'
 * views the target names, read through the API.
 */
const stateProbe = (api: Api, w: FuzzWorld) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
    const tables = (yield* sql<{ name: string }>`
      SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`)
      .map((t) => t.name)
      .filter((name) => !BACKGROUND_TABLE.test(name))
    const digestQuery = [
      ...tables.map(
        (t) =>
          `SELECT '${t}' AS name, count(*)::int AS rows, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS digest FROM "${t}" x`
      ),
      // Every change of state writes a domain event: count them (the relay updates, never inserts).
      "SELECT 'outbox' AS name, count(*)::int AS rows, '' AS digest FROM outbox"
    ].join(" UNION ALL ")
    const digest = () => run(sql.unsafe<{ name: string; rows: number; digest: string }>(digestQuery))
    const as = (token: string) => (path: string) =>
      run(api.call("GET", path, { token })).then((r) => ({ path, status: r.status, body: r.body }))
    const asOrganizer = as(w.organizer.token)
    const asCustomer = as(w.customer.token)
    const views: Record<View, () => Promise<unknown>> = {
      events: () =>
        Promise.all(
          [w.ids.event, w.ids.draft, w.ids.sideEvent, w.ids.publishTarget, w.ids.cancelTarget].flatMap((id) => [
            asOrganizer(`/v1/events/${id}`),
            asOrganizer(`/v1/events/${id}/seats`),
            asOrganizer(`/v1/events/${id}/staff`)
          ])
        ),
      mine: () => asOrganizer("/v1/organizer/events?limit=100"),
      holds: () =>
        Promise.all([
          asCustomer(`/v1/reservations/${w.ids.hold}`),
          asCustomer(`/v1/reservations/${w.ids.holdToRelease}`),
          asOrganizer(`/v1/events/${w.ids.event}`)
        ]),
      orders: () =>
        Promise.all([
          asCustomer("/v1/orders?limit=100"),
          asCustomer(`/v1/tickets/${w.ids.ticket}`),
          as(w.holder.token)("/v1/orders?limit=100")
        ]),
      webhooks: () => asOrganizer("/v1/organizer/webhooks"),
      accounts: () => Promise.all([asCustomer("/v1/me"), as(w.leaver.token)("/v1/me")])
    }
    return {
      tables,
      snapshot: async (names: ReadonlyArray<View>) => ({
        database: await digest(),
        views: await Promise.all(names.map((v) => views[v]()))
      })
    }
  })

const templateOf = (route: string) => route.split(" ")[1] as string
const methodOf = (route: string) => route.split(" ")[0] as string

describe("fuzzing every endpoint with hostile input", () => {
  layer(Server, { timeout: "180 seconds", excludeTestServices: true })("", (it) => {
    it.effect("has a target for every endpoint of the OpenAPI document", () =>
      Effect.gen(function* () {
        const api = yield* client
        const spec = yield* api.call("GET", "/openapi.json")
        const documented: Array<string> = []
        for (const [path, item] of Object.entries(spec.body.paths as Record<string, Record<string, unknown>>))
          for (const method of Object.keys(item))
            if (["get", "put", "post", "patch", "delete"].includes(method))
              documented.push(`${method.toUpperCase()} ${path}`)
        const targeted = new Set(TARGETS.map((t) => t.route))
        expect(
          documented.filter((route) => !targeted.has(route)),
          "endpoints without a fuzz target"
        ).toEqual([])
      })
    )

    it.effect("the state probe sees what a request changes, so that 'unchanged' means something", () =>
      Effect.gen(function* () {
        const api = yield* client
        const w = yield* World
        const probe = yield* stateProbe(api, w)
        expect(probe.tables).toEqual(
          expect.arrayContaining(["users", "events", "ticket_types", "seats", "event_staff", "reservations", "orders"])
        )
        expect(probe.tables).toEqual(
          expect.arrayContaining(["tickets", "refunds", "idempotency_keys", "webhook_endpoints"])
        )
        const read = () => Effect.promise(() => probe.snapshot(["webhooks"]))
        let before = yield* read()
        for (let i = 0; i < 40; i++) {
          yield* Effect.sleep("150 millis")
          const again = yield* read()
          if (JSON.stringify(again) === JSON.stringify(before)) break
          before = again
        }
        const registered = yield* api.call("POST", "/v1/organizer/webhooks", {
          token: w.organizer.token,
          body: { url: "http://127.0.0.1:9/probe", eventTypes: ["OrderConfirmed"] }
        })
        expect(registered.status).toBe(201)
        const after = yield* read()
        expect(after.database).not.toEqual(before.database)
        expect(after.views).not.toEqual(before.views)
        yield* api.call("DELETE", `/v1/organizer/webhooks/${registered.body.id}`, { token: w.organizer.token })
      })
    )

    describe("inputs the fuzzer found, as fixed examples", () => {
      const expectJsonRefusal = (reply: { status: number; body: unknown }, statuses: ReadonlyArray<number>) => {
        expect(statuses, JSON.stringify(reply.body)).toContain(reply.status)
        expect(reply.body).toMatchObject({ _tag: expect.any(String), message: expect.any(String) })
      }

      it.effect("a body sent as multipart/form-data that is not multipart is refused with a 4xx, not a 500", () =>
        Effect.gen(function* () {
          const api = yield* client
          const w = yield* World
          const body = JSON.stringify({ email: w.customer.email, password: w.customer.password })
          for (const contentType of ["multipart/form-data; boundary=xyz", "multipart/form-data"]) {
            const login = yield* api.call("POST", "/v1/auth/login", {
              headers: { "content-type": contentType },
              rawBody: body
            })
            expectJsonRefusal(login, [400, 415])
            const hold = yield* api.call("POST", "/v1/reservations", {
              token: w.holder.token,
              headers: { "content-type": contentType, "idempotency-key": crypto.randomUUID() },
              rawBody: JSON.stringify({
                eventId: w.ids.event,
                items: [{ ticketTypeId: w.ids.ticketType, quantity: 1 }]
              })
            })
            expectJsonRefusal(hold, [400, 415])
          }
        })
      )

      it.effect("JSON nested 10,000 levels deep is refused with a 400, not a 500", () =>
        Effect.gen(function* () {
          const api = yield* client
          const w = yield* World
          const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`
          for (const rawBody of [deep(10_000), `{"eventId":${deep(10_000)}}`]) {
            const reply = yield* api.call("POST", "/v1/reservations", {
              token: w.holder.token,
              headers: { "idempotency-key": crypto.randomUUID() },
              rawBody
            })
            expectJsonRefusal(reply, [400])
          }
        })
      )

      it.effect("a NUL character in a text field is refused with a 4xx, not a 500", () =>
        Effect.gen(function* () {
          const api = yield* client
          const w = yield* World
          const sandbox = yield* InProcessSandbox
          const secret = Option.match(sandbox, { onNone: () => "", onSome: (s) => s.webhookSecret })
          const fresh = `nul-${crypto.randomUUID().slice(0, 8)}`
          const replies = {
            registerName: yield* api.call("POST", "/v1/auth/register", {
              body: {
                email: `${fresh}@example.com`,
                password: "a-long-password",
                name: "Ada\u0000",
                accountType: "customer"
              }
            }),
            registerEmail: yield* api.call("POST", "/v1/auth/register", {
              body: {
                email: `${fresh}\u0000@example.com`,
                password: "a-long-password",
                name: "Ada",
                accountType: "customer"
              }
            }),
            loginEmail: yield* api.call("POST", "/v1/auth/login", {
              body: { email: `${fresh}\u0000@example.com`, password: "a-long-password" }
            }),
            eventTitle: yield* api.call("POST", "/v1/events", {
              token: w.organizer.token,
              body: { title: "Night\u0000", venue: { name: "Hall", timezone: "UTC" }, startsAt: "2030-01-01T20:00:00Z" }
            }),
            eventDescription: yield* api.call("PATCH", `/v1/events/${w.ids.sideEvent}`, {
              token: w.organizer.token,
              body: { description: "doors\u0000open" }
            }),
            search: yield* api.call("GET", "/v1/events?q=night%00"),
            signedWebhook: yield* Effect.suspend(() => {
              const payload = JSON.stringify({
                id: "evt_\u0000",
                type: "payment_intent.processing",
                createdAt: new Date().toISOString(),
                data: { intentId: "pi_1", reference: crypto.randomUUID(), amountMinor: 100, declineCode: null }
              })
              const signature = signatureHeader(secret, payload, Math.floor(Date.now() / 1000))
              return api.call("POST", "/v1/payments/webhook", {
                rawBody: payload,
                headers: { "sandbox-signature": signature }
              })
            })
          }
          const statuses = Object.fromEntries(
            Object.entries(replies).map(([k, r]) => [k, r.status < 500 ? "4xx" : r.status])
          )
          expect(statuses).toEqual(Object.fromEntries(Object.keys(replies).map((k) => [k, "4xx"])))
          for (const reply of Object.values(replies)) expectJsonRefusal(reply, [400, 401, 422])
        })
      )

      it.effect("a lone surrogate in a text field is refused with a 4xx, not a 500", () =>
        Effect.gen(function* () {
          const api = yield* client
          const w = yield* World
          // JSON.stringify writes a lone surrogate as "\\ud800", which PostgreSQL's json type refuses.
          const replies = {
            loginDomain: yield* api.call("POST", "/v1/auth/login", {
              body: { email: "ada@exa\ud800mple.com", password: "a-long-password" }
            }),
            eventTitle: yield* api.call("POST", "/v1/events", {
              token: w.organizer.token,
              body: { title: "Night\ud800", venue: { name: "Hall", timezone: "UTC" }, startsAt: "2030-01-01T20:00:00Z" }
            }),
            ticketTypeName: yield* api.call("POST", `/v1/events/${w.ids.draft}/ticket-types`, {
              token: w.organizer.token,
              body: { name: "Stalls\udfff", priceMinor: 100, currency: "EUR", capacity: 1 }
            })
          }
          const statuses = Object.fromEntries(
            Object.entries(replies).map(([k, r]) => [k, r.status < 500 ? "4xx" : r.status])
          )
          expect(statuses).toEqual(Object.fromEntries(Object.keys(replies).map((k) => [k, "4xx"])))
          for (const reply of Object.values(replies)) expectJsonRefusal(reply, [400, 401, 422])
        })
      )

      it.effect("an e-mail address longer than 254 characters once lower-cased is refused with a 4xx, not a 500", () =>
        Effect.gen(function* () {
          const api = yield* client
          // "İ" is one character that lower-cases to two ("i" and a combining dot): 245 characters become 485.
          const email = `${"İ".repeat(240)}@x.io`
          const reply = yield* api.call("POST", "/v1/auth/register", {
            body: { email, password: "a-long-password", name: "Long", accountType: "customer" }
          })
          expectJsonRefusal(reply, [400, 422])
        })
      )

      it.effect(
        "an overlong request target is a JSON refusal: 414 past 8 KiB, also where Node's parser refuses it",
        () =>
          Effect.gen(function* () {
            const api = yield* client
            expectJsonRefusal(yield* api.call("GET", `/v1/events?q=${"a".repeat(9_000)}`), [414])
            for (const length of [17_000, 40_000]) {
              const reply = yield* api.call("GET", `/v1/events?q=${"a".repeat(length)}`)
              expectJsonRefusal(reply, [414])
            }
          })
      )
    })

    for (const target of TARGETS)
      it.effect(
        `${target.route}: never 5xx, JSON errors, refusals change nothing`,
        () =>
          Effect.gen(function* () {
            const api = yield* client
            const w = yield* World
            const sandbox = yield* InProcessSandbox
            const secret = Option.match(sandbox, { onNone: () => "", onSome: (s) => s.webhookSecret })
            const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

            const probe = yield* stateProbe(api, w)
            const tokenOf = (caller: Caller) =>
              caller === "anonymous"
                ? undefined
                : caller === "holder"
                  ? w.holder.token
                  : caller === "leaver"
                    ? w.leaver.token
                    : w[caller].token
            const mutating = methodOf(target.route) !== "GET"
            const snapshot = async () => (mutating ? probe.snapshot(target.views ?? []) : undefined)
            /**
             * After a success: wait for whatever it started in the background (sagas, the events' consumers) to
             * settle: the same state three reads in a row, 200 ms apart (a loaded machine can leave one quiet gap).
             */
            const settled = async () => {
              let previous = JSON.stringify(await snapshot())
              let same = 0
              for (let i = 0; i < 60; i++) {
                await new Promise((resolve) => setTimeout(resolve, 200))
                const current = JSON.stringify(await snapshot())
                same = current === previous ? same + 1 : 0
                if (same === 2) return JSON.parse(current) as unknown
                previous = current
              }
              throw new Error("the state never settled after a successful call")
            }

            const prototypeKeys = () => [
              ...Object.getOwnPropertyNames(Object.prototype),
              ...Object.getOwnPropertyNames(Array.prototype)
            ]
            const cleanPrototype = JSON.stringify(prototypeKeys())

            const params = target.params?.(w) ?? {}
            const query = typeof target.query === "function" ? target.query() : target.query
            const bodyArbitrary = target.body ?? fc.constant(undefined)
            // Start from a settled state: the world's own payments may still be finishing in the background.
            let state = mutating ? settled() : Promise.resolve(undefined)

            const property = fc.asyncProperty(fc.integer(), bodyArbitrary, async (seed, generated) => {
              const r = prng(seed)
              const path = templateOf(target.route).replace(/\{(\w+)\}/g, (_, name: string) =>
                segment(params[name] ?? [], r)
              )
              const search = query ? hostileQuery(query, r) : r.chance(0.1) ? r.pick(RAW_QUERIES) : ""
              let body: Body | undefined
              let headers: Record<string, string> = { ...(target.headers?.(r) ?? {}) }
              if (target.custom) {
                const custom = target.custom(r, w, secret)
                body = custom.body
                headers = { ...headers, ...custom.headers }
              } else if (target.body) {
                const shaped = target.shape ? target.shape(generated, w) : generated
                body = hostileBody(realistic(shaped, r, w.pools), r)
              } else if (methodOf(target.route) !== "GET" && r.chance(0.2))
                body = hostileBody(bare({ unexpected: hostileValue(r) }), r)
              const token = tokenOf(target.as)
              if (token !== undefined) headers.authorization = `Bearer ${token}`
              if (body?.contentType !== undefined) headers["content-type"] = body.contentType
              const url = `${api.base}${path}${search === "" ? "" : `?${search}`}`
              const method = methodOf(target.route)

              const before = await state
              let status: number
              let text: string
              try {
                const response = await fetch(url, {
                  method,
                  headers,
                  signal: AbortSignal.timeout(15_000),
                  ...(body === undefined ? {} : { body: body.bytes ?? body.text })
                })
                status = response.status
                text = await response.text()
              } catch (error) {
                throw new Error(`${method} ${url.slice(0, 300)}: no answer (${String(error)})`)
              }
              const { authorization: _, ...otherHeaders } = headers
              const shown = [
                `${method} ${url.slice(0, 300)} as ${target.as}`,
                `headers=${JSON.stringify(otherHeaders).slice(0, 300)}`,
                `body=${JSON.stringify(body?.text ?? (body?.bytes ? [...body.bytes] : null)).slice(0, 400)}`,
                `→ ${status} ${text.slice(0, 400)}`
              ].join(" ")

              if (status >= 500) throw new Error(`server error: ${shown}`)
              if (status >= 400) {
                let parsed: { _tag?: unknown; message?: unknown } | undefined
                try {
                  parsed = JSON.parse(text)
                } catch {}
                if (typeof parsed?._tag !== "string" || typeof parsed?.message !== "string")
                  throw new Error(`a refusal without a JSON _tag and message: ${shown}`)
                const after = await snapshot()
                if (JSON.stringify(after) !== JSON.stringify(before)) {
                  expect(after, `a refused request changed the state: ${shown}`).toEqual(before)
                }
              } else if (mutating) {
                if (target.cleanup) await run(target.cleanup(JSON.parse(text), w, api))
                state = settled()
              }
              if (
                JSON.stringify(prototypeKeys()) !== cleanPrototype ||
                ({} as Record<string, unknown>).polluted !== undefined
              )
                throw new Error(`the server's prototypes were polluted: ${shown}`)
            })
            yield* Effect.promise(() =>
              fc.assert(property, {
                numRuns: RUNS,
                ...(SEED === undefined ? {} : { seed: SEED }),
                endOnFailure: !SHRINK,
                interruptAfterTimeLimit: 120_000
              })
            )
            // The last success's settling may still be reading the database: let it end before the server does.
            yield* Effect.promise(() => state)
          }),
        180_000
      )
  })
})
