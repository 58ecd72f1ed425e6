"""Storage: the only layer that knows PynamoDB and botocore. One package per context (hub, portal,
itdocs), one module per aggregate; `kit` holds the patterns every context repeats."""
