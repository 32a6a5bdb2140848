"""A runner process that has already imported the toolkit, and forks one child per run.

The crash walks kill a runner at each of ~40 statement boundaries; starting a new interpreter and importing
psycopg, pglast and the toolkit each time was most of their time. A fork of a process that has imported them
runs the same code from the same files, and the child is killed just the same (TOOLKIT_DEBUG_KILL_AT is read
again in the child). The forking process never connects to a database, so a child shares no connection.
"""

from __future__ import annotations

import json
import subprocess
import sys

_FORKER = r"""
import json, os, sys
import toolkit.cli, toolkit.api, toolkit.plan, toolkit.catalog.fingerprint
import toolkit.runner.session, toolkit.runner.executor
from toolkit.runner import faults

for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        os.environ.update(request["env"])
        faults._KILL_AT, faults._passed = int(os.environ.get("TOOLKIT_DEBUG_KILL_AT") or 0), 0
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        try:
            toolkit.cli.cli.main(request["args"], prog_name="toolkit")
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        except BaseException:
            code = 70
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(json.dumps(os.waitstatus_to_exitcode(status)), flush=True)
"""


class PrewarmedRunner:
    """run(args, env) -> the child's exit code, negative for the signal that killed it (as Popen says)."""

    def __init__(self):
        self.process = subprocess.Popen([sys.executable, "-c", _FORKER], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def run(self, args: list[str], env: dict[str, str]) -> int:
        self.process.stdin.write(json.dumps({"args": args, "env": env}) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError("the prewarmed runner died")
        return json.loads(answer)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
