"""Goals, plans and check-ins are not in the Django admin.

They are clinical content (what a client is working on, how they felt, their notes). Staff
read them only through the care pages and API, which go through the access policy and the
access log; the Django admin is for accounts and tokens, and has no such log.
"""
