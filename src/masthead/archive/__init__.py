"""The publication archive (back issues, feeds): a stage after the editions, still to come."""
