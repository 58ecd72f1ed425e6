"""linkhub: Unified Login hub, Partner Portal and IT Docs with SaaS Protection sync."""
