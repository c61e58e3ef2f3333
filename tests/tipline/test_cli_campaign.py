"""``tipline campaign poster`` and ``campaign links`` (issue 14), through click's CliRunner."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path
from typing import Iterator

import pytest
import zxingcpp
from click.testing import CliRunner, Result
from PIL import Image

from tipline.cli import main
from tipline.runtime import Runtime
from tipline.settings import Settings
from triage import fonts

BOT = "tipline_demo_bot"


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        "TIPLINE_DATA_DIR": str(tmp_path / "var"), "TIPLINE_SECRETS_DIR": str(settings.secrets_dir),
        "TIPLINE_DATABASE_URL": settings.database_url, "TIPLINE_LOCALES": "en,es,ar", "TIPLINE_REGION": "US",
        "TIPLINE_TELEGRAM_BOT_USERNAME": f"@{BOT}", "TIPLINE_TWILIO_FROM": "+15550100199",
    }


@pytest.fixture(autouse=True)
def _keep_logging_and_umask() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    umask = os.umask(0o022)
    os.umask(umask)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    os.umask(umask)


def tipline(env: dict[str, str], *args: str) -> Result:
    obj: dict[str, Runtime] = {}
    return CliRunner().invoke(main, list(args), env=env, obj=obj)


def test_links_list_every_area_and_enabled_language(env: dict[str, str]) -> None:
    result = tipline(env, "campaign", "links")
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.output.splitlines() if "\t" in line]
    assert len(rows) == 4 * 3  # the US areas times en, es, ar
    assert ["south", "es", f"https://t.me/{BOT}?start=es-south"] in rows
    only = tipline(env, "campaign", "links", "--area", "west")
    assert {r.split("\t")[0] for r in only.output.splitlines() if "\t" in r} == {"west"}
    wrong = tipline(env, "campaign", "links", "--area", "mars")
    assert wrong.exit_code != 0 and "unknown area 'mars'" in wrong.output and "northeast" in wrong.output
    missing = tipline({**env, "TIPLINE_TELEGRAM_BOT_USERNAME": ""}, "campaign", "links")
    assert missing.exit_code != 0 and "TIPLINE_TELEGRAM_BOT_USERNAME is not set" in missing.output


def test_the_poster_is_written_and_its_qr_code_scans_to_the_first_languages_link(
    env: dict[str, str], tmp_path: Path
) -> None:
    try:
        fonts.find("arabic")
    except fonts.FontMissing as exc:
        pytest.skip(f"{exc} (make setup-system)")
    png = tmp_path / "wall.png"
    result = tipline(env, "campaign", "poster", "--lang", "ar", "--lang", "en", "--area", "south",
                     "--format", "png", "--size", "letter", "--out", str(png))
    assert result.exit_code == 0, result.output
    scanned = [f.text for f in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.read_bytes())))]
    assert scanned == [f"https://t.me/{BOT}?start=ar-south"]
    pdf = tmp_path / "wall.pdf"
    assert tipline(env, "campaign", "poster", "--lang", "es", "--area", "west", "--out", str(pdf)).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")


def test_the_poster_says_what_is_missing(env: dict[str, str], tmp_path: Path) -> None:
    out = str(tmp_path / "p.pdf")
    nobody = tipline({**env, "TIPLINE_TWILIO_FROM": ""}, "campaign", "poster", "--lang", "es", "--area", "south",
                     "--out", out)
    assert nobody.exit_code != 0 and "set TIPLINE_TWILIO_FROM or pass --sms-number" in nobody.output
    service = tipline({**env, "TIPLINE_TWILIO_FROM": "MG0123456789abcdef0123456789abcdef"}, "campaign", "poster",
                      "--lang", "es", "--area", "south", "--out", out)
    assert service.exit_code != 0 and "pass the number people text as --sms-number" in service.output
    unknown = tipline(env, "campaign", "poster", "--lang", "xx", "--area", "south", "--out", out)
    assert unknown.exit_code != 0 and "no catalog for 'xx'" in unknown.output
    area = tipline(env, "campaign", "poster", "--lang", "es", "--area", "mars", "--out", out)
    assert area.exit_code != 0 and "unknown area 'mars'" in area.output
    assert not Path(out).exists()
