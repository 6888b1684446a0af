output "app_role_arn" {
  description = "Annotate the Kubernetes ServiceAccount with it (eks.amazonaws.com/role-arn)."
  value       = aws_iam_role.app.arn
}

output "secrets_key_arn" {
  description = "SECRETS_ADAPTER_KMS_KEY_ID"
  value       = aws_kms_key.secrets.arn
}

output "alert_topic_arn" {
  value = aws_sns_topic.alerts.arn
}

output "trail_bucket" {
  value = aws_s3_bucket.trail.id
}
