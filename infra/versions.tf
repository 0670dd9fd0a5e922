terraform {
  required_version = ">= 1.8.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # State holds the generated passwords: keep it in an encrypted, access-controlled backend, e.g.
  #   tofu init -backend-config="bucket=..." -backend-config="key=goticket/prod.tfstate" -backend-config="region=..."
  backend "s3" {
    encrypt = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "goticket"
      Environment = var.environment
    }
  }
}
