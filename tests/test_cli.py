"""The send-records command line, run as users run it."""

import subprocess

from tests.support import BIN, Server, environment


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
        assert names == {"Lancashire SEND Partnership", "BCP SEND Partnership"}
    finally:
        server.stop()


def test_rebuild_replays_every_event_with_worker_processes(tmp_path):
    assert run(tmp_path, "demo").returncode == 0
    rebuilt = run(tmp_path, "rebuild", "--workers", "2")
    assert rebuilt.returncode == 0, rebuilt.stderr
    verified = run(tmp_path, "verify")
    events = int(verified.stdout.split("intact: ")[1].split()[0])
    assert rebuilt.stdout.strip() == f"rebuilt the read models from {events} events"
