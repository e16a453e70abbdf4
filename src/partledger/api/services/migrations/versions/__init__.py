"""Service database schema revisions."""
