"""Web layer: templates, responses, cookies, CSRF and the one table mapping errors to statuses."""
