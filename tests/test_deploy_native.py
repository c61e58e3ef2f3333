"""deploy/compose.yaml's tipline services, run natively (issue 13): no image is built and no container
runs on this machine (no Docker daemon, no image registry), so each service's ``command`` runs here
as written, with the environment the file gives it (its ``env_file`` too), the volumes and secrets it
mounts mapped to folders of a temporary directory, and the machine's PostgreSQL for the ``postgres``
service. What changes, and why: the ports (other processes share this machine) and the address the
servers bind (127.0.0.1, not 0.0.0.0). init with the passphrase file, then serve and console answer
/readyz (serve's healthcheck command too), the worker runs its rounds, and each stops on SIGTERM.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.serving import TIPLINE, free_port, ready, start, stop

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
PASSPHRASE = "a first admin passphrase for compose"


def _env_file(path: Path) -> dict[str, str]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _database(compose_url: str, machine_url: str) -> str:
    """compose's URL (its scheme kept: postgresql://) pointed at this machine's test schema."""
    ours = urlsplit(machine_url)
    return f"{urlsplit(compose_url).scheme}://{ours.netloc}{ours.path}" + (f"?{ours.query}" if ours.query else "")


def _service_env(compose: dict[str, Any], name: str, root: Path, database_url: str) -> dict[str, str]:
    """The service's environment with its mounts mapped under ``root``: volume folders, /run/secrets files."""
    service = compose["services"][name]
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(root / "home")}
    env.update(_env_file(DEPLOY / "tipline.env.example"))  # what 'cp tipline.env.example tipline.env' gives
    env.update({key: str(value) for key, value in service["environment"].items()})
    mounts = {target: root / "volumes" / volume for volume, target in (v.split(":")[:2] for v in service["volumes"])}
    for secret in service.get("secrets", []):
        mounts[f"/run/secrets/{secret}"] = root / "secrets" / secret
    for key, value in env.items():
        for target, here in mounts.items():
            if value == target or value.startswith(target + "/"):
                env[key] = str(here) + value[len(target):]
    env["TIPLINE_DATABASE_URL"] = _database(env["TIPLINE_DATABASE_URL"], database_url)
    return env


def _command(compose: dict[str, Any], name: str, port: int | None = None) -> list[str]:
    args = [str(a) for a in compose["services"][name]["command"]]
    for option, value in (("--host", "127.0.0.1"), ("--port", str(port))):
        if option in args:
            args[args.index(option) + 1] = value
    return args


@pytest.fixture
def compose(tmp_path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    for volume in ("data", "secrets", "console-secrets"):
        (tmp_path / "volumes" / volume).mkdir(parents=True, mode=0o700)
    (tmp_path / "secrets").mkdir(mode=0o700)
    (tmp_path / "home").mkdir(mode=0o700)
    passphrase = tmp_path / "secrets" / "admin_passphrase"
    passphrase.write_text(PASSPHRASE)
    passphrase.chmod(0o600)  # as the README makes it
    return loaded


def test_the_compose_services_commands_run_as_written(compose: dict[str, Any], tmp_path: Path, backend: str,
                                                      database_url: str) -> None:
    if backend != "postgres":
        pytest.skip("the compose file runs PostgreSQL")
    env = {name: _service_env(compose, name, tmp_path, database_url) for name in ("init", "serve", "console",
                                                                                  "worker")}
    done = subprocess.run([TIPLINE, *_command(compose, "init")],
                          env=env["init"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "Initialised" in done.stdout, done.stderr
    assert PASSPHRASE not in done.stdout + done.stderr
    assert "readable by" not in done.stderr  # the file is 0600: no warning
    ports = {"serve": free_port(), "console": free_port()}
    running = {name: start(_command(compose, name, ports[name]), env[name]) for name in ports}
    running["worker"] = start(_command(compose, "worker"), env["worker"])
    try:
        assert ready(running["serve"], ports["serve"])["status"] == "ready"
        assert ready(running["console"], ports["console"])["status"] == "ready"
        probe = compose["services"]["serve"]["healthcheck"]["test"]  # ["CMD", "python", "-c", "..."]
        script = probe[3].replace("127.0.0.1:8000", f"127.0.0.1:{ports['serve']}")
        assert subprocess.run([sys.executable, "-c", script], timeout=30).returncode == 0
        assert running["worker"].poll() is None  # its rounds run; it did not stop on a setting
    finally:
        stopped = {name: stop(process) for name, process in running.items()}
    for name, result in stopped.items():
        assert result.returncode == 0, (name, result.stderr[-3000:])
        assert "Traceback" not in result.stderr and " ERROR " not in result.stderr, (name, result.stderr[-3000:])
