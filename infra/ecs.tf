# One image, two roles: the API behind the ALB (ROLE=api) and the worker (dist/src/worker.js: outbox relay,
# consumers, webhook deliveries, hold expiry, payment reconciliation). Both run sagas.

resource "aws_ecs_cluster" "main" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${local.name}"
  retention_in_days = var.log_retention_days
}

locals {
  app_secret_keys      = ["DATABASE_URL", "REDIS_URL", "AMQP_URL", "JWT_SECRET", "PAYMENT_WEBHOOK_SECRET"]
  external_secret_keys = ["PAYMENT_PROVIDER_URL", "SMTP_URL"]

  secrets = concat(
    [for key in local.app_secret_keys : { name = key, valueFrom = "${aws_secretsmanager_secret.app.arn}:${key}::" }],
    [for key in local.external_secret_keys : { name = key, valueFrom = "${aws_secretsmanager_secret.external.arn}:${key}::" }],
  )

  environment = [
    { name = "NODE_ENV", value = "production" },
    { name = "LOG_FORMAT", value = "json" },
    { name = "PUBLIC_BASE_URL", value = var.public_base_url },
    { name = "OTEL_RESOURCE_ATTRIBUTES", value = "deployment.environment=${var.environment}" },
  ]

  roles = {
    api = {
      command = ["node", "--max-old-space-size=512", "--max-semi-space-size=32", "--no-allocation-site-pretenuring", "dist/src/main.js"]
      env     = [{ name = "ROLE", value = "api" }, { name = "OTEL_SERVICE_NAME", value = "goticket-api" }]
      count   = var.api_desired_count
      health  = "3000/health/ready"
    }
    worker = {
      command = ["node", "--max-old-space-size=512", "--max-semi-space-size=32", "--no-allocation-site-pretenuring", "dist/src/worker.js"]
      env     = [{ name = "OTEL_SERVICE_NAME", value = "goticket-worker" }]
      count   = var.worker_desired_count
      health  = "9464/health/live"
    }
  }
}

resource "aws_ecs_task_definition" "role" {
  for_each                 = local.roles
  family                   = "${local.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([{
    name                   = each.key
    image                  = var.image
    command                = each.value.command
    essential              = true
    readonlyRootFilesystem = false
    user                   = "node"
    portMappings           = each.key == "api" ? [{ containerPort = 3000, protocol = "tcp" }] : []
    environment            = concat(local.environment, each.value.env)
    secrets                = local.secrets
    stopTimeout            = 30
    # The API's readiness; the worker's liveness on WORKER_METRICS_PORT (it also serves /metrics there).
    healthCheck = {
      command     = ["CMD", "node", "-e", "fetch('http://127.0.0.1:${each.value.health}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app.name
        awslogs-region        = var.region
        awslogs-stream-prefix = each.key
      }
    }
  }])
}

resource "aws_ecs_service" "role" {
  for_each                           = local.roles
  name                               = each.key
  cluster                            = aws_ecs_cluster.main.id
  task_definition                    = aws_ecs_task_definition.role[each.key].arn
  desired_count                      = each.value.count
  launch_type                        = "FARGATE"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  enable_execute_command             = false

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  dynamic "load_balancer" {
    for_each = each.key == "api" ? [1] : []

    content {
      target_group_arn = aws_lb_target_group.api.arn
      container_name   = "api"
      container_port   = 3000
    }
  }

  depends_on = [aws_lb_listener.https]
}

# No migration step: every process applies the pending migrations at start-up (migrations/, in order).
