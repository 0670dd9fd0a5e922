import { Context, Schema } from "effect"
import { UserId } from "../shared/Ids.ts"
import { AccountType } from "./User.ts"

/** Who is calling: the authenticated principal, as proven by an access token. */
export class Actor extends Schema.Class<Actor>("Actor")({
  userId: UserId,
  accountType: AccountType,
  isAdmin: Schema.Boolean
}) {
  get isOrganizer(): boolean {
    return this.accountType === "organizer" || this.isAdmin
  }
}

/** The actor of the current request, provided by the authentication middleware. */
export class CurrentActor extends Context.Service<CurrentActor, Actor>()("goticket/CurrentActor") {}
