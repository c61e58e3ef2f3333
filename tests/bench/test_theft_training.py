"""The theft drill with a training sandbox on the live host (issue 14).

``tipline training start`` runs in the drill's install; the thief copies the sandbox's folder
with the live database and secrets.  Nothing of the live line is in the sandbox, none of the
sandbox's keys opens the live line, the live copy holds no trace of the sandbox.  Then the
checks are shown able to fail: a live marker, a live secret folder or a sandbox number planted
where it must not be is reported, and the drill's target is missed.
"""

from __future__ import annotations

import shutil
from contextlib import nullcontext
from pathlib import Path
from typing import Iterator

import pytest

from bench import theft_training as tt
from bench.theft import stolen_records
from bench.theft_attack import KeyRing, key_ring
from bench.theft_carve import Record
from bench.theft_scenario import Line, copy_stolen, current_interviews, old_interviews, open_line, pass_the_windows

Stolen = tuple[Line, Path, Path, str, list[Record], KeyRing]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def stolen(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stolen]:
    from tests.conftest import PG_URL

    if request.param == "postgres" and PG_URL is None:
        pytest.skip("no PostgreSQL")
    from bench.theft_postgres import own_schema

    with own_schema(PG_URL) if request.param == "postgres" and PG_URL else nullcontext(None) as url:
        line = open_line(url)
        try:
            old_interviews(line)
            pass_the_windows(line)
            current_interviews(line)
            folder, passphrase = tt.start_sandbox(line)
            copy = copy_stolen(line, tmp_path_factory.mktemp("stolen"))
            records, _ = stolen_records(line, copy)
            yield line, folder, copy, passphrase, records, key_ring(copy / "secrets", line.clock())
        finally:
            line.close()


def _attack(s: Stolen, copy: Path) -> tt.SandboxFindings:
    line, _, _, passphrase, records, ring = s
    return tt.attack_sandbox(line, copy, passphrase, records, ring)


def _fresh_copy(s: Stolen, tmp_path: Path) -> Path:
    return tt.copy_sandbox(s[1], tmp_path)


def test_the_sandbox_sits_beside_the_live_folders_and_gives_up_nothing_of_the_live_line(
    stolen: Stolen, tmp_path: Path,
) -> None:
    line, folder, live_copy, _, _, _ = stolen
    assert folder.parent == line.rt.settings.data_dir.parent and (folder / "data" / "db").is_dir()
    found = _attack(stolen, tt.copy_sandbox(folder, live_copy))
    print(tt.render(found))
    assert found.files >= 5 and found.records > 0 and found.opened_own > 0, "the thief reads the sandbox's own data"
    assert found.live_values >= 40 and found.secrets_checked >= 100
    assert found.live_blobs_tried > 100 and found.envelopes_tried > 0 and found.trainee_queue_keys >= 3
    assert not found.live_in_files and not found.live_in_opened and not found.secret_copies
    assert found.live_blobs_opened == 0 and found.envelopes_opened == 0 and not found.sandbox_in_live
    assert found.met


def test_a_live_marker_copied_into_the_sandbox_is_found(stolen: Stolen, tmp_path: Path) -> None:
    copy = _fresh_copy(stolen, tmp_path)
    marker = next(iter(stolen[0].planted.markers))
    (copy / "data" / "notes.txt").write_text(f"copied from the live line: {marker}\n", encoding="utf-8")
    found = _attack(stolen, copy)
    assert found.live_in_files == ["live marker in notes.txt"] and not found.met


def test_a_sandbox_holding_the_live_secrets_is_caught_opening_the_live_line(stolen: Stolen, tmp_path: Path) -> None:
    copy = _fresh_copy(stolen, tmp_path)
    shutil.rmtree(copy / "secrets")
    shutil.copytree(stolen[2] / "secrets", copy / "secrets")  # a sandbox made with the live keys
    found = _attack(stolen, copy)
    assert found.secret_copies and found.live_blobs_opened > 0 and not found.met


def test_a_sandbox_number_in_the_live_copy_is_found(stolen: Stolen, tmp_path: Path) -> None:
    copy = _fresh_copy(stolen, tmp_path / "sandbox")
    live = tmp_path / "live"
    shutil.copytree(stolen[2] / "secrets", live / "secrets")
    shutil.copytree(copy, live / "training")
    (live / "secrets" / "leak.txt").write_text("+15550100102\n", encoding="utf-8")
    found = _attack(stolen, live / "training")
    assert found.sandbox_in_live == ["a sandbox reporter's number in the live copy"] and not found.met
