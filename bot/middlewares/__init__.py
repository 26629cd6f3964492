"""Outer middlewares, in order: throttle → unit of work → dedupe → identity and locale."""
