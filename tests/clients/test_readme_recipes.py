"""Every recipe in the README's "For portal developers" is copied from a client test that runs it: the code between
`README: <name>` and `README end` in the file the README names."""

import re
import textwrap

from tests.clients.conftest import ROOT

RECIPE = re.compile(r"<!-- recipe: (\S+) from (\S+) -->\n```\w*\n(.*?)```", re.S)


def marked(path: str, name: str) -> str:
    text = (ROOT / path).read_text()
    found = re.search(rf"^[ \t]*(?://|#) README: {re.escape(name)}\n(.*?)^[ \t]*(?://|#) README end$", text, re.S | re.M)
    assert found, f"{path} marks no recipe {name!r}"
    return textwrap.dedent(found.group(1))


def test_each_recipe_is_the_code_a_test_runs():
    recipes = RECIPE.findall((ROOT / "README.md").read_text())
    assert {name for name, _, _ in recipes} == {"apollo", "urql", "graphcache", "relay", "graphql-ws", "codegen", "gql",
                                                "gql-websocket"}
    for name, path, code in recipes:
        assert code == marked(path, name), f"the README's {name} recipe differs from {path}"
