"""Strawberry object types, one family per module."""
