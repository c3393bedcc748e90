"""The GraphQL clients portal developers use, run for real against a running service (the `server` fixture).

The Node clients are installed from the npm registry at the versions `node/package-lock.json` pins, into a cache
folder outside the repository (SEND_RECORDS_NODE_CACHE, default ~/.cache/send-records/node-clients), once per
lock file; where Node.js or npm is missing, their tests skip, saying so. Each script in `node/` prints one line of
JSON, which the tests read.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import Area, Server, new_area

HERE = Path(__file__).parent
NODE = HERE / "node"
ROOT = HERE.parent.parent
AS_OF = "2019-12-31"  # a day when the plan of `then_and_now` was APPROVED; it is SUPERSEDED now


def cache_folder() -> Path:
    configured = os.environ.get("SEND_RECORDS_NODE_CACHE")
    base = Path(configured) if configured else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "send-records" / "node-clients"
    lock = hashlib.sha256((NODE / "package.json").read_bytes() + (NODE / "package-lock.json").read_bytes()).hexdigest()
    return base / lock[:16]


def installed() -> Path:
    """The pinned packages' node_modules, installed with `npm ci` the first time (by whichever test run gets there
    first: each installs into a folder of its own and moves it into place)."""
    folder = cache_folder()
    if (folder / "node_modules").is_dir():
        return folder / "node_modules"
    partial = folder.with_name(f"{folder.name}.{uuid.uuid4().hex[:8]}")
    partial.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(NODE / name, partial / name)
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                          cwd=partial, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise RuntimeError(f"npm ci failed:\n{done.stdout}\n{done.stderr}")
    try:
        partial.rename(folder)
    except OSError:  # another run installed the same lock meanwhile
        shutil.rmtree(partial, ignore_errors=True)
    return folder / "node_modules"


@dataclass
class NodeClients:
    folder: Path  # the scripts, beside node_modules and the service's schema.graphql

    def run(self, *command: str, cwd: str = ".", timeout: float = 180, **env: str) -> subprocess.CompletedProcess:
        done = subprocess.run(list(command), cwd=self.folder / cwd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **env})
        assert done.returncode == 0, f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        return done

    def script(self, script: str, timeout: float = 180, **env: str) -> dict:
        """What a client script reports (its last line of output)."""
        done = self.run("node", script, timeout=timeout, **env)
        return json.loads(done.stdout.strip().splitlines()[-1])

    def bin(self, name: str) -> str:
        return str(self.folder / "node_modules" / ".bin" / name)


@pytest.fixture(scope="session")
def node_clients(tmp_path_factory) -> NodeClients:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: the client tests run the real Node clients "
                    "(apt-get install nodejs npm)")
    modules = installed()
    folder = tmp_path_factory.mktemp("node-clients")
    shutil.copytree(NODE, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns("node_modules", "generated", "__generated__"))
    (folder / "node_modules").symlink_to(modules)
    shutil.copy(ROOT / "schema.graphql", folder / "schema.graphql")  # the same as GET /schema.graphql (a test says so)
    return NodeClients(folder)


@dataclass
class ThenAndNow:
    """A plan APPROVED as of AS_OF, with two actions then (one started), and SUPERSEDED now, with three."""

    area: Area
    plan: str
    actions_then: list[str]

    def env(self, server: Server) -> dict:
        return {"SERVICE_URL": server.url, "TOKEN": self.area.auditor, "PLAN_ID": self.plan, "AS_OF": AS_OF}


@pytest.fixture(scope="session")
def then_and_now(server) -> ThenAndNow:
    area = new_area(server)
    early = [server.ok("addAction", {"planId": area.plan, "priorityAreaId": area.priority_area, "title": title,
                                     "ownerAgencyId": area.council, "dueOn": "2019-03-31", "effectiveOn": "2018-04-01"},
                       area.lead, "action { id }")["action"]["id"] for title in ("Publish the local offer", "Audit EHC plans")]
    server.ok("submitPlan", {"planId": area.plan, "on": "2018-04-15"}, area.lead)
    server.ok("approvePlan", {"planId": area.plan, "on": "2018-06-01"}, area.inspector)
    server.ok("startAction", {"actionId": early[0], "effectiveOn": "2018-07-01"}, area.lead)
    improvement = server.ok("draftPlan", {"partnershipId": area.partnership, "kind": "IMPROVEMENT_PLAN",
                                          "title": "Improvement Plan", "effectiveOn": "2020-01-10"},
                            area.lead, "plan { id }")["plan"]["id"]
    server.ok("supersedePlan", {"planId": area.plan, "supersededBy": improvement, "on": "2020-06-01"}, area.lead)
    return ThenAndNow(area, area.plan, early)
