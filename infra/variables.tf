variable "region" {
  description = "AWS region to deploy into"
  type        = string
  default     = "eu-west-3"
}

variable "environment" {
  description = "Environment name, used in resource names (e.g. prod, staging)"
  type        = string
  default     = "prod"
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC"
  type        = string
  default     = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "Two or more availability zones: one public and one private subnet in each"
  type        = list(string)
  default     = ["eu-west-3a", "eu-west-3b"]
}

variable "image" {
  description = "Container image of GoTicket (ghcr.io/OWNER/goticket:TAG), the same image for every role"
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate for the ALB's HTTPS listener"
  type        = string
}

variable "public_base_url" {
  description = "The URL customers reach the API at (https://tickets.example.com), used in mailed links"
  type        = string
}

variable "api_desired_count" {
  description = "Number of API tasks (ROLE=api)"
  type        = number
  default     = 2
}

variable "worker_desired_count" {
  description = "Number of worker tasks (ROLE=worker: outbox relay, consumers, sagas, hold expiry)"
  type        = number
  default     = 2
}

variable "task_cpu" {
  description = "CPU units per task (1024 = 1 vCPU)"
  type        = number
  default     = 512
}

variable "task_memory" {
  description = "Memory per task in MiB (the process caps its old-generation heap at 192 MB)"
  type        = number
  default     = 1024
}

variable "db_instance_class" {
  description = "RDS PostgreSQL instance class"
  type        = string
  default     = "db.t4g.medium"
}

variable "db_allocated_storage" {
  description = "RDS storage in GiB"
  type        = number
  default     = 50
}

variable "redis_node_type" {
  description = "ElastiCache Redis node type"
  type        = string
  default     = "cache.t4g.small"
}

variable "mq_instance_type" {
  description = "Amazon MQ (RabbitMQ) broker instance type"
  type        = string
  default     = "mq.m5.large"
}

variable "log_retention_days" {
  description = "CloudWatch log retention of the tasks' logs"
  type        = number
  default     = 30
}
