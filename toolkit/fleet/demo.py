"""`make demo-fleet`: two local servers (two majors when this machine has PostgreSQL besides the wheel), three
tenant databases on each, and a canary-first rollout of every phase with the live table.

    python -m toolkit.fleet.demo [--stop]

Everything lives in .toolkit/fleet: the servers (one/, two/), the targets file, and an env file that points
`toolkit fleet status` at the ledger. Passwords stay in each server's pgpass file; the targets file names the
environment variables that carry them, and the env file reads them from those files.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from ..local_server import LocalServer, find_bindir

HOME = Path(".toolkit/fleet")
TENANTS = 3
WAVES = {1: "canary", 2: "early"}  # tenant number on server one -> wave; the rest is "rest"
ORDER = ("canary", "early", "rest")


def _servers() -> list[tuple[str, Path]]:
    embedded = find_bindir(embedded=True)
    system = find_bindir()
    return [("one", embedded), ("two", system if system != embedded else embedded)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stop", action="store_true", help="stop the demo's servers")
    args = parser.parse_args(argv)
    if args.stop:
        for label, _ in _servers():
            LocalServer(HOME / label).stop()
        print("fleet demo servers stopped")
        return 0

    entries, env = [], dict(os.environ)
    servers = {}
    for label, bindir in _servers():
        local = servers[label] = LocalServer(HOME / label, bindir=bindir).start()
        variable = f"FLEET_{label.upper()}_PASSWORD"
        env[variable] = local.pgpass.read_text().strip().rsplit(":", 1)[1]
        print(f"server {label}: {local.version()} on 127.0.0.1:{local.port}")
        for number in range(1, TENANTS + 1):
            name = f"tenant_{label}_{number}"
            local.ensure_database(name, fresh=True)
            wave = WAVES.get(number, "rest") if label == "one" else ("early" if number == 1 else "rest")
            entries.append((ORDER.index(wave), name, local, wave, variable))
    targets = HOME / "targets.toml"
    targets.write_text("".join(  # waves run in the order they first appear: the canary first
        f'[[target]]\nname = "{name}"\ndsn = "host=127.0.0.1 port={local.port} user={local.superuser} '
        f'dbname={name}"\nwave = "{wave}"\npassword_env = "{variable}"\n\n'
        for _, name, local, wave, variable in sorted(entries, key=lambda entry: entry[:2])))

    ledger = servers["one"]
    ledger.ensure_database("fleet_ledger")
    env_file = HOME / "env"
    env_file.write_text(
        f"export PGPASSFILE={ledger.pgpass.absolute()}\n"
        f"export TOOLKIT_LEDGER_DSN='host=127.0.0.1 port={ledger.port} user={ledger.superuser} dbname=fleet_ledger'\n"
        + "".join(f"export FLEET_{label.upper()}_PASSWORD=$(cut -d: -f5 {servers[label].pgpass.absolute()})\n"
                  for label in servers))
    env["TOOLKIT_LEDGER_DSN"] = ledger.target("fleet_ledger").dsn
    print(f"targets: {targets} ({TENANTS * len(servers)} tenants; waves canary, early, rest)\n")
    toolkit = [sys.executable, "-m", "toolkit", "fleet", "apply", "--targets", str(targets), "--parallel", "2"]
    code = subprocess.call(toolkit, env=env)
    print(f"\nSee where every tenant is:   . {env_file} && toolkit fleet status --targets {targets}")
    print("Stop the servers:            make demo-fleet-stop")
    return code


if __name__ == "__main__":
    sys.exit(main())
