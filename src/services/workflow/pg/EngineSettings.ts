import { Context, Duration } from "effect"

/** How the engine runs in this process. */
export interface EngineSettingsShape {
  /** This runner's name: stable across restarts, so a restarted process takes its executions back at once. */
  readonly owner: string
  /** How long an execution stays with its runner without a renewal (a dead runner's executions wait this long). */
  readonly lease: Duration.Duration
  /** How often due clocks and executions left without a runner are looked for. */
  readonly pollInterval: Duration.Duration
}

export class EngineSettings extends Context.Service<EngineSettings, EngineSettingsShape>()(
  "goticket/workflow/EngineSettings"
) {}

/** How long a request that starts a saga waits for its run to be claimed (it goes on in the background after that). */
export const STARTING_AT_MOST = Duration.seconds(2)
