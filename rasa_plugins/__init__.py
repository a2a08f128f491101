"""Plugins loaded by Rasa from endpoints.yml (`type: rasa_plugins.stores.<Class>`).

They run inside Rasa's own environment (.venv-rasa, Python 3.10), never in the gateway.
"""
