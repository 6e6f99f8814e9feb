"""Local member clusters for the quick start and the tests."""
