import { NodeRuntime } from "@effect/platform-node"
import { Layer } from "effect"
import { ApplicationLive } from "./Application.ts"

// SIGTERM/SIGINT interrupt the main fiber: the HTTP server stops accepting and drains, then pools close.
Layer.launch(ApplicationLive).pipe(NodeRuntime.runMain({ disablePrettyLogger: true }))
