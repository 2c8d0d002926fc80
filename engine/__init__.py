"""Engage: triage of requests for technical cooperation in the field of human rights."""

__version__ = "0.1.0"
