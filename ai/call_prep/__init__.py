"""Call prep: a grounded, empathic briefing before an agent calls a representative.

:func:`ai.call_prep.engine.prepare_briefing` runs the offline or the LLM engine (with fallback) on a
:class:`PrepInput`, in Persian or English (the agent's language), and validates the result; see
``docs/call_prep.md``.
"""
