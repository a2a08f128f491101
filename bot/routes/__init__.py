"""HTTP adapters: each route module is thin and calls the conversation path or a store."""
