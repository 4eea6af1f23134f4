"""The directory provider HELPDESK_DIRECTORY chose, built from its (already complete) settings."""

from __future__ import annotations

from bot.core.ports import Directory
from bot.settings import DirectorySettings, EntraSettings, LdapSettings, OktaSettings


def build_directory(settings: DirectorySettings | None) -> Directory | None:
    """The chosen provider, or None ("none": self-service actions go to IT staff). The caller closes it."""
    if isinstance(settings, LdapSettings):
        from bot.identity.ldap import LdapDirectory

        return LdapDirectory(
            url=settings.url,
            bind_dn=settings.bind_dn,
            bind_password=settings.bind_password.get_secret_value(),
            base_dn=settings.base_dn,
            flavor=settings.flavor,
            user_filter=settings.user_filter,
            alternate_email_attribute=settings.alternate_email_attribute,
            timeout_seconds=settings.timeout_seconds,
        )
    if isinstance(settings, EntraSettings):
        from bot.identity.entra import EntraDirectory

        return EntraDirectory(
            tenant_id=settings.tenant_id,
            client_id=settings.client_id,
            client_secret=settings.client_secret.get_secret_value(),
            graph_url=settings.graph_url,
            authority_url=settings.authority_url,
        )
    if isinstance(settings, OktaSettings):
        from bot.identity.okta import OktaDirectory

        return OktaDirectory(org_url=settings.url, api_token=settings.api_token.get_secret_value())
    return None
