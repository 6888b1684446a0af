variable "prefix" {
  description = "Name prefix of the secrets."
  type        = string
  default     = "gaara/prod"
}

variable "name" {
  description = "Name stem for the key alias, role, trail and topic."
  type        = string
  default     = "gaara-prod"
}

variable "secret_names" {
  description = "The secrets the application reads (relative to prefix)."
  type        = list(string)
  default = [
    "database-url",
    "jwt-secret-key",
    "jwt-refresh-secret-key",
    "encryption-key",
    "aws-access-key", # the AWS key pair, one JSON secret {"access_key_id", "secret_access_key"}
    "sendgrid-api-key",
    "stripe-api-key",
    "oauth-client-secret",
  ]
}

variable "oidc_provider_arn" {
  description = "The EKS cluster's IAM OIDC provider ARN (IRSA)."
  type        = string
}

variable "oidc_provider_host" {
  description = "Its host and path, e.g. oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE."
  type        = string
}

variable "service_account" {
  description = "namespace:name of the Kubernetes ServiceAccount that may assume the app role."
  type        = string
  default     = "gaara:gaara-store"
}
