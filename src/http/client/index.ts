/** The typed client of the REST API, for TypeScript programs that call GoTicket (see README, "Typed client"). */
export { type GoTicketClient, type GoTicketClientOptions, makeGoTicketClient } from "./GoTicketClient.ts"
