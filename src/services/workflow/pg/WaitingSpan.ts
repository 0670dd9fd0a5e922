import { Effect, Option } from "effect"

/**
 * A run about to suspend until the deferred `name` completes: the workflow library ends the run's span as
 * interrupted, so the span also says what it waits for (`goticket.workflow.waiting_for`), and a reader can tell a run
 * waiting for a payment from one that was cut off. Called from inside an engine call, whose parent span is the run's.
 */
export const markRunWaiting = (name: string) =>
  Effect.map(Effect.option(Effect.currentSpan), (current) => {
    const run = Option.isSome(current) ? current.value.parent : Option.none()
    if (Option.isSome(run) && run.value._tag === "Span") run.value.attribute("goticket.workflow.waiting_for", name)
  })
