"""Limits that keep one client from crowding out the rest: rates per session and client, and
the refusals people see."""
