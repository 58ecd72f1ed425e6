"""Storage: the only layer that knows PynamoDB and botocore. One module per context."""
