import { Context, Schema } from "effect"
import { ApiKeyCaller } from "../organizerkeys/OrganizerApiKey.ts"
import { UserId } from "../shared/Ids.ts"
import { AccountType } from "./User.ts"

/** Who is calling: the authenticated principal, as proven by an access token. */
export class Actor extends Schema.Class<Actor>("Actor")({
  userId: UserId,
  accountType: AccountType,
  isAdmin: Schema.Boolean,
  /**
   * Present when the call was made with an organizer's API key rather than a person's token: the actor is then the
   * key's organizer (never an admin), limited to what the key allows, and the audit trail names the key.
   */
  apiKey: Schema.optionalKey(ApiKeyCaller)
}) {
  get isOrganizer(): boolean {
    return this.accountType === "organizer" || this.isAdmin
  }
}

/** The actor of the current request, provided by the authentication middleware. */
export class CurrentActor extends Context.Service<CurrentActor, Actor>()("goticket/CurrentActor") {}
