"""Sync: the SaaS Protection client, runs, schedules, the manual-sync lock, match decisions, card.

It imports nothing of IT Docs or the web layer: a sync run reads IT Docs organizations through
`directory.OrganizationDirectory`, and what an IT Docs user does goes through `acting.ActingUser`,
both protocols it defines and IT Docs implements. `chalicelib.matching` decides.
"""
