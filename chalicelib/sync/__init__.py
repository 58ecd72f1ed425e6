"""Sync: the SaaS Protection REST client, sync runs, schedules, the manual-sync lock, logs."""
