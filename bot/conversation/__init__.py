"""One person's turn: safety first, language, redaction, Rasa, the replies and their texts."""
