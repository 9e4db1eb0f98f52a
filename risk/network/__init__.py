"""Network analytics over the party graph: control, groups, identity rings."""
