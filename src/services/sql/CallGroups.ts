import { Effect } from "effect"

/** What a grouped call answers its waiter: its own value, or `alone` (the group could not answer it: run it alone). */
export type GroupAnswer<B> = { readonly _tag: "Answered"; readonly value: B } | { readonly _tag: "Alone" }

const alone: GroupAnswer<never> = { _tag: "Alone" }

interface Waiter<A, B> {
  readonly item: A
  readonly resume: (answer: Effect.Effect<GroupAnswer<B>>) => void
}

interface Line<A, B> {
  running: number
  readonly waiting: Array<Waiter<A, B>>
}

/**
 * Calls that contend for the same thing (the holds of one ticket type all end on its row) grouped while they wait:
 * per key, up to `maxRunning` run at once; a call that finds them all running waits, and when one finishes the calls
 * waiting by then run together as one group (up to `maxGroup`), through `runGroup`. A call that finds a free slot runs
 * alone at once, in its own fiber, as it would without grouping: grouping costs nothing until there is a queue.
 *
 * Groups run in fibers of their own (`fork`), so a waiter may be interrupted at any time without leaving its group
 * unfinished or the slot taken. `runGroup` answers each item of its group in order; an item it answers `undefined`,
 * and every item of a group that failed, runs alone in its caller's fiber.
 *
 * Written here rather than taken from Effect's request batching (`RequestResolver`): that groups the requests of one
 * moment (a tick, a delay); this groups what queues behind a busy resource, so an idle one adds no wait.
 */
export const makeCallGroups = <A, B>(options: {
  readonly maxRunning: number
  readonly maxGroup: number
  readonly runGroup: (items: ReadonlyArray<A>) => Effect.Effect<ReadonlyArray<B | undefined>, unknown>
  readonly fork: (effect: Effect.Effect<void>) => void
}) => {
  const lines = new Map<string, Line<A, B>>()

  const finished = (key: string, line: Line<A, B>) => {
    line.running--
    if (line.waiting.length > 0) startGroup(key, line)
    else if (line.running === 0) lines.delete(key)
  }

  const startGroup = (key: string, line: Line<A, B>) => {
    const group = line.waiting.splice(0, options.maxGroup)
    line.running++
    options.fork(
      options.runGroup(group.map((w) => w.item)).pipe(
        Effect.matchCause({
          onFailure: () => {
            for (const w of group) w.resume(Effect.succeed(alone))
          },
          onSuccess: (values) =>
            group.forEach((w, i) => {
              const value = values[i]
              w.resume(Effect.succeed(value === undefined ? alone : { _tag: "Answered", value }))
            })
        }),
        Effect.ensuring(Effect.sync(() => finished(key, line)))
      )
    )
  }

  /** Runs `single` (the call alone) at once if `key` has a free slot, else waits to run `item` in a group. */
  const call = <E, R>(key: string, item: A, single: Effect.Effect<B, E, R>): Effect.Effect<B, E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        let line = lines.get(key)
        if (line === undefined) {
          line = { running: 0, waiting: [] }
          lines.set(key, line)
        }
        const own = line
        if (own.running < options.maxRunning && own.waiting.length === 0) {
          own.running++
          return Effect.ensuring(
            restore(single),
            Effect.sync(() => finished(key, own))
          )
        }
        const waited = Effect.callback<GroupAnswer<B>>((resume) => {
          const waiter: Waiter<A, B> = { item, resume }
          own.waiting.push(waiter)
          return Effect.sync(() => {
            const at = own.waiting.indexOf(waiter)
            if (at >= 0) own.waiting.splice(at, 1)
          })
        })
        return Effect.flatMap(restore(waited), (answer) =>
          answer._tag === "Answered" ? Effect.succeed(answer.value) : restore(single)
        )
      })
    )

  return { call }
}
