import { Effect, Option } from "effect"

/**
 * Within one process, one run per key at a time: a second caller while the first still runs gets None at once (a
 * duplicate delivery of the same event), the key being free again once the first is over.
 */
export const inFlightOnce = () => {
  const running = new Set<string>()
  return <A, E, R>(key: string, effect: Effect.Effect<Option.Option<A>, E, R>): Effect.Effect<Option.Option<A>, E, R> =>
    Effect.suspend(() => {
      if (running.has(key)) return Effect.succeed(Option.none())
      running.add(key)
      return Effect.ensuring(
        effect,
        Effect.sync(() => running.delete(key))
      )
    })
}
