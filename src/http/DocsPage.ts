import { Effect, Layer } from "effect"
import { HttpRouter } from "effect/http"
import { HttpApiScalar } from "effect/http-api"
import { GoTicketApi } from "./api/GoTicketApi.ts"

/**
 * `GET /docs`: the API reference page (Scalar, inlined, so that it works without a CDN), built at its first request
 * rather than at start-up. HttpApiScalar.layer loads the 5 MB Scalar script when the layer is built: in every
 * process, for a page most processes never serve, it held ~15 MB of heap (the module's source and the script as a
 * string, in a heap snapshot of a process under load). The first request pays the load (well under a second), the
 * rest are served from the page built then.
 */
export const DocsPageLive = HttpRouter.use((router) =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    // A router of its own (the application's already has its routes): the Scalar layer adds /docs to it.
    const page = yield* Effect.cached(
      Effect.gen(function* () {
        const docs = yield* HttpRouter.make
        yield* Layer.buildWithScope(HttpApiScalar.layer(GoTicketApi, { path: "/docs" }), scope).pipe(
          Effect.provideService(HttpRouter.HttpRouter, docs)
        )
        return docs.asHttpEffect()
      })
    )
    yield* router.add("GET", "/docs", Effect.flatten(page))
  })
)
