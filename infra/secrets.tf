# Every secret the tasks need lives in one Secrets Manager secret (a JSON object), injected by ECS at start as
# environment variables: none is a plain variable, none appears in a task definition.

resource "random_password" "jwt" {
  length  = 64
  special = false
}

resource "random_password" "payment_webhook" {
  length  = 48
  special = false
}

resource "aws_secretsmanager_secret" "app" {
  name                    = "${local.name}/app"
  description             = "GoTicket connection strings and signing secrets"
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "app" {
  secret_id = aws_secretsmanager_secret.app.id
  secret_string = jsonencode({
    DATABASE_URL           = "postgres://goticket:${random_password.db.result}@${aws_db_instance.main.address}:5432/goticket?sslmode=require"
    REDIS_URL              = "rediss://:${random_password.redis.result}@${aws_elasticache_replication_group.redis.primary_endpoint_address}:6379"
    AMQP_URL               = "amqps://goticket:${random_password.mq.result}@${replace(aws_mq_broker.rabbitmq.instances[0].endpoints[0], "amqps://", "")}"
    JWT_SECRET             = random_password.jwt.result
    PAYMENT_WEBHOOK_SECRET = random_password.payment_webhook.result
  })
}

# Set by hand after the first apply (the provider's URL and keys, SMTP credentials):
#   aws secretsmanager put-secret-value --secret-id goticket-prod/external --secret-string '{"PAYMENT_PROVIDER_URL":"...","SMTP_URL":"..."}'
resource "aws_secretsmanager_secret" "external" {
  name                    = "${local.name}/external"
  description             = "GoTicket third-party settings: payment provider, SMTP"
  recovery_window_in_days = 7
}
