"""schema.graphql is the SDL of the code, and keeps the core contract; the schema runs its extensions' hooks."""

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from service.graphql.schema import RecordsSchema, schema

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


@strawberry.type
class Small:
    @strawberry.field
    def ok(self) -> int:
        return 1

    @strawberry.field
    def fails(self) -> int:
        raise ValueError("no")


def test_an_extensions_operation_hook_runs_around_each_operation_and_sees_its_result():
    seen = []

    class Watching(SchemaExtension):
        async def on_operation(self):
            seen.append(("before", self.execution_context.result))
            yield
            result = self.execution_context.result
            seen.append(("after", result.data, [error.message for error in result.errors or ()]))

    small = RecordsSchema(query=Small, extensions=[Watching])
    assert asyncio.run(small.execute("{ ok }")).data == {"ok": 1}
    assert asyncio.run(small.execute("{ fails }")).errors[0].message == "no"
    assert asyncio.run(small.execute("{ nothing }")).errors[0].message.startswith("Cannot query field 'nothing'")
    assert seen == [("before", None), ("after", {"ok": 1}, []), ("before", None), ("after", None, ["no"]),
                    ("before", None), ("after", None, ["Cannot query field 'nothing' on type 'Small'."])]


class OnExecute(SchemaExtension):
    def on_execute(self):
        yield


class SyncOperation(SchemaExtension):
    def on_operation(self):
        yield


@pytest.mark.parametrize("extension, refused", [(OnExecute, "OnExecute.on_execute"),
                                                (SyncOperation, "SyncOperation.on_operation (not an async generator)")])
def test_a_hook_the_schema_would_not_run_is_refused_when_it_is_built(extension, refused):
    with pytest.raises(TypeError, match=re.escape(refused)):
        RecordsSchema(query=Small, extensions=[extension])
