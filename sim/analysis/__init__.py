"""Analysis of results (paired comparisons, policy tables, sensitivity): reads, runs nothing."""
