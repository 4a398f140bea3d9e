"""What a scenario is: its schema, vocabulary, loading and parameter paths (no engine here)."""
