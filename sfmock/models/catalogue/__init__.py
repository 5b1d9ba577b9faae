"""The standard objects' field catalogue: one JSON file per type, each citing its source."""
