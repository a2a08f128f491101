"""Rasa SDK custom actions of HRV Guide; `rasa run actions --actions actions` loads every module."""
