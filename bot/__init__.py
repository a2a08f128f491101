"""HRV Guide's gateway: the widget API, the widget and the handoff API in front of Rasa."""
