"""`mashbot tick`: the scheduler's tick for cron users, then the outbox is sent.

`--now T` rehearses the tick at another instant: it runs the real use case inside one
transaction that is rolled back, prints which stages would move and who would be told
what (kind, recipient, channel -- never a message's content), writes nothing and sends
nothing. Committing at another instant is for the console's demo clock (which moves the
service's clock) and for tests (which pin `bootstrap.utc_now`), never for a CLI flag.
"""

from __future__ import annotations

import argparse
import dataclasses
from datetime import datetime

from adapters import bootstrap
from adapters.dispatcher import DispatchReport
from bot.calendar import calendar_of
from bot.policy import Policy
from storage.rehearsal import Plan, rehearse


async def tick_command(args: argparse.Namespace) -> int:
    service = bootstrap.build()
    if args.now is not None:
        try:
            return await _rehearse(service, service.rehearsal_now(args.now))
        finally:
            await service.close()
    now = service.now()
    try:
        report = await service.mashbot.tick(now)
    except BaseException:
        await service.close()
        raise
    print(f"tick at {now.isoformat()}: {report.examined} due, {report.changed} changed, "
          f"{report.events} events, {report.messages} messages queued")
    if args.no_send:
        await service.close()
        print("Nothing sent (--no-send): a running `mashbot serve` or the next `mashbot tick` sends the outbox.")
        return 0
    async with bootstrap.serving_dispatcher(service) as dispatcher:
        sent = await dispatcher.run_once()
    print(describe_dispatch(sent))
    return 0


def describe_dispatch(report: DispatchReport) -> str:
    line = f"outbox: {report.sent} sent, {report.retrying} to retry later, {report.failed} failed"
    if report.waiting:
        line += (f", {report.waiting} waiting for a way to send them "
                 "(see `mashbot outbox list --pending`)")
    if report.failed:
        line += " (see `mashbot outbox list --failed`)"
    return line


async def _rehearse(service: bootstrap.Service, now: datetime) -> int:
    async with rehearse(service.database) as rehearsal:
        await rehearsal.remember(now)
        mashbot = dataclasses.replace(service.mashbot, uow=rehearsal.uow)
        report = await mashbot.tick(now)
        plan = await rehearsal.planned()
    cal = calendar_of(service.policy)
    print(f"Rehearsal at {cal.describe_with_year(now)} ({now.isoformat()}): nothing was written or sent.")
    print(f"tick at {now.isoformat()} would find {report.examined} due, {report.changed} changed, "
          f"{report.events} events, {report.messages} messages queued")
    print(render_plan(plan, service.policy))
    return 0


def _stage(policy: Policy, index: int) -> str:
    name = policy.stage(index).name if 0 <= index < len(policy.stages) else "?"
    return f"stage {index} {name}"


def render_plan(plan: Plan, policy: Policy) -> str:
    lines: list[str] = []
    if plan.moves:
        lines.append("Challenges that would change:")
        for m in plan.moves:
            if m.stage_after != m.stage_before:
                what = f"{_stage(policy, m.stage_before)} -> {_stage(policy, m.stage_after)}"
            else:
                what = _stage(policy, m.stage_before)
            if m.state_after != m.state_before:
                what += f"; {m.state_before} -> {m.state_after}"
            if m.breached_after and not m.breached_before:
                what += "; BREACHED"
            lines.append(f"  {m.reference:<10} {what}")
    if plan.messages:
        lines.append("Messages that would be queued (kind, recipient, channel):")
        for msg in plan.messages:
            about = f"  about {msg.reference}" if msg.reference else ""
            lines.append(f"  {msg.kind:<28} {msg.recipient:<24} {msg.channel:<6}{about}")
    if not lines:
        lines.append("Nothing would change.")
    return "\n".join(lines)
