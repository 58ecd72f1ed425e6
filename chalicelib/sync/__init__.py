"""Sync: the SaaS Protection client, runs, schedules, the manual-sync lock, match decisions, card.

It reads IT Docs organizations only through `directory.OrganizationDirectory`, which IT Docs
implements; it imports nothing of IT Docs or the web layer, and `chalicelib.matching` decides.
"""
