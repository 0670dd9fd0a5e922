import { Effect } from "effect"
import type { UserId } from "../../domain/shared/Ids.ts"

/**
 * Takes one of a caller's open-stream slots in `counts` until the scope closes (or the returned release runs first;
 * releasing twice gives back one slot). Shared by the order status feeds and the gateway's remote ones.
 */
export const takeStreamSlot = (counts: Map<UserId, number>, userId: UserId) =>
  Effect.gen(function* () {
    counts.set(userId, (counts.get(userId) ?? 0) + 1)
    let held = true
    const release = Effect.sync(() => {
      if (!held) return
      held = false
      const left = (counts.get(userId) ?? 1) - 1
      if (left <= 0) counts.delete(userId)
      else counts.set(userId, left)
    })
    yield* Effect.addFinalizer(() => release)
    return release
  })
