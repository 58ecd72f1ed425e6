"""IT Docs storage: accounts, users, sessions, documentation, the sync and its matching."""
