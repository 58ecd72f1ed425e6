"""Hub storage: companies, users, sessions, push MFA, the OIDC provider, insights (own tables)."""
