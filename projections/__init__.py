"""Read models built from the event log: current state, event records, temporal folds."""
