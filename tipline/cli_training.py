"""``tipline training``: start a practice sandbox, run its console, score what the trainee did."""

from __future__ import annotations

import time
from pathlib import Path

import click

from storage.crypto import CryptoError
from storage.db import read_only
from tipline import training
from tipline.cli_unlock import fail, runtime_of
from tipline.install import InstallError
from tipline.runtime import Runtime
from tipline.settings import SettingsError
from tipline.training_report import debrief, score
from tipline.training_scripts import ScriptError, make_tips

_DIR = click.option("--dir", "folder", default="training", show_default=True, type=click.Path(path_type=Path),
                    help="The sandbox's own folder (never the live data, database or secrets).")


@click.group("training")
def training_group() -> None:
    """A practice space for new staff: its own database and keys, synthetic tips, a report."""


@training_group.command("start")
@_DIR
@click.option("--reset", is_flag=True, help="Delete an earlier sandbox in that folder first.")
@click.pass_context
def start(ctx: click.Context, folder: Path, reset: bool) -> None:
    """Make the sandbox: its own keys and database, the live queues, a trainee, five synthetic tips."""
    live = runtime_of(ctx).settings
    try:
        if reset:
            training.reset(live, folder)
        rt, passphrase = training.create(live, folder)
    except (training.TrainingError, InstallError, SettingsError, CryptoError) as exc:
        raise fail(str(exc)) from None
    try:
        started = time.time()
        made = make_tips(rt)
        training.save_state(folder.resolve(), made, started)
    except ScriptError as exc:
        raise fail(f"the synthetic tips could not be made: {exc}") from None
    finally:
        rt.db.dispose()
    click.echo(f"Training sandbox ready in {folder.resolve()} ({len(made)} synthetic tips and one follow-up).")
    click.echo("Nothing in it is real, and nothing leaves it: no provider credentials, no on-call alerts.")
    click.echo("")
    click.echo(f"  Trainee login: {training.TRAINEE}   passphrase, shown once: {passphrase}")
    click.echo("")
    click.echo(f"Start its console:  tipline training console --dir {folder}   (http://127.0.0.1:8002/login)")
    click.echo(f"Score the work:     tipline training report --dir {folder}")


@training_group.command("console")
@_DIR
@click.option("--port", default=8002, show_default=True, type=int)
@click.pass_context
def console(ctx: click.Context, folder: Path, port: int) -> None:
    """Run the staff console on the sandbox (127.0.0.1 only, the training banner on every page)."""
    from tipline.console_server import run_console

    try:
        settings, _, _ = training.load(runtime_of(ctx).settings, folder)
        rt = Runtime(settings)
        rt.check_ready()
        rt.engine  # noqa: B018 - region and languages, checked before the fork
    except (training.TrainingError, SettingsError, CryptoError) as exc:
        raise fail(str(exc)) from None
    try:
        with training.console_lock(folder):
            click.echo(f"Training console on http://127.0.0.1:{port}/login (Ctrl-C stops it).")
            run_console(settings, host="127.0.0.1", port=port, workers=1)
    except training.TrainingError as exc:
        raise fail(str(exc)) from None


@training_group.command("report")
@_DIR
@click.pass_context
def report(ctx: click.Context, folder: Path) -> None:
    """Score the trainee's casework in the sandbox against the rules and print a debrief."""
    try:
        settings, made, _ = training.load(runtime_of(ctx).settings, folder)
    except training.TrainingError as exc:
        raise fail(str(exc)) from None
    rt = Runtime(settings)
    try:
        with read_only(rt.db) as conn:
            checks = score(conn, routing=rt.routing, tip_ids=made)
    finally:
        rt.db.dispose()
    click.echo(debrief(checks))


def register(main: click.Group) -> None:
    main.add_command(training_group)
