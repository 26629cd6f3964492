"""Pydantic DTOs: what services take and return. ORM objects never leave a service."""
