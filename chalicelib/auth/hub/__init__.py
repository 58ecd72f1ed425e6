"""The identity hub: companies, users, three-step login with TOTP, sessions, OIDC provider."""
