"""Operator commands. `load-tariffs` adds the published tariff tables
(chalicelib/domain/tariff_tables.py) a stage does not have yet. `create-admin`
creates a manager account (never with a default password):

    STAGE=prod TABLE_PREFIX=cskh-prod- JWT_SECRET_PARAM=/cskh/prod/jwt-secret \
        VNPAY_HASH_SECRET_PARAM=/cskh/prod/vnpay-hash-secret \
        python -m chalicelib.cli create-admin --username hoa.nguyen

(a deployed stage's settings need both parameters; docs/deploy.md has the whole list.)
`migrate-ledger` brings what was recorded before the customer accounts (paid flags, payment lists,
credits waiting for a refund) into the ledger, once (a second run writes nothing).

The password is asked for twice (or read from ADMIN_PASSWORD for automation)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from chalicelib import deps
from chalicelib.errors import AppError


def create_admin(username: str) -> int:
    password = os.environ.get("ADMIN_PASSWORD")
    if not password:
        password = getpass.getpass("New admin password (12+ characters): ")
        if password != getpass.getpass("Repeat it: "):
            print("the two passwords differ", file=sys.stderr)
            return 2
    try:
        deps.auth().create_admin(username, password)
    except AppError as err:
        print(f"refused: {err.code}: {err.message_en}", file=sys.stderr)
        return 1
    print(f"admin '{username}' created; log in at POST /v1/admin/login")
    return 0


def load_tariffs() -> int:
    from chalicelib.domain.tariff_tables import published_versions

    added = deps.billing().load_published("system:cli", published_versions())
    print(f"{added} published tariff versions added (the others were there already)")
    return 0


def migrate_ledger(codes: list[str] | None, segments: int) -> int:
    """Existing invoices, payments and credits become customer-account entries (services/ledger_jobs.py).
    Safe to repeat: a second run writes nothing; an account left over (a posting raced it) goes next time."""
    import json

    result = deps.ledger_migration().run(codes or None, segments=segments)
    print(json.dumps(result, indent=2))
    if result["failed"]:
        print(f"{len(result['failed'])} account(s) or credit(s) not migrated: run the command again", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    admin = sub.add_parser("create-admin", help="create a manager account")
    admin.add_argument("--username", required=True)
    sub.add_parser("load-tariffs", help="add the published tariff tables that are not there yet")
    migrate = sub.add_parser(
        "migrate-ledger",
        help="bring the invoices, payments and credits of before the customer account into the ledger (idempotent)",
    )
    migrate.add_argument("--code", action="append", dest="codes", help="only this customer code (repeatable)")
    migrate.add_argument("--segments", type=int, default=8, help="parallel walkers of the customers by_shard index")
    args = parser.parse_args(argv)
    if args.command == "create-admin":
        return create_admin(args.username)
    if args.command == "load-tariffs":
        return load_tariffs()
    if args.command == "migrate-ledger":
        return migrate_ledger(args.codes, args.segments)
    return 2


if __name__ == "__main__":
    sys.exit(main())
