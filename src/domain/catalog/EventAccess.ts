import type { Actor } from "../accounts/Actor.ts"
import type { Event } from "./Event.ts"

/** Organizers manage only their own events; admins manage all. */
export const canManage = (actor: Actor, event: Event): boolean => actor.isAdmin || event.organizerId === actor.userId

/** Drafts are visible to the people who manage them only. */
export const canView = (actor: Actor | undefined, event: Event): boolean =>
  event.status !== "draft" || (actor !== undefined && canManage(actor, event))
