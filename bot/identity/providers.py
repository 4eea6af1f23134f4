"""Builds the configured directory provider (HELPDESK_DIRECTORY)."""

from __future__ import annotations

from bot.core.ports import Directory
from bot.settings import Settings


def build_directory(settings: Settings) -> Directory | None:
    """The provider HELPDESK_DIRECTORY names, or None ("none": self-service actions go to IT staff)."""
    if settings.directory == "ldap":
        from bot.identity.ldap import LdapDirectory

        assert settings.ldap_url and settings.ldap_bind_dn and settings.ldap_bind_password and settings.ldap_base_dn
        return LdapDirectory(url=settings.ldap_url, bind_dn=settings.ldap_bind_dn,
                             bind_password=settings.ldap_bind_password.get_secret_value(),
                             base_dn=settings.ldap_base_dn, flavor=settings.ldap_flavor,
                             user_filter=settings.ldap_user_filter,
                             alternate_email_attribute=settings.ldap_alternate_email_attribute,
                             timeout_seconds=settings.ldap_timeout_seconds)
    if settings.directory == "entra":
        from bot.identity.entra import EntraDirectory

        assert settings.entra_tenant_id and settings.entra_client_id and settings.entra_client_secret
        return EntraDirectory(tenant_id=settings.entra_tenant_id, client_id=settings.entra_client_id,
                              client_secret=settings.entra_client_secret.get_secret_value(),
                              graph_url=settings.entra_graph_url, authority_url=settings.entra_authority_url)
    if settings.directory == "okta":
        from bot.identity.okta import OktaDirectory

        assert settings.okta_url and settings.okta_api_token
        return OktaDirectory(org_url=settings.okta_url, api_token=settings.okta_api_token.get_secret_value())
    return None
