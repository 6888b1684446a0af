"""Rotation: the four-step engine and its rotators.

- ``engine``: ``RotationEngine`` — create, set, test, finish over any ``VersionedProvider``.
- ``state``: the pure state machine (lease, recorded step, what the next run does).
- ``schedule``: rotator, interval and last/next rotation, all from the secret's tags.
- ``rotator`` + ``rotators/``: ``random``, ``jwt``, ``postgres``.
- ``jwt_verifier``: sign and verify application JWTs with a rotated key set (PyJWT).
- ``connections``: psycopg / SQLAlchemy connections that survive a password rotation.
- ``lambda_handler``: the AWS Secrets Manager rotation Lambda running this engine.
"""
