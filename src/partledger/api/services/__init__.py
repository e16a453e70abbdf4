"""The service's business logic: plain Python over the SDK, index and store (no FastAPI)."""
