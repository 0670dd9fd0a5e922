import type { PgClient } from "@effect/sql-pg"
import { Effect, Layer } from "effect"
import type { SqlClient } from "effect/sql"
import type { OrderRepository } from "../../domain/orders/OrderRepository.ts"
import type { OrderUpdates } from "../../domain/orders/OrderUpdates.ts"
import { DatabaseKind } from "../sql/Database.ts"
import { AnnouncingOrderRepository } from "./AnnouncingOrderRepository.ts"
import { OrderRepositoryPg } from "./OrderRepositoryPg.ts"
import { OrderUpdatesInProcess } from "./OrderUpdatesHub.ts"
import { OrderUpdatesPg } from "./OrderUpdatesPg.ts"

/**
 * The OrderRepository on PostgreSQL with its OrderUpdates, by database:
 * - a server: the repository as it is, and the LISTEN adapter (the triggers notify every process, whichever
 *   changed the order);
 * - the embedded PGlite (one process; its socket does not deliver NOTIFY): the repository announcing its own
 *   changes to the in-process adapter, after they commit.
 */
export const OrderRepositoryWithUpdates: Layer.Layer<
  OrderRepository | OrderUpdates,
  never,
  SqlClient.SqlClient | PgClient.PgClient | DatabaseKind
> = Layer.unwrap(
  Effect.gen(function* () {
    return (yield* DatabaseKind) === "server"
      ? Layer.merge(OrderRepositoryPg, OrderUpdatesPg)
      : AnnouncingOrderRepository.pipe(Layer.provide(OrderRepositoryPg), Layer.provideMerge(OrderUpdatesInProcess))
  })
)
