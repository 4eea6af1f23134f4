"""A throwaway OpenLDAP `slapd` (mdb + ppolicy) on a random loopback port, seeded with a small company.

`running_slapd(directory=...)` writes slapd.conf and the seed LDIF into `directory`, loads it with slapadd, starts
slapd in the foreground (so this process owns its PID), waits until the admin can bind, and SIGKILLs it on exit.
slapd and slapadd are required: without them the test fails (CI installs the `slapd` package), it is never skipped.
The bot binds as `SERVICE_DN` (write access by ACL, not the rootdn) so ppolicy's checks (pwdMinLength) apply to it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import ldap3
import pytest
from ldap3.core.exceptions import LDAPException

from tests.support.tcp import free_port

BASE_DN = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{BASE_DN}"
ADMIN_PASSWORD = "adminpw"
SERVICE_DN = f"cn=helpdesk-bot,ou=services,{BASE_DN}"  # the bot's own account: not the rootdn, so policy applies
SERVICE_PASSWORD = "Service-pw-77"
PEOPLE = f"ou=people,{BASE_DN}"
GROUPS = f"ou=groups,{BASE_DN}"
VPN_USERS = f"cn=vpn-users,{GROUPS}"
STAFF = f"cn=staff,{GROUPS}"
PASSWORDS = {
    "alice": "Alice-old-pw1",
    "bob": "Bob-pw-22",
    "carol": "Carol-pw-3",
    "dave": "Dave-pw-44",
    "erin": "Erin-pw-55",
}
MIN_PASSWORD_LENGTH = 8
ALTERNATE_EMAIL_ATTRIBUTE = "otherMailbox"  # cosine.schema; allowed on inetOrgPerson through extensibleObject

SBIN = os.pathsep.join(["/usr/sbin", "/usr/local/sbin", "/sbin", os.environ.get("PATH", "")])

SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile {d}/slapd.pid
argsfile {d}/slapd.args
database mdb
maxsize 104857600
suffix "{base}"
rootdn "{admin}"
rootpw {admin_password}
directory {d}/db
access to attrs=userPassword by dn.exact="{service}" write by self write by anonymous auth by * none
access to * by dn.exact="{service}" write by * read
overlay ppolicy
ppolicy_default "cn=default,ou=policies,{base}"
ppolicy_use_lockout
"""


def dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


def _person(uid: str, *, name: str, mail: str, extra: str = "") -> str:
    return (
        f"dn: {dn(uid)}\nobjectClass: inetOrgPerson\nobjectClass: extensibleObject\nuid: {uid}\ncn: {name}\n"
        f"sn: {name.split()[-1]}\ndisplayName: {name}\nmail: {mail}\nuserPassword: {PASSWORDS[uid]}\n{extra}\n"
    )


ALICE_EXTRA = (
    f"manager: {dn('bob')}\n{ALTERNATE_EMAIL_ATTRIBUTE}: alice.home@example.net\ndepartmentNumber: Finance\nl: Berlin\n"
)
_PEOPLE_LDIF = "".join(
    [
        _person("alice", name="Alice Archer", mail="alice@example.org", extra=ALICE_EXTRA),
        _person("bob", name="Bob Baker", mail="bob@example.org"),
        _person("carol", name="Carol Cooper", mail="carol@example.org"),
        _person("dave", name="Dave Dunn", mail="shared@example.org"),
        _person("erin", name="Erin Evans", mail="shared@example.org"),
    ]
)
SEED_LDIF = f"""\
dn: {BASE_DN}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: {PEOPLE}
objectClass: organizationalUnit
ou: people

dn: {GROUPS}
objectClass: organizationalUnit
ou: groups

dn: ou=services,{BASE_DN}
objectClass: organizationalUnit
ou: services

dn: {SERVICE_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: helpdesk-bot
userPassword: {SERVICE_PASSWORD}

dn: ou=policies,{BASE_DN}
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,{BASE_DN}
objectClass: person
objectClass: pwdPolicy
cn: default
sn: default
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMaxFailure: 3
pwdLockoutDuration: 0
pwdCheckQuality: 2
pwdMinLength: {MIN_PASSWORD_LENGTH}

{_PEOPLE_LDIF}dn: {VPN_USERS}
objectClass: groupOfNames
cn: vpn-users
member: {dn("bob")}

dn: {STAFF}
objectClass: groupOfNames
cn: staff
member: {dn("alice")}
member: {dn("bob")}
"""


@dataclass(frozen=True, kw_only=True)
class Slapd:
    """A running slapd: its URL and the process to kill."""

    url: str
    process: subprocess.Popen[bytes]

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def _binary(name: str) -> str:
    found = shutil.which(name, path=SBIN)
    if found is None:
        pytest.fail(
            f"`{name}` is not installed: these tests run a real OpenLDAP server "
            "(Debian/Ubuntu: apt-get install slapd ldap-utils)",
            pytrace=False,
        )
    return found


def _admin_can_bind(url: str) -> bool:
    try:
        connection = ldap3.Connection(
            ldap3.Server(url, connect_timeout=1), user=ADMIN_DN, password=ADMIN_PASSWORD, receive_timeout=1
        )
        try:
            return bool(connection.bind())
        finally:
            connection.unbind()
    except (LDAPException, KeyError, ValueError, IndexError):
        # Polling a port nobody listens on yet can connect the socket to itself (a TCP self-connect: the kernel
        # picked the same ephemeral port as the source), and ldap3 then reads back its own bind request and fails
        # to decode it. Either way slapd is not ready; the caller polls again or retries on another port.
        return False


def _start(*, slapd: str, config: Path, log: Path) -> Slapd | None:
    """One attempt on one random port; None when slapd exited (most likely the port was taken meanwhile)."""
    url = f"ldap://127.0.0.1:{free_port()}/"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [slapd, "-f", str(config), "-h", url, "-d", "0"], stdin=subprocess.DEVNULL, stdout=sink, stderr=sink
        )
    server = Slapd(url=url.rstrip("/"), process=process)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return None
        if _admin_can_bind(server.url):
            return server
        time.sleep(0.02)
    server.kill()
    pytest.fail(f"slapd did not accept a bind within 15 s; its output:\n{log.read_text(errors='replace')}")


@contextmanager
def running_slapd(*, directory: Path) -> Iterator[Slapd]:
    """A freshly seeded slapd, killed (SIGKILL) when the block ends, however it ends."""
    slapd, slapadd = _binary("slapd"), _binary("slapadd")
    (directory / "db").mkdir(parents=True)
    config = directory / "slapd.conf"
    config.write_text(
        SLAPD_CONF.format(d=directory, base=BASE_DN, admin=ADMIN_DN, admin_password=ADMIN_PASSWORD, service=SERVICE_DN)
    )
    seed = directory / "init.ldif"
    seed.write_text(SEED_LDIF)
    loaded = subprocess.run([slapadd, "-f", str(config), "-l", str(seed), "-q"], capture_output=True, timeout=60)
    if loaded.returncode != 0:
        pytest.fail(f"slapadd failed ({loaded.returncode}):\n{loaded.stderr.decode(errors='replace')}", pytrace=False)
    log = directory / "slapd.log"
    server = None
    for _attempt in range(5):
        server = _start(slapd=slapd, config=config, log=log)
        if server is not None:
            break
    if server is None:
        pytest.fail(f"slapd would not start; its output:\n{log.read_text(errors='replace')}", pytrace=False)
    try:
        yield server
    finally:
        with suppress(ProcessLookupError):
            server.kill()


def can_bind(url: str, *, dn: str, password: str) -> bool:
    """Whether a person could sign in with this password now (a plain simple bind; a refused bind counts as a
    failure towards ppolicy's lockout)."""
    connection = ldap3.Connection(ldap3.Server(url, connect_timeout=2), user=dn, password=password)
    try:
        return bool(connection.bind())
    finally:
        connection.unbind()


@contextmanager
def admin_connection(url: str) -> Iterator[ldap3.Connection]:
    """The rootdn, to look behind the provider's back (and to arrange what an administrator would)."""
    connection = ldap3.Connection(
        ldap3.Server(url, connect_timeout=2),
        user=ADMIN_DN,
        password=ADMIN_PASSWORD,
        auto_bind=True,
        raise_exceptions=True,
    )
    try:
        yield connection
    finally:
        connection.unbind()


def read_attributes(url: str, *, dn: str, attributes: list[str]) -> dict[str, list[str]]:
    """The entry's values for `attributes` (operational ones included), keyed by lower-cased name."""
    with admin_connection(url) as connection:
        connection.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=attributes)
        assert connection.response is not None
        [entry] = connection.response
        return {
            name.lower(): [value.decode() for value in values]
            for name, values in entry["raw_attributes"].items()
            if values
        }
