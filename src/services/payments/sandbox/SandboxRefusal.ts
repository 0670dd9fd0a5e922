import { Data } from "effect"
import type { PaymentIntent } from "../../../domain/payments/PaymentGateway.ts"

/** Why an operation was refused; `status` is the HTTP status the sandbox server answers with. */
export class SandboxRefusal extends Data.TaggedError("SandboxRefusal")<{
  readonly status: 400 | 401 | 403 | 404 | 409
  readonly code: string
  readonly message: string
  /** The intent as it is, when the refusal is about its state (lets a caller see what happened instead). */
  readonly intent?: PaymentIntent | undefined
}> {}
