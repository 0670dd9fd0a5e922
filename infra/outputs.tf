output "alb_dns_name" {
  description = "DNS name of the ALB: point the public hostname (CNAME/alias) at it"
  value       = aws_lb.api.dns_name
}

output "ecs_cluster" {
  description = "ECS cluster name (the deploy job updates its services)"
  value       = aws_ecs_cluster.main.name
}

output "ecs_services" {
  description = "ECS service names per role"
  value       = { for role, service in aws_ecs_service.role : role => service.name }
}

output "private_subnet_ids" {
  description = "Private subnets (for one-off tasks such as migrations)"
  value       = aws_subnet.private[*].id
}

output "tasks_security_group_id" {
  description = "Security group of the tasks (for one-off tasks such as migrations)"
  value       = aws_security_group.tasks.id
}

output "db_endpoint" {
  description = "RDS PostgreSQL endpoint (private)"
  value       = aws_db_instance.main.address
}

output "app_secret_arn" {
  description = "Secrets Manager secret holding the connection strings and signing secrets"
  value       = aws_secretsmanager_secret.app.arn
}

output "external_secret_arn" {
  description = "Secrets Manager secret to fill with PAYMENT_PROVIDER_URL and SMTP_URL"
  value       = aws_secretsmanager_secret.external.arn
}
