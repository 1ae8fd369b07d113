"""AWS access: one client factory, one retry policy, one per-region scheduler, the rate quotas it paces to."""
