"""The HTTP API: FastAPI app, Pydantic contract, one router per resource."""
