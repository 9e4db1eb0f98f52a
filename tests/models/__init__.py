"""Tests of the credit models (risk/models)."""
