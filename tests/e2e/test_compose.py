"""docker-compose.yml and the Dockerfile against the code: Docker does not run on these
machines, so the production shape is checked by reading it. Every `hlm …` command a service
runs (as its command or its health check) parses with the real command line, and every HLM_
variable is a setting that validates."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.core import TyperGroup

from infra.cli.main import app
from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
APP_SERVICES = ("init", "api", "projector", "relay")


def parse_hlm(argv: list[str]) -> list[str]:
    """Parse `hlm …` with the CLI's own parser (no command runs): the path of commands
    reached. Raises typer's usage errors (TyperException) for an unknown command or option, a
    missing or invalid value."""
    assert argv[0] == "hlm", argv
    command: Any = typer.main.get_command(app)
    name, args, parent = "hlm", argv[1:], None
    path: list[str] = []
    while isinstance(command, TyperGroup):
        ctx = typer.Context(command, info_name=name, parent=parent)
        # parses the group's own options; returns what follows the subcommand's name
        after = command.parse_args(ctx, list(args))
        index = len(args) - len(after) - 1
        if index < 0 or (command.invoke_without_command
                         and args[index] not in command.commands):
            if not command.invoke_without_command:
                raise typer.BadParameter(f"{' '.join(argv)}: a subcommand is needed")
            return path  # the group runs by itself (`hlm relay`)
        name, command, args = command.resolve_command(ctx, [args[index], *after])
        path.append(name)
        parent = ctx
    command.make_context(name, list(args), parent=parent)
    return path


def hlm_commands(service: dict[str, Any]) -> list[list[str]]:
    """The `hlm` command lines of a service: its command and its health check."""
    found = []
    command = service.get("command")
    if command:
        found.append(command if isinstance(command, list) else shlex.split(command))
    test = service.get("healthcheck", {}).get("test")
    if isinstance(test, list) and test[:2] == ["CMD", "hlm"]:
        found.append(test[1:])
    return [c for c in found if c and c[0] == "hlm"]


def interpolate(value: str) -> str:
    """Compose's `${VAR:-default}` / `${VAR:?error}` / `${VAR}` with nothing set."""
    def one(match: re.Match[str]) -> str:
        body = match.group(1)
        if ":-" in body:
            return body.split(":-", 1)[1]
        return "s" * 40  # a required variable: some value the operator gives

    return re.sub(r"\$\{([^}]*)\}", one, value)


def test_the_production_shape_has_every_service_with_health_checks() -> None:
    assert set(SERVICES) >= {"postgres", "kafka", *APP_SERVICES}
    assert SERVICES["kafka"]["image"].startswith("apache/kafka:")
    kafka_env = SERVICES["kafka"]["environment"]
    assert kafka_env["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, one node
    for name, service in SERVICES.items():
        if name != "init":  # one-shot
            assert "healthcheck" in service, name
        for dependency in service.get("depends_on", {}):
            assert dependency in SERVICES, (name, dependency)
    for name in ("api", "projector", "relay"):
        assert SERVICES[name]["depends_on"]["init"]["condition"] == \
            "service_completed_successfully"
    assert SERVICES["init"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert SERVICES["relay"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    relay_env = SERVICES["relay"]["environment"]
    assert relay_env["HLM_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert relay_env["HLM_KAFKA_TOPIC"] == "hlm.evenements"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_service_runs_an_existing_command_with_existing_options(name: str) -> None:
    commands = hlm_commands(SERVICES[name])
    assert commands, f"{name} runs no hlm command"
    expected = {"init": ["init"], "api": ["serve"], "projector": ["project"],
                "relay": ["relay"]}[name]
    assert parse_hlm(commands[0]) == expected
    for command in commands[1:]:
        parse_hlm(command)


def test_the_parser_used_above_refuses_what_the_cli_refuses() -> None:
    assert parse_hlm(["hlm", "relay", "status", "--max-lag", "5"]) == ["relay", "status"]
    for bad in (["hlm", "relay", "--no-such-option"], ["hlm", "nope"],
                ["hlm", "project", "--batch-size", "many"], ["hlm", "projections"],
                ["hlm", "tail", "--group"]):
        with pytest.raises(typer.TyperException):
            parse_hlm(bad)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_service_variable_is_a_setting_that_validates(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {k: interpolate(str(v)) for k, v in SERVICES[name].get("environment", {}).items()}
    hlm = {k: v for k, v in env.items() if k.startswith("HLM_")}
    assert hlm, name
    unknown = {k for k in hlm if k[4:].lower() not in Settings.model_fields}
    assert not unknown, f"{name}: not settings: {unknown}"
    import os
    for key in [k for k in os.environ if k.startswith("HLM_")]:
        monkeypatch.delenv(key)
    for key, value in hlm.items():
        monkeypatch.setenv(key, value)
    settings = Settings()  # validates every value as the container would
    assert settings.uses_postgres
    if name == "relay":
        assert (settings.kafka_bootstrap, settings.kafka_topic) == ("kafka:9092",
                                                                    "hlm.evenements")


def test_the_dockerfile_installs_every_package_and_runs_an_existing_command() -> None:
    text = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) \1$", text, flags=re.M))
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in
                pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= copied, packages - copied
    cmd = re.search(r"^CMD (\[.*\])$", text, flags=re.M)
    assert cmd is not None
    assert parse_hlm(yaml.safe_load(cmd.group(1))) == ["serve"]
    env_names = re.findall(r"\b(HLM_\w+)=", text)
    assert env_names and all(n[4:].lower() in Settings.model_fields for n in env_names)


def test_http_health_checks_hit_routes_the_api_serves(client) -> None:
    """The api service's health check URL is a route of the app, answered without a token."""
    compose = Path(__file__).resolve().parents[2] / "docker-compose.yml"
    paths = re.findall(r"http://127\.0\.0\.1:8000(/[\w/]+)", compose.read_text())
    assert paths, "no HTTP health check found in docker-compose.yml"
    for path in paths:
        assert client.get(path).status_code == 200, path
