"""Microsoft Teams channel: the Microsoft 365 Agents SDK stays inside this package."""
