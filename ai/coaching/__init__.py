"""Coaching insights computed from CRM history: the emotional arc and communication preferences."""

from ai.coaching.arc import (
    ArcConfig,
    ArcEvent,
    ArcPoint,
    EmotionalArc,
    Shift,
    Trend,
    Trigger,
    TurningPoint,
    compute_arc,
)
from ai.coaching.preferences import CommunicationPreferences, detect_register

__all__ = [
    "ArcConfig",
    "ArcEvent",
    "ArcPoint",
    "CommunicationPreferences",
    "EmotionalArc",
    "Shift",
    "Trend",
    "Trigger",
    "TurningPoint",
    "compute_arc",
    "detect_register",
]
