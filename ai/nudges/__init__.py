"""Nudges: drafting engines, the template language, guardrails, the send-window calendar and the
engagement score. Plain data in and out; the CRM side lives in ``crm.services.nudge*``."""
