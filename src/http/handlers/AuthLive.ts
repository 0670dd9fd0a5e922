import { Effect, Redacted } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import { AuditEntry, AuditLog, byAnonymous } from "../../domain/audit/AuditLog.ts"
import { maskEmail } from "../../domain/shared/Redaction.ts"
import { Accounts } from "../../services/accounts/Accounts.ts"
import { escapeHtml } from "../../services/notifications/MailFormat.ts"
import { LoginThrottle } from "../../services/security/LoginThrottle.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import { accessTokenView } from "./AccountSecurityLive.ts"
import { enforceRate } from "./rateLimits.ts"
import { userView } from "./views.ts"

const twoFactorChallengeView = (challenge: { challengeToken: Redacted.Redacted<string>; expiresIn: number }) =>
  HttpServerResponse.jsonUnsafe(
    {
      status: "two_factor_required" as const,
      challengeToken: Redacted.value(challenge.challengeToken),
      expiresIn: challenge.expiresIn,
      message:
        "Enter the code of your authenticator app (or a recovery code): POST it with this challengeToken to /v1/auth/login/two-factor"
    },
    { status: 202 }
  )

/** What registration (EMAIL_VERIFICATION=required) and resend answer, whatever the address: it tells nothing. */
const verificationSentView = {
  status: "verification_sent" as const,
  message:
    "Check your inbox: we have sent a mail to this address saying what to do next. To confirm a new account, follow the link in it; you can log in once the address is confirmed."
}

const confirmedText = "Your GoTicket account is ready: you can now log in with your email address and password."

/** JSON for a caller that asks for it and not for HTML; a browser (or a bare `curl`) gets the page. */
const wantsJson = (accept: string | undefined) =>
  accept?.includes("application/json") === true && !accept.includes("text/html")

/** The small page a person sees after following the mailed link (no token in it: a page has nowhere to keep one). */
const confirmationPage = (status: number, title: string, text: string) =>
  HttpServerResponse.text(
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body><h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(text)}</p></body></html>\n`,
    { status, contentType: "text/html; charset=utf-8", headers: { "cache-control": "no-store" } }
  )

export const AuthLive = HttpApiBuilder.group(GoTicketApi, "auth", (handlers) =>
  Effect.gen(function* () {
    const accounts = yield* Accounts
    const throttle = yield* LoginThrottle
    const audit = yield* AuditLog
    return handlers
      .handle("register", ({ payload }) =>
        accounts
          .register({ ...payload, password: Redacted.make(payload.password) })
          .pipe(Effect.map((outcome) => (outcome._tag === "Created" ? userView(outcome.user) : verificationSentView)))
      )
      .handle("verifyEmail", ({ payload }) =>
        accounts.verifyEmail(Redacted.make(payload.token)).pipe(Effect.map(accessTokenView))
      )
      .handle("followVerificationLink", ({ query }) =>
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          const confirmed = accounts.verifyEmail(Redacted.make(query.token))
          if (wantsJson(request.headers.accept)) return accessTokenView(yield* confirmed)
          return yield* confirmed.pipe(
            Effect.as(confirmationPage(200, "Your email address is confirmed", confirmedText)),
            Effect.catchTag("InvalidVerificationToken", (e) =>
              Effect.succeed(confirmationPage(400, "This link did not work", e.message))
            )
          )
        })
      )
      .handle("resendVerification", ({ payload }) =>
        accounts.resendVerification(payload.email).pipe(Effect.as(verificationSentView))
      )
      .handle("login", ({ payload }) =>
        Effect.gen(function* () {
          // A paused account (too many failed logins) is answered 429 before any password is checked.
          const allowed = yield* throttle.check(payload.email)
          if (!allowed.decision.allowed)
            yield* audit.record(
              new AuditEntry({
                ...byAnonymous,
                action: "auth.login_paused",
                outcome: "denied",
                resourceType: "user",
                resourceId: null,
                summary: { after: { login: maskEmail(payload.email) } }
              })
            )
          yield* enforceRate(allowed)
          const outcome = yield* accounts
            .login(payload.email, Redacted.make(payload.password))
            .pipe(Effect.tapErrorTag("InvalidCredentials", () => throttle.failed(payload.email)))
          // With two-factor on, the count is cleared only once the code is right too: a known password must not
          // buy a guesser of codes a fresh allowance.
          if (outcome._tag === "TwoFactorRequired") return twoFactorChallengeView(outcome)
          yield* throttle.succeeded(payload.email)
          return accessTokenView(outcome.tokens)
        })
      )
      .handle("refresh", ({ payload }) =>
        accounts.refresh(Redacted.make(payload.refreshToken)).pipe(Effect.map(accessTokenView))
      )
      .handle("logout", ({ payload }) => accounts.logout(Redacted.make(payload.refreshToken)))
  })
)

export const MeLive = HttpApiBuilder.group(GoTicketApi, "me", (handlers) =>
  Effect.gen(function* () {
    const accounts = yield* Accounts
    return handlers.handle("me", () => Effect.flatMap(CurrentActor, accounts.profile).pipe(Effect.map(userView)))
  })
)
