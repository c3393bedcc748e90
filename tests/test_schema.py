"""schema.graphql is the SDL of the code, and keeps the core contract."""

import subprocess
import sys
from pathlib import Path

from service.graphql.schema import schema

ROOT = Path(__file__).resolve().parent.parent
CHECK_CONTRACT = ROOT.parent / "shared" / "tools" / "check-contract"


def test_schema_graphql_is_the_exported_schema():
    assert (ROOT / "schema.graphql").read_text() == schema.as_str() + "\n", \
        "schema.graphql is stale: run `send-records schema > schema.graphql`"


def test_schema_keeps_the_core_contract():
    result = subprocess.run([sys.executable, str(CHECK_CONTRACT), str(ROOT / "schema.graphql")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_docs_roles_is_the_declared_roles_table():
    from service.commands import roles_table

    assert (ROOT / "docs" / "roles.md").read_text() == roles_table(), \
        "docs/roles.md is stale: run `send-records roles > docs/roles.md`"
