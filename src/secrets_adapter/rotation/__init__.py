"""Rotation: the four-step engine and its rotators.

- ``engine``: ``RotationEngine`` — create, set, test, finish over any ``VersionedProvider``.
- ``state``: the pure state machine (lease, recorded step, what the next run does).
- ``schedule``: rotator, interval and last/next rotation, all from the secret's tags.
- ``rotator`` + ``rotators/``: ``random``, ``jwt``, ``keyring``, ``postgres`` — one runs only
  where ``rotation configure`` chose it (there is no default).
- ``jwt_verifier``: sign and verify application JWTs with a rotated key set (PyJWT).
- ``keyring``: ``Keyring`` — encrypt / decrypt / re-encrypt application data with a key ring.
- ``app_value``: the plain current key an app reads from a ``jwt`` or ``keyring`` secret.
- ``connections``: psycopg / SQLAlchemy connections that survive a password rotation.
- ``lambda_handler``: the AWS Secrets Manager rotation Lambda running this engine.
"""
