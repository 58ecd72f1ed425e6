"""IT Docs' Account pages, `/itdocs/account/...`: one module per second URL segment."""
