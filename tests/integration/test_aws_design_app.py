"""The design's own code (section 4.2, ``create_app``) run as written against moto_server: the
library stands in for the design's ``src/services/secrets_adapter.py`` (section 4.1), and nothing
else changes; ``AWS_ENDPOINT_URL`` points boto3 at the emulator, as it would at a VPC endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.aws import DUMMY_CREDENTIALS, MotoServer

# Verbatim from the design document, section 4.2 (trailing spaces included).
DESIGN_APP = "\n".join(
    [
        "# backend/app.py",
        "",
        "from src.services.secrets_adapter import SecretsAdapter",
        "",
        "def create_app():",
        "    app = Flask(__name__)",
        "    ",
        "    # Initialize secrets adapter",
        "    secrets = SecretsAdapter(region='us-east-1')",
        "    ",
        "    # Load secrets from AWS Secrets Manager",
        "    if os.getenv('ENVIRONMENT') == 'production':",
        "        db_secret = secrets.get_secret('gaara/prod/database')",
        "        app.config['SQLALCHEMY_DATABASE_URI'] = db_secret['url']",
        "        app.config['JWT_SECRET_KEY'] = secrets.get_secret_value('gaara/prod/jwt-secret')",
        "    else:",
        "        # Use .env for development",
        "        app.config['SQLALCHEMY_DATABASE_URI'] = os.getenv('DATABASE_URL')",
        "        app.config['JWT_SECRET_KEY'] = os.getenv('JWT_SECRET_KEY')",
        "    ",
        "    return app",
        "",
    ]
)

# The two imports the design's block uses without showing; prepended, nothing else is changed.
MISSING_IMPORTS = "import os\nfrom flask import Flask\n"

# The design's section 4.1 module, replaced by the library.
SERVICES_MODULE = "from secrets_adapter import SecretsAdapter\n"

RUN = """
import json
from app import create_app
app = create_app()
print(json.dumps({key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "JWT_SECRET_KEY")}))
"""


def test_design_create_app_runs_as_written(moto_server: MotoServer, tmp_path: Path) -> None:
    moto_server.reset()
    client = moto_server.secretsmanager()
    client.create_secret(
        Name="gaara/prod/database",
        SecretString=json.dumps({"url": "postgresql://gaara:pw@db:5432/gaara"}),
    )
    client.create_secret(Name="gaara/prod/jwt-secret", SecretString="jwt-signing-key")
    services = tmp_path / "src" / "services"
    services.mkdir(parents=True)
    (tmp_path / "src" / "__init__.py").write_text("")
    (services / "__init__.py").write_text("")
    (services / "secrets_adapter.py").write_text(SERVICES_MODULE)
    (tmp_path / "app.py").write_text(MISSING_IMPORTS + DESIGN_APP)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "SECRETS_", "VAULT_"))
    }
    env.update(DUMMY_CREDENTIALS)
    env.update(ENVIRONMENT="production", AWS_ENDPOINT_URL=moto_server.endpoint_url)
    done = subprocess.run(
        [sys.executable, "-c", RUN],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "SQLALCHEMY_DATABASE_URI": "postgresql://gaara:pw@db:5432/gaara",
        "JWT_SECRET_KEY": "jwt-signing-key",
    }
