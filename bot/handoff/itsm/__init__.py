"""Mirroring tickets into an ITSM tool (ServiceNow, Jira Service Management), through a durable outbox.

Ticket operations never call an ITSM system directly: it queues each change in the `itsm_outbox` table
(`ItsmOutbox.enqueue`), and a background worker delivers them in order, retrying with backoff, so a slow or
failing ITSM system never delays the person or the staff member.
"""
