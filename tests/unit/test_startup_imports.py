"""Start-up imports what the configuration needs: no botbuilder without Teams, no Alembic or
Mako for a command (or a serve) that finds the database already migrated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from storage.migrate import _head_from_files, head_revision

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("botbuilder", "botframework", "msrest", "alembic", "mako")


def loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=True, env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)})
    return out.stdout.split()


def test_the_cli_and_the_web_app_import_neither_botbuilder_nor_alembic() -> None:
    assert loaded_after("import adapters.cli, adapters.web") == []


def test_a_serve_without_teams_on_a_migrated_database_loads_neither(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    code = f"""
import asyncio
from storage.migrate import upgrade
asyncio.run(upgrade("sqlite:///{db}"))
"""
    assert "alembic" in loaded_after(code)  # the first start migrates
    code += f"""
import sys
for name in [m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')]:
    del sys.modules[name]
from adapters.settings import Settings
from adapters import bootstrap
from adapters.web import create_app
asyncio.run(upgrade("sqlite:///{db}"))
create_app(bootstrap.build(Settings(_env_file=None, MASHBOT_DATABASE_URL="sqlite:///{db}")), host="127.0.0.1")
"""
    assert loaded_after(code) == []


def test_the_head_read_from_the_files_is_alembics() -> None:
    assert _head_from_files() == head_revision() is not None


def test_serve_starts_without_the_data_only_a_first_user_request_needs(tmp_path: Path) -> None:
    """Bank holidays, phone-number metadata, the identifier patterns, the ladder's handlers and
    the digest load on first use (a date sum, a typed reason, the first tick or digest), not
    while `mashbot serve` starts."""
    db = tmp_path / "m.db"
    code = f"""
import asyncio, sys
from storage.migrate import upgrade
asyncio.run(upgrade("sqlite:///{db}"))
from adapters import admin, bootstrap
from adapters.settings import Settings
from adapters.web import create_app
settings = Settings(_env_file=None, MASHBOT_DATABASE_URL="sqlite:///{db}")
asyncio.run(admin.load_startup_roster(settings))
create_app(bootstrap.build(settings), scheduler=True, host="127.0.0.1")
print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('holidays', 'phonenumbers')
                      or m in ('bot.identifiers', 'bot.identifier_people', 'dialogs.desk', 'bot.handlers',
                               'bot.commands', 'bot.digest', 'dialogs.digest'))))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=True, env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)})
    assert out.stdout.split() == []


def test_the_command_imports_with_the_collector_paused_and_leaves_it_running() -> None:
    code = """
import gc, sys
import adapters.cli
seen = []
adapters.cli.main = lambda: seen.append(gc.isenabled()) or 7
from adapters.entry import main
print(main(), seen, gc.isenabled(), gc.get_freeze_count() > 0)
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=True, env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)})
    assert out.stdout.split() == ["7", "[True]", "True", "True"]
