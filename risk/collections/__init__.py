"""Collections (催收): the daily run that buckets every live loan by days past due and keeps
each bucket move as history, collection cases and their state machine, and the roll and
cure rates read from the history. Plain services over an engine; the CLI and the job
actors call them."""
