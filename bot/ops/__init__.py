"""Running and checking the service: the launcher, the privacy audit, the texts' review status."""
