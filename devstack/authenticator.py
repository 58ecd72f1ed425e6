"""A command-line authenticator for the local stack, so a person can log in without a phone.

    python -m devstack.authenticator totp --company "Acme MSP" --user alice

prints the 2FA token a hub user's authenticator app would show now. It reads the `make run`
stack's database (DynamoDB Local on port 8001, the key file in .devstack/).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.auth import names
from chalicelib.auth.hub import totp
from chalicelib.errors import StorageUnavailable
from chalicelib.runtime import Runtime
from chalicelib.storage.hub import users as store
from devstack.environment import install_dev_runtime


class CommandFailed(Exception):
    """A command could not do its job; the message tells the person why."""


def totp_code(rt: Runtime, company: str, username: str) -> tuple[str, int]:
    """The user's current TOTP code and the seconds it stays valid.

    A user in the middle of enrolling gets the code of the secret shown on the enrollment page.
    """
    user = store.user_by_login(names.login_key(company, username))
    if user is None:
        raise CommandFailed(f"No hub user {username!r} in company {company!r}.")
    sealed = user.totp_secret or user.totp_pending
    if sealed is None:
        raise CommandFailed(
            f"{username} has not set up 2FA yet: log in with the password first, and run this "
            "again while the enrollment page is open."
        )
    secret = rt.box.decrypt(sealed, f"totp:{user.user_id}").decode()
    now = rt.clock.now()
    return totp.code_at(secret, now), totp.PERIOD - int(now.timestamp()) % totp.PERIOD


def totp_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--company", required=True, help="Company Name, as typed at login")
    command.add_argument("--user", required=True, help="Username")


def run_totp(rt: Runtime, args: argparse.Namespace) -> None:
    code, seconds_left = totp_code(rt, args.company, args.user)
    print(code)
    print(f"(valid for {seconds_left} more seconds)", file=sys.stderr)


@dataclass(frozen=True)
class Command:
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Runtime, argparse.Namespace], None]


# The subcommands; push approvals become one more entry here.
COMMANDS: dict[str, Command] = {
    "totp": Command("print a hub user's current 2FA token", totp_arguments, run_totp),
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m devstack.authenticator", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = top.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        command.arguments(commands.add_parser(name, help=command.help))
    return top


def main(argv: list[str] | None = None, rt: Runtime | None = None) -> int:
    args = parser().parse_args(argv)
    if rt is None:
        rt = install_dev_runtime()
    try:
        COMMANDS[args.command].run(rt, args)
    except CommandFailed as error:
        print(error, file=sys.stderr)
        return 1
    except StorageUnavailable:
        print(f"The local database at {rt.settings.dynamodb_endpoint} is not answering. "
              "Is `make run` running?", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
