import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Logger, Option } from "effect"
import { gracefulTeardown, RepositoriesPg, ServicesLive } from "../src/Application.ts"
import { PublicBaseUrl } from "../src/services/accounts/PublicBaseUrl.ts"
import { DEMO_ORGANIZER_EMAIL, seedDemo } from "../src/services/seed/DemoSeed.ts"
import { DatabaseLive } from "../src/services/sql/Database.ts"

// `npm run seed`: creates the demo organizer and its published event (GA + seated), unless they exist.
seedDemo.pipe(
  Effect.tap((created) =>
    Option.isSome(created)
      ? Effect.void
      : Effect.logInfo(`the demo organizer ${DEMO_ORGANIZER_EMAIL} already exists; nothing to do`)
  ),
  Effect.provide(
    ServicesLive.pipe(
      Layer.provideMerge(PublicBaseUrl.withoutServer),
      Layer.provideMerge(RepositoriesPg),
      Layer.provide(DatabaseLive)
    )
  ),
  Effect.provide(Logger.layer([Logger.consoleJson])),
  NodeRuntime.runMain({ teardown: gracefulTeardown })
)
