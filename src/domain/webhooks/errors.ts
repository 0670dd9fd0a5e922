import { Schema } from "effect"

/** No such endpoint, or not one of the caller's. */
export class WebhookNotFound extends Schema.TaggedError<WebhookNotFound>()("WebhookNotFound", {
  message: Schema.String
}) {
  static readonly forId = (webhookId: string) => new WebhookNotFound({ message: `No webhook with id ${webhookId}` })
}

/** The endpoint URL is not one we deliver to: not a URL, not HTTPS, or carrying credentials. */
export class InvalidWebhookUrl extends Schema.TaggedError<InvalidWebhookUrl>()("InvalidWebhookUrl", {
  message: Schema.String,
  url: Schema.String
}) {}

/** Some of the requested event types do not exist; `validTypes` lists those that do. */
export class UnknownEventType extends Schema.TaggedError<UnknownEventType>()("UnknownEventType", {
  message: Schema.String,
  unknown: Schema.Array(Schema.String),
  validTypes: Schema.Array(Schema.String)
}) {}
