"""Upgrades of graphs imported by an earlier release, run by ``loanwatch migrate``."""
