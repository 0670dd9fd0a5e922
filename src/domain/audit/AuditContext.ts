import { Context } from "effect"

/**
 * Where the current action comes from, as far as the audit trail is concerned: the client's address and user agent
 * and the request id. The HTTP pipeline provides it for every request; background work (sagas, workers) runs with
 * the default, which records the action as the system's.
 */
export interface AuditOrigin {
  readonly ip: string | null
  readonly userAgent: string | null
  readonly requestId: string | null
}

export const AuditContext = Context.Reference<AuditOrigin>("goticket/AuditContext", {
  defaultValue: (): AuditOrigin => ({ ip: null, userAgent: null, requestId: null })
})
