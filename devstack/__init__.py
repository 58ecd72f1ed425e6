"""Local stack: DynamoDB Local, tables, demo data, the scheduler tick. Never deployed."""
