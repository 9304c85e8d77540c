"""`/race`: the same burst fired at every mount, one mount after another, drawn live."""
