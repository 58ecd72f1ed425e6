"""IT Docs: accounts, users, organizations, contacts, integrations and the SaaS Protection card."""
