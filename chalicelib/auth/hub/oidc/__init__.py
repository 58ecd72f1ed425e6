"""The hub's OpenID Connect provider: signing keys, clients, the code flow with PKCE, userinfo."""
