"""GraphiQL in a real browser, with the network cut off: everything it needs comes from the service."""

import json

import pytest

from domain.vocabulary import Role
from tests.support import Server, new_area, token


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("graphiql")).start()
    yield running
    running.stop()


def editor(page, selector: str):
    """The CodeMirror editor under this selector, as a JavaScript expression."""
    page.wait_for_selector(f"{selector} .CodeMirror")
    return f"document.querySelector({json.dumps(selector + ' .CodeMirror')}).CodeMirror"


def test_graphiql_runs_a_query_offline_and_keeps_no_token(page, service):
    area = new_area(service)
    lead = token(Role.PARTNERSHIP_LEAD, area.partnership)
    page.goto(service.url)
    page.wait_for_selector(".graphiql-execute-button")
    query = "{ partnerships { name plans { title } } }"
    page.evaluate(f"{editor(page, '.graphiql-query-editor')}.setValue({json.dumps(query)})")
    headers = editor(page, ".graphiql-editor-tool .graphiql-editor:not(.hidden)")
    page.evaluate(f"{headers}.setValue({json.dumps(json.dumps({'Authorization': f'Bearer {lead}'}))})")
    page.click(".graphiql-execute-button")
    result = editor(page, ".result-window")
    page.wait_for_function(f"() => {result}.getValue().includes('partnerships')")  # (a function: an expression is eval'ed, which the CSP forbids)
    answer = json.loads(page.evaluate(f"{result}.getValue()"))
    assert answer == {"data": service.query(query, lead)}  # what the lead may see: its own partnership only
    assert [p["plans"] for p in answer["data"]["partnerships"]] == [[{"title": "WSoA"}]]
    assert page.requests_off_machine == []
    kept = page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])")
    assert lead not in kept and "Bearer" not in kept
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors


def test_the_landing_page_and_the_readme_work_offline(page, service):
    page.goto(f"http://127.0.0.1:{service.port}/")
    page.click("text=README")
    page.wait_for_selector("#set-up")
    page.go_back()
    page.click("text=The schema")
    assert "type Query" in page.inner_text("body")
    assert page.requests_off_machine == [] and page.console_errors == []
