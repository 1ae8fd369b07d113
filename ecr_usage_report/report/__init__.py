"""The report: its text and its exports, pure functions of the inventory and the findings."""
