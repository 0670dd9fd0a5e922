/**
 * GoTicket's internal RPC contract: what a client needs and nothing of the server (no application service, no
 * database). Each group is one kind of caller's surface; `GoTicketRpcs` is all of them, as the server serves them.
 */
import { BookingRpcs } from "./Booking.ts"
import { DoorRpcs } from "./Door.ts"
import { GatewayRpcs } from "./Gateway.ts"
import { InventoryRpcs } from "./Inventory.ts"
import { OperationsRpcs } from "./Operations.ts"
import { SupportRpcs } from "./Support.ts"

export * from "./Booking.ts"
export * from "./Common.ts"
export * from "./Door.ts"
export * from "./Gateway.ts"
export * from "./Inventory.ts"
export * from "./Operations.ts"
export * from "./Support.ts"

export const GoTicketRpcs = InventoryRpcs.merge(BookingRpcs, DoorRpcs, SupportRpcs, OperationsRpcs, GatewayRpcs)
