"""Partner Portal: partner companies, users, organizations, SaaS Protection data, REST API."""
