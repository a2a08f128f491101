"""Where people write from besides the widget's own API: Telegram."""
