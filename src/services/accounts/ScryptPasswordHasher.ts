import { randomBytes, scrypt, timingSafeEqual } from "node:crypto"
import { Config, Effect, Layer, Redacted, Semaphore } from "effect"
import { PasswordHasher } from "../../domain/accounts/PasswordHasher.ts"
import { validate } from "../config/validate.ts"

/** scrypt parameters: N=2^15, r=8, p=1 (~32 MiB, tens of ms per hash), stored with the hash so they can be raised. */
export interface ScryptParams {
  readonly n: number
  readonly r: number
  readonly p: number
}
export const PRODUCTION_PARAMS: ScryptParams = { n: 2 ** 15, r: 8, p: 1 }
const KEY_LENGTH = 32

const derive = (password: string, salt: Buffer, params: ScryptParams) =>
  Effect.callback<Buffer>((resume) => {
    scrypt(
      password,
      salt,
      KEY_LENGTH,
      { N: params.n, r: params.r, p: params.p, maxmem: 128 * params.n * params.r * 2 },
      (err, key) => resume(err ? Effect.die(err) : Effect.succeed(key))
    )
  })

/**
 * scrypt runs on libuv's thread pool (UV_THREADPOOL_SIZE, 4 by default), which file writes and DNS lookups share. A
 * burst of registrations or logins would queue hundreds of hashes there, and every mail written or sent behind them
 * (a registration's confirmation link) waited for the whole burst. At most this many hashes run at once, so a thread
 * is always left for the rest; with two cores or so, more at once would not hash faster anyway.
 */
export const concurrentHashes = (threadPoolSize = Number(process.env.UV_THREADPOOL_SIZE ?? 4) || 4) =>
  Math.max(1, threadPoolSize - 1)

/** Format: scrypt$N$r$p$salt(base64)$key(base64). */
export const makeScryptHasher = (params: ScryptParams, permits = Semaphore.makeUnsafe(concurrentHashes())) =>
  PasswordHasher.of({
    hash: (password) =>
      Effect.gen(function* () {
        const salt = randomBytes(16)
        const key = yield* permits.withPermits(1)(derive(Redacted.value(password), salt, params))
        return `scrypt$${params.n}$${params.r}$${params.p}$${salt.toString("base64")}$${key.toString("base64")}`
      }).pipe(Effect.withSpan("PasswordHasher.hash")),
    verify: (password, stored) =>
      Effect.gen(function* () {
        const [scheme, n, r, p, salt, key] = stored.split("$")
        if (scheme !== "scrypt" || !n || !r || !p || !salt || !key) return false
        const expected = Buffer.from(key, "base64")
        const actual = yield* permits.withPermits(1)(
          derive(Redacted.value(password), Buffer.from(salt, "base64"), { n: Number(n), r: Number(r), p: Number(p) })
        )
        return actual.length === expected.length && timingSafeEqual(actual, expected)
      }).pipe(Effect.withSpan("PasswordHasher.verify"))
  })

/** SCRYPT_LOG2_N sets the cost of new hashes (default 15; tests use 10). Existing hashes keep their own cost. */
export const ScryptPasswordHasher = Layer.effect(
  PasswordHasher,
  Effect.map(
    Config.Int("SCRYPT_LOG2_N").pipe(
      validate({ message: "SCRYPT_LOG2_N must be between 10 and 20", validation: (n) => n >= 10 && n <= 20 }),
      Config.withDefault(15)
    ),
    (log2n) => makeScryptHasher({ ...PRODUCTION_PARAMS, n: 2 ** log2n })
  )
)
