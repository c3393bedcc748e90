import pytest

from tests.support import Server


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One running service for the HTTP tests; each test works in partnerships of its own."""
    running = Server(tmp_path_factory.mktemp("data")).start()
    yield running
    running.stop()
