"""Outer middlewares, in order: throttle → unit of work (with the update's inbox claim) → identity and
locale. Updates reach them from ``chronos.intake``, after they are stored in the inbox."""
