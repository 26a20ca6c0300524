"""Business rules. Every surface (dialects, admin, commands) calls these; none of them know who called."""
