"""The UI kit: templates, responses, cookies, CSRF, sign-in, banner, flash codes, error table."""
