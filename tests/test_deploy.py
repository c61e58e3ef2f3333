"""The deployment files under deploy/ (issue 13): systemd units and a compose file a person can start.

Each unit is parsed, holds the hardening the README promises, and passes ``systemd-analyze verify``
where systemd is installed (any warning fails: an unknown key is otherwise silently ignored); the
compose file parses (and passes ``docker compose config`` where that exists); and every ``tipline``
command line in them parses with the real CLI, options included.
"""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from tipline.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = ("tipline-serve.service", "tipline-console.service", "tipline-worker@.service")
INSTALLED = "/opt/tipline/.venv/bin/tipline"
TIPLINE_SERVICES = ("init", "serve", "console", "worker")


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment, method-assign]  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / "systemd" / name).read_text(encoding="utf-8"))
    return parser


def _parses(args: list[str]) -> str:
    """The subcommand's name, once the real CLI parsed the arguments (an unknown option raises)."""
    name, rest = args[0], args[1:]
    command = main.commands.get(name)
    assert command is not None, f"no 'tipline {name}' command"
    with click.Context(main) as parent:
        command.make_context(name, list(rest), parent=parent)
    return name


@pytest.mark.parametrize("name", UNITS)
def test_a_unit_is_hardened_and_runs_a_real_command(name: str) -> None:
    service = _unit(name)["Service"]
    assert service["User"] == "tipline" and service["EnvironmentFile"] == "/etc/tipline/tipline.env"
    assert service["Restart"] == "on-failure"
    for key, value in (("NoNewPrivileges", "yes"), ("PrivateTmp", "yes"), ("ProtectSystem", "strict"),
                       ("ProtectHome", "yes"), ("UMask", "0077")):
        assert service[key] == value, key
    writable = service["ReadWritePaths"].split()
    assert "/var/lib/tipline" in writable and "/srv/tipline-secrets" in writable
    exe, *args = shlex.split(service["ExecStart"])
    assert exe == INSTALLED
    expected = name.split("-")[1].split("@")[0].split(".")[0]
    assert _parses(args) == expected
    assert _unit(name)["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_verifies_the_units(tmp_path: Path) -> None:
    tipline = shutil.which("tipline") or str(Path(__import__("sys").executable).with_name("tipline"))
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8").replace(INSTALLED, tipline)
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "tipline-worker@1.service").write_text((tmp_path / UNITS[2]).read_text(encoding="utf-8"))
    names = [str(tmp_path / n) for n in (*UNITS[:2], "tipline-worker@1.service")]
    done = subprocess.run(["systemd-analyze", "verify", *names], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_compose_file_runs_the_line_behind_caddy() -> None:
    compose = _compose()
    services = compose["services"]
    assert {"postgres", "serve", "console", "worker", "caddy", "init"} <= set(services)
    for name in TIPLINE_SERVICES:
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert "secrets:/srv/tipline-secrets" in service["volumes"]
        assert _parses(service["command"]) == name
    for name in ("init", "console"):  # init makes the on-call rota key there; only the console reads it
        assert "console-secrets:/srv/tipline-console-secrets" in services[name]["volumes"]
    assert all("console-secrets" not in volume for volume in services["serve"]["volumes"])
    assert all(port.startswith("127.0.0.1:") for port in services["console"]["ports"])  # never public
    assert "ports" not in services["serve"]  # only through Caddy
    assert services["caddy"]["volumes"][0] == "./Caddyfile:/etc/caddy/Caddyfile:ro"
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy serve:8000" in caddyfile and "/webhooks/twilio/sms" in caddyfile
    assert {"data", "secrets", "console-secrets", "pgdata"} <= set(compose["volumes"])
    # The project name for both docker compose and docker-compose 1.29 (which refuses a top-level "name:").
    assert "COMPOSE_PROJECT_NAME=tipline" in (DEPLOY / ".env").read_text(encoding="utf-8").splitlines()


def test_the_dockerfile_copies_what_exists_and_runs_tipline() -> None:
    lines = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines()
    copied = [part for line in lines if line.startswith("COPY ") for part in line.split()[1:-1]]
    assert copied and all((ROOT / part).exists() for part in copied), copied
    assert 'ENTRYPOINT ["tipline"]' in lines
    assert any("-c constraints.txt" in line for line in lines)  # the pinned versions (README)


def _compose_command() -> list[str] | None:
    """A real compose implementation: the docker compose plugin, else Debian's docker-compose
    (``make setup-system`` installs it); ``config`` needs no daemon."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    found = shutil.which("docker-compose")
    return [found] if found else None


def _deploy_copy(tmp_path: Path) -> Path:
    """deploy/ as an operator prepares it (README, "Docker compose"), in a copy: the repository is not touched."""
    folder = tmp_path / "deploy"
    folder.mkdir()
    for name in ("compose.yaml", ".env", "Caddyfile"):
        shutil.copy(DEPLOY / name, folder / name)
    shutil.copy(DEPLOY / "tipline.env.example", folder / "tipline.env")
    for name in ("db-password", "admin-passphrase"):
        (folder / name).touch(mode=0o600)
    return folder


def _config(compose: list[str], folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*compose, "-f", str(folder / "compose.yaml"), "config"], capture_output=True, text=True,
                          timeout=120, cwd=folder, env={"PATH": "/usr/local/bin:/usr/bin:/bin", **env})


@pytest.mark.skipif(_compose_command() is None, reason="neither 'docker compose' nor 'docker-compose' is installed "
                    "('make setup-system' installs Debian's docker-compose as root)")
def test_a_compose_implementation_accepts_the_file(tmp_path: Path) -> None:
    compose = _compose_command()
    assert compose is not None
    folder = _deploy_copy(tmp_path)
    done = _config(compose, folder, TIPLINE_DB_PASSWORD="pw", TIPLINE_PUBLIC_HOST="tips.example.org")
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    assert set(resolved["services"]) >= {"postgres", "init", "serve", "console", "worker", "caddy"}
    env = resolved["services"]["worker"]["environment"]
    assert env["TIPLINE_DATABASE_URL"] == "postgresql://tipline:pw@postgres/tipline"  # compose's value wins
    assert env["TIPLINE_REGION"] == "US"  # and tipline.env is read
    assert resolved["services"]["caddy"]["environment"]["TIPLINE_PUBLIC_HOST"] == "tips.example.org"
    missing = _config(compose, folder, TIPLINE_PUBLIC_HOST="tips.example.org")  # no password: refused, saying so
    assert missing.returncode != 0 and "set TIPLINE_DB_PASSWORD" in missing.stderr
