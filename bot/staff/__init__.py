"""Staff accounts: sign-in with a second factor, attempt limits and the audit log."""
