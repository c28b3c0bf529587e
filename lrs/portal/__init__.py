"""The learner portal (issue #12)."""
