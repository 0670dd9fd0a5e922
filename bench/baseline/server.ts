/**
 * The peer: the same GA hold as the service, on the smallest usual Node stack (Fastify 5 + pg + ioredis + jose,
 * one process). Per request: JSON body validation, HS256 JWT check, a Redis sold-out flag GET, then one guarded
 * statement on its own tables (baseline_ticket_types / baseline_holds, created by bench/flash-sale.ts).
 * Env: PORT, DATABASE_URL, REDIS_URL, JWT_SECRET, POOL_MAX (16), REDIS_PREFIX, SOLD_OUT_FLAG_TTL_MS (2000).
 */
import { createSecretKey } from "node:crypto"
import Fastify from "fastify"
import { Redis } from "ioredis"
import { jwtVerify } from "jose"
import pg from "pg"

const env = (name: string, fallback?: string) => {
  const value = process.env[name] ?? fallback
  if (value === undefined) throw new Error(`${name} is required`)
  return value
}

const pool = new pg.Pool({ connectionString: env("DATABASE_URL"), max: Number(env("POOL_MAX", "16")) })
const redis = new Redis(env("REDIS_URL"))
const prefix = env("REDIS_PREFIX", "baseline:")
const soldOutTtlMs = Number(env("SOLD_OUT_FLAG_TTL_MS", "2000"))
// Imported once, as the service does: handing jose the raw secret would import it on every verify.
const key = createSecretKey(Buffer.from(env("JWT_SECRET"), "utf8"))

// The same one statement as bench/pgbench/hold.sql, prepared once per connection (a named statement).
const hold = {
  name: "hold",
  text: `WITH u AS (UPDATE baseline_ticket_types SET held = held + $2 WHERE id = $1 AND capacity - held - sold >= $2 RETURNING id)
         INSERT INTO baseline_holds (ticket_type_id, quantity) SELECT id, $2 FROM u`
}

interface HoldBody {
  readonly eventId: string
  readonly items: ReadonlyArray<{ readonly ticketTypeId: string; readonly quantity: number }>
}

const holdSchema = {
  headers: {
    type: "object",
    required: ["idempotency-key", "authorization"],
    properties: { "idempotency-key": { type: "string", minLength: 1, maxLength: 200 } }
  },
  body: {
    type: "object",
    additionalProperties: false,
    required: ["eventId", "items"],
    properties: {
      eventId: { type: "string", format: "uuid" },
      items: {
        type: "array",
        minItems: 1,
        maxItems: 1,
        items: {
          type: "object",
          additionalProperties: false,
          required: ["ticketTypeId", "quantity"],
          properties: {
            ticketTypeId: { type: "string", format: "uuid" },
            quantity: { type: "integer", minimum: 1, maximum: 4 }
          }
        }
      }
    }
  }
} as const

// Unknown fields are refused (Fastify's default would strip them) and every problem is reported, like the service.
const app = Fastify({
  logger: false,
  ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } }
})

app.get("/health/ready", async () => {
  await pool.query("SELECT 1")
  return { status: "ok" }
})

app.post<{ Body: HoldBody }>("/v1/reservations", { schema: holdSchema }, async (request, reply) => {
  const header = request.headers.authorization ?? ""
  const token = header.startsWith("Bearer ") ? header.slice(7) : ""
  try {
    const { payload } = await jwtVerify(token, key, {
      issuer: "goticket",
      audience: "goticket-api",
      algorithms: ["HS256"]
    })
    if (typeof payload.sub !== "string" || (payload.typ !== "customer" && payload.typ !== "organizer"))
      throw new Error("bad claims")
  } catch {
    return reply.code(401).send({ _tag: "Unauthenticated", message: "the access token is invalid" })
  }

  const item = request.body.items[0] as HoldBody["items"][number]
  const flag = `${prefix}soldout:${item.ticketTypeId}`
  if ((await redis.get(flag)) !== null)
    return reply.code(409).send({ code: "sold_out", ticketTypeId: item.ticketTypeId, message: "sold out" })

  const result = await pool.query({ ...hold, values: [item.ticketTypeId, item.quantity] })
  if (result.rowCount === 1) return reply.code(201).send({ ticketTypeId: item.ticketTypeId, tickets: item.quantity })
  await redis.set(flag, "1", "PX", soldOutTtlMs)
  return reply.code(409).send({ code: "sold_out", ticketTypeId: item.ticketTypeId, message: "sold out" })
})

const shutdown = async () => {
  await app.close()
  await Promise.allSettled([pool.end(), redis.quit()])
  process.exit(0)
}
process.once("SIGTERM", shutdown)
process.once("SIGINT", shutdown)

await app.listen({ host: "127.0.0.1", port: Number(env("PORT", "3001")) })
