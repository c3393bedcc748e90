"""The send-records command line, run as users run it."""

import subprocess

import pytest

from tests.support import BIN, Server, environment, free_port


def run(tmp_path, *args, extra_env=None):
    env = {**environment(tmp_path), **(extra_env or {})}
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, env=env, timeout=60)


def test_token_prints_a_token_the_server_accepts_on_its_last_line(tmp_path):
    no_secret = {"SEND_RECORDS_JWT_SECRET": ""}  # none configured: one is generated in the data directory
    made = run(tmp_path, "token", "--role", "AUDITOR", "--subject", "auditor@dfe", extra_env=no_secret)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    assert (tmp_path / "jwt-secret").exists()
    server = Server(tmp_path, no_secret).start()
    try:
        assert server.query("{ partnerships { id } }", token) == {"partnerships": []}
    finally:
        server.stop()


def test_bad_arguments_give_one_line_and_a_non_zero_exit(tmp_path):
    for args in [("token", "--role", "KING", "--subject", "x"), ("token", "--role", "PARTNER", "--subject", "x"),
                 ("token", "--role", "PARTNERSHIP_LEAD", "--subject", "x"), ("serve", "--port", "http"),
                 ("serve", "--port", "99999"), ("serve", "--workers", "0"),
                 ("serve", "--workers", "2"), ("rebuild", "--workers", "-1"), ("frobnicate",), ()]:
        result = run(tmp_path, *args)
        assert result.returncode != 0, args
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_an_unusable_data_directory_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run(tmp_path, "demo", extra_env={"SEND_RECORDS_DATA_DIR": str(blocker / "data")})
    assert result.returncode == 1 and result.stderr.startswith("send-records: cannot use SEND_RECORDS_DATA_DIR")


def test_serve_demo_starts_with_the_story_loaded(tmp_path):
    server = Server(tmp_path).start("--demo")
    try:
        from tests.support import token

        names = {p["name"] for p in server.query("{ partnerships { name } }", token("AUDITOR"))["partnerships"]}
        assert names == {"Lancashire SEND Partnership", "BCP SEND Partnership", "Northbridge SEND Partnership (fictional)"}
    finally:
        server.stop()


def test_rebuild_replays_every_event_with_worker_processes(tmp_path):
    assert run(tmp_path, "demo").returncode == 0
    rebuilt = run(tmp_path, "rebuild", "--workers", "2")
    assert rebuilt.returncode == 0, rebuilt.stderr
    verified = run(tmp_path, "verify")
    events = int(verified.stdout.split("intact: ")[1].split()[0])
    assert rebuilt.stdout.strip() == f"rebuilt the read models from {events} events"


def test_each_command_says_which_store_and_secret_it_uses(tmp_path):
    made = run(tmp_path, "token", "--role", "AUDITOR", "--subject", "a@dfe")
    assert made.returncode == 0 and made.stdout.strip().splitlines()[-1].count(".") == 2  # the token, last
    lines = made.stderr.splitlines()
    assert f"send-records: store: embedded, {tmp_path.resolve()}/records.sqlite (new: nothing recorded yet)" in lines
    assert "send-records: signing secret: SEND_RECORDS_JWT_SECRET" in lines
    generated = run(tmp_path, "demo", extra_env={"SEND_RECORDS_JWT_SECRET": ""})
    assert f"send-records: signing secret: {tmp_path.resolve()}/jwt-secret (generated just now; " in generated.stderr
    assert f"send-records: store: embedded, {tmp_path.resolve()}/records.sqlite\n" in generated.stderr


def test_a_token_missing_a_flag_its_role_needs_names_the_flag(tmp_path):
    for args, says in [(("--role", "PARTNER"), "a PARTNER token needs --partnership ID and --agency ID"),
                       (("--role", "PARTNER", "--partnership", "p"), "a PARTNER token needs --agency ID"),
                       (("--role", "PARTNERSHIP_LEAD"), "a PARTNERSHIP_LEAD token needs --partnership ID"),
                       (("--role", "ADMIN", "--hours", "25"), "--hours must be more than 0 and at most 24")]:
        result = run(tmp_path, "token", "--subject", "x", *args)
        assert result.returncode == 2 and result.stderr.strip() == f"send-records: {says}", result.stderr


def test_verify_names_an_unknown_partnership_and_says_positions_as_checkpoints_do(tmp_path):
    import json

    assert run(tmp_path, "demo").returncode == 0
    unknown = run(tmp_path, "verify", "--partnership", "no-such-partnership")
    assert unknown.returncode == 2 and "send-records: no partnership has id 'no-such-partnership'" in unknown.stderr
    checkpoint = json.loads(run(tmp_path, "checkpoint").stdout)
    verified = run(tmp_path, "verify")
    assert verified.returncode == 0
    assert verified.stdout.strip().endswith(f"head at position {checkpoint['position']}, hash {checkpoint['hash']}")


def test_an_unreachable_database_says_why(tmp_path, postgres_server):
    from urllib.parse import urlsplit, urlunsplit

    from tests.support import free_port

    server = urlsplit(postgres_server[1])
    user, _, place = server.netloc.rpartition("@")

    def on_server(user: str, database: str) -> str:
        return urlunsplit(server._replace(netloc=f"{user}@{place}", path=f"/{database}"))

    for url, says in [(f"postgresql://u@127.0.0.1:{free_port()}/db", "connection refused"),
                      ("postgresql://u@no-such-host.invalid:5432/db", "unknown host 'no-such-host.invalid'"),
                      (on_server("nobody_here", "postgres"), "authentication failed for user 'nobody_here'"),
                      (on_server(user.partition(":")[0], "no_such_db"), "the database 'no_such_db' does not exist")]:
        result = run(tmp_path, "demo", extra_env={"DATABASE_URL": url})
        assert result.returncode == 1 and says in result.stderr, (url, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name, value, named", [
    ("SEND_RECORDS_WEBHOOK_RETRY_SECONDS", "5,soon", "SEND_RECORDS_WEBHOOK_RETRY_SECONDS"),
    ("SEND_RECORDS_WEBHOOK_TIMEOUT_SECONDS", "0", "SEND_RECORDS_WEBHOOK_"),  # (one line names the webhooks' settings)
    ("SEND_RECORDS_FEED_POLL_SECONDS", "abc", "SEND_RECORDS_FEED_POLL_SECONDS"),
    ("SEND_RECORDS_SUBSCRIBER_BUFFER", "abc", "SEND_RECORDS_SUBSCRIBER_BUFFER"),
    ("SEND_RECORDS_SUBSCRIBER_BUFFER", "0", "SEND_RECORDS_SUBSCRIBER_BUFFER"),
    ("SEND_RECORDS_WS_PING_SECONDS", "0", "SEND_RECORDS_WS_PING_SECONDS"),
    ("SEND_RECORDS_GRAPHIQL", "maybe", "SEND_RECORDS_GRAPHIQL"),
])
def test_a_bad_setting_stops_serve_with_one_line_naming_it(tmp_path, name, value, named):
    result = subprocess.run([str(BIN), "serve", "--port", str(free_port())], capture_output=True, text=True,
                            env={**environment(tmp_path), name: value}, timeout=60)
    assert result.returncode == 1 and result.stderr.startswith(f"send-records: {named}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
