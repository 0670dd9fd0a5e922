import { Effect, Redacted } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import { SecurityTokenRejected } from "../../domain/accounts/securityErrors.ts"
import { AccountSettings } from "../../services/accounts/AccountSettings.ts"
import type { IssuedTokens } from "../../services/accounts/Accounts.ts"
import type { AttemptsPaused } from "../../services/accounts/PasswordCheck.ts"
import { PasswordRecovery } from "../../services/accounts/PasswordRecovery.ts"
import { TwoFactorAuth } from "../../services/accounts/TwoFactorAuth.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import { enforceRate } from "./rateLimits.ts"
import { userView } from "./views.ts"

export const accessTokenView = (tokens: IssuedTokens) => ({
  accessToken: tokens.accessToken,
  tokenType: "Bearer" as const,
  expiresIn: tokens.expiresIn,
  refreshToken: Redacted.value(tokens.refreshToken),
  refreshExpiresIn: tokens.refreshExpiresIn
})

/** Too many wrong passwords or codes for the account: 429 with Retry-After, as a paused login. */
const whenPaused = (paused: AttemptsPaused) =>
  Effect.andThen(enforceRate(paused.rated), Effect.die(new Error("a pause that allows the attempt")))

const resetRequested = {
  status: "reset_requested" as const,
  message:
    "If an account has this address, we have mailed it a link to choose a new password. It works once, for a limited time; check your inbox."
}

const confirmationSent = {
  status: "confirmation_sent" as const,
  message:
    "Check the inbox of the new address: follow the link we sent there to confirm it. Until then your account keeps its current address."
}

export const AccountRecoveryLive = HttpApiBuilder.group(GoTicketApi, "accountRecovery", (handlers) =>
  Effect.gen(function* () {
    const recovery = yield* PasswordRecovery
    const settings = yield* AccountSettings
    const twoFactor = yield* TwoFactorAuth
    return handlers
      .handle("requestPasswordReset", ({ payload }) =>
        recovery.requestReset(payload.email).pipe(Effect.as(resetRequested))
      )
      .handle("resetPassword", ({ payload }) =>
        recovery.resetPassword(Redacted.make(payload.token), Redacted.make(payload.newPassword))
      )
      .handle("confirmEmailChange", ({ payload }) =>
        settings.confirmEmailChange(Redacted.make(payload.token)).pipe(
          Effect.map(userView),
          // The account was erased meanwhile: its link is as good as withdrawn.
          Effect.catchTag("Unauthenticated", () => SecurityTokenRejected.because("email_change", "invalid"))
        )
      )
      .handle("completeTwoFactorLogin", ({ payload }) =>
        twoFactor
          .completeLogin(Redacted.make(payload.challengeToken), payload.code)
          .pipe(Effect.map(accessTokenView), Effect.catchTag("AttemptsPaused", whenPaused))
      )
  })
)

export const AccountSecurityLive = HttpApiBuilder.group(GoTicketApi, "accountSecurity", (handlers) =>
  Effect.gen(function* () {
    const settings = yield* AccountSettings
    const twoFactor = yield* TwoFactorAuth
    return handlers
      .handle("changePassword", ({ payload }) =>
        Effect.flatMap(CurrentActor, (actor) =>
          settings.changePassword(actor, Redacted.make(payload.currentPassword), Redacted.make(payload.newPassword))
        ).pipe(Effect.map(accessTokenView), Effect.catchTag("AttemptsPaused", whenPaused))
      )
      .handle("changeEmail", ({ payload }) =>
        Effect.flatMap(CurrentActor, (actor) =>
          settings.requestEmailChange(actor, payload.newEmail, Redacted.make(payload.password))
        ).pipe(Effect.as(confirmationSent), Effect.catchTag("AttemptsPaused", whenPaused))
      )
      .handle("twoFactorStatus", () => Effect.flatMap(CurrentActor, twoFactor.status))
      .handle("beginTwoFactorEnrolment", ({ payload }) =>
        Effect.flatMap(CurrentActor, (actor) => twoFactor.beginEnrolment(actor, Redacted.make(payload.password))).pipe(
          Effect.catchTag("AttemptsPaused", whenPaused)
        )
      )
      .handle("confirmTwoFactorEnrolment", ({ payload }) =>
        Effect.flatMap(CurrentActor, (actor) => twoFactor.confirmEnrolment(actor, payload.code)).pipe(
          Effect.catchTag("AttemptsPaused", whenPaused)
        )
      )
      .handle("disableTwoFactor", ({ payload }) =>
        Effect.flatMap(CurrentActor, (actor) =>
          twoFactor.disable(actor, Redacted.make(payload.password), payload.code)
        ).pipe(Effect.catchTag("AttemptsPaused", whenPaused))
      )
  })
)
