"""Partner Portal storage: companies, users, sessions, Log In with Hub, SaaS data, the REST API."""
