"""Slack channel: slack-bolt receives and verifies, this package translates to and from the engine."""
