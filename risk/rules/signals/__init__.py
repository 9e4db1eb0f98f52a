"""One module per family of signals; each turns one rule into the alerts it raises."""
