"""Éclaireur's service: retrieval and answers over a loaded index, the HTTP API and the CLI."""
