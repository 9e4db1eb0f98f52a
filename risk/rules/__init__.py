"""The early-warning rules: the file risk officers edit, its validation, and evaluation."""
