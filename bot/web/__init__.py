"""HTTP plumbing shared by the routes: dependencies, limits, headers, body size, health."""
