"""`mashbot outbox list [--failed|--pending] | show ID | retry ID|--all-failed`.

Shows each message's envelope (kind, recipient, channel, attempts, last error, times) and
never its body: bodies can hold case details, and a terminal is not a 1:1 chat.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from typing import Any

from adapters import bootstrap
from bot.calendar import calendar_of
from storage import outbox_admin
from storage.outbox_admin import OutboxEntry


def add_commands(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    """Register the `outbox` group (`add` is the CLI's `_add(sub, name, handler, help)`)."""
    group = sub.add_parser("outbox", help="messages waiting, sent or failed").add_subparsers(
        dest="outbox_command", required=True)
    lst = add(group, "list", outbox_list, "list outbox messages, newest first (no message content)")
    which = lst.add_mutually_exclusive_group()
    which.add_argument("--failed", action="store_true", help="only messages given up on")
    which.add_argument("--pending", action="store_true", help="only messages waiting to be sent")
    lst.add_argument("--limit", type=int, default=200, help="at most this many (default 200)")
    show = add(group, "show", outbox_show, "one message: kind, recipient, channel, attempts, last error, times")
    show.add_argument("id", type=int, metavar="ID")
    retry = add(group, "retry", outbox_retry, "send failed messages again now (one ID, or --all-failed)")
    target = retry.add_mutually_exclusive_group(required=True)
    target.add_argument("id", type=int, metavar="ID", nargs="?")
    target.add_argument("--all-failed", action="store_true", help="every failed message")


def _when(service: bootstrap.Service, at: datetime | None) -> str:
    return calendar_of(service.policy).describe_with_year(at) if at else "—"


def _line(service: bootstrap.Service, e: OutboxEntry) -> str:
    when = {"sent": f"sent {_when(service, e.sent_at)}",
            "pending": f"next try {_when(service, e.next_attempt_at)}"}.get(e.status, "given up")
    error = f"  last error: {e.last_error}" if e.last_error else ""
    return (f"{e.id:>6}  {e.status:<7}  {e.kind:<26} {e.recipient:<22} {e.channel:<6} "
            f"attempts {e.attempts}  queued {_when(service, e.created_at)}  {when}{error}")


async def outbox_list(args: argparse.Namespace) -> int:
    status = "failed" if args.failed else "pending" if args.pending else None
    service = bootstrap.build()
    try:
        async with service.database.uow(read_only=True) as uow:
            found = await outbox_admin.entries(uow.session, status=status, limit=max(args.limit, 1))
            trouble = await outbox_admin.trouble(uow.session, service.now())
    finally:
        await service.close()
    if not found:
        print(f"No {status} messages in the outbox." if status else "No messages in the outbox.")
    for e in found:
        print(_line(service, e))
    if trouble.failed or trouble.stuck:
        print(f"{trouble.failed} failed, {trouble.stuck} pending for more than "
              f"{int(outbox_admin.STUCK_AFTER.total_seconds() // 60)} minutes. "
              "Retry failed ones with `mashbot outbox retry ID` or `--all-failed`.")
    return 0


async def outbox_show(args: argparse.Namespace) -> int:
    service = bootstrap.build()
    try:
        async with service.database.uow(read_only=True) as uow:
            e = await outbox_admin.entry(uow.session, args.id)
    finally:
        await service.close()
    if e is None:
        print(f"mashbot: there is no outbox message {args.id} (see `mashbot outbox list`)")
        return 1
    for label, value in (("id", e.id), ("kind", e.kind), ("recipient", e.recipient), ("channel", e.channel),
                         ("challenge", e.reference or "—"), ("status", e.status), ("attempts", e.attempts),
                         ("queued", _when(service, e.created_at)),
                         ("next try", _when(service, e.next_attempt_at) if e.status == "pending" else "—"),
                         ("sent", _when(service, e.sent_at)), ("last error", e.last_error or "—")):
        print(f"{label + ':':<12} {value}")
    return 0


async def outbox_retry(args: argparse.Namespace) -> int:
    service = bootstrap.build()
    try:
        async with service.database.uow() as uow:
            if args.id is not None:
                current = await outbox_admin.entry(uow.session, args.id)
                if current is None:
                    print(f"mashbot: there is no outbox message {args.id} (see `mashbot outbox list --failed`)")
                    return 1
                if current.status != "failed":
                    print(f"mashbot: outbox message {args.id} is {current.status}, not failed: nothing to retry")
                    return 1
            ids = await outbox_admin.retry(uow.session, service.now(), item_id=args.id)
            await uow.commit()
    finally:
        await service.close()
    if not ids:
        print("No failed messages to retry.")
        return 0
    print(f"{len(ids)} message(s) queued to be sent again: {', '.join(map(str, ids))}. "
          "The running `mashbot serve` or the next `mashbot tick` sends them.")
    return 0
