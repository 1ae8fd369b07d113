"""Analysis: who uses what (the join), and what the rules name for deletion. Pure functions."""
