"""Where the deployment artifacts live, for the deploy tests."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
K8S = DEPLOY / "k8s"
CLOUDFORMATION = DEPLOY / "cloudformation" / "secrets.yaml"
TERRAFORM = DEPLOY / "terraform"
