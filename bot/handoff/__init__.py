"""Handing a conversation to a person: the queue and its states, delivery of its events, opening
hours."""
