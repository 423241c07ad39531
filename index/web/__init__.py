"""Web sources: sites declared in ``sources.toml`` fetched politely into the corpus folder, kept in sync."""
