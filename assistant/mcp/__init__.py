"""Éclaireur for AI assistants: a Model Context Protocol server (tools, resources, a prompt) on ``/mcp``, and a stdio
bridge to it for desktop clients."""
