"""Deployment infrastructure: the CloudFormation resources merged into `chalice package`.

`python -m infra.build` regenerates infra/resources.json and the prod stage's IAM policies from the
PynamoDB models and app.py's handlers; `python -m infra.build --check` fails when they are stale.
"""
