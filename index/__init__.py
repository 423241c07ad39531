"""Turns a folder of documents into a searchable index directory (knows nothing of HTTP)."""
