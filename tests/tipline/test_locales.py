"""Which locales a deployment offers, and what start-up says about them (TIPLINE_LOCALES).

A fake locales folder: ``xx`` complete (English under another name), ``yy`` with a gap,
``ti`` complete but opted in only (its core term is unverified in GLOSSARY.md).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.factories import SHARED
from tests.tipline.test_cli import env, init, run  # noqa: F401 - env is a fixture
from tipline.locales import opt_in_locales
from tipline.runtime import Runtime
from tipline.settings import SettingsError, load_settings

REPO = Path(__file__).resolve().parents[2]
STATUS = """| locale | language | written by | how it was checked | native-speaker review |
|---|---|---|---|---|
| en | English | maintainers | tests | yes, a reviewer, 2026-11-30 |
| xx | Test | tests | tests | not yet |
| ti | Tigrinya | tests | tests | not yet |
"""


def _copy_english(root: Path, lang: str, *changes: tuple[str, str]) -> None:
    shutil.copytree(REPO / "locales" / "en", root / lang)
    po = root / lang / "LC_MESSAGES" / "tipline.po"
    text = po.read_text(encoding="utf-8").replace('"Language: en\\n"', f'"Language: {lang}\\n"')
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    po.write_text(text, encoding="utf-8")


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    root = tmp_path / "locales"
    root.mkdir()
    _copy_english(root, "en")
    _copy_english(root, "xx", ('msgstr "English"', 'msgstr "Xish"'),
                  ('msgstr "Hi, thanks for your message."', 'msgstr "Xish greeting."'))
    _copy_english(root, "yy", ('msgstr "Is anyone in danger right now?"', 'msgstr ""'))
    _copy_english(root, "ti")
    (root / "opt_in.toml").write_text('ti = "core term unverified"\n', encoding="utf-8")
    (root / "STATUS.md").write_text(STATUS, encoding="utf-8")
    return root


def settings_env(tmp_path: Path, locales: Path, **extra: str) -> dict[str, str]:
    return {"TIPLINE_DATA_DIR": str(tmp_path / "var"), "TIPLINE_LOCALES_DIR": str(locales), **extra}


def test_default_offers_complete_locales_except_opt_in_english_first(
    tmp_path: Path, locales: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        s = load_settings(settings_env(tmp_path, locales))
    assert s.locales == ("en", "xx") and s.default_locale == "en"
    assert any("yy" in r.getMessage() and "q.A2" in r.getMessage() for r in caplog.records)


def test_this_repository_offers_its_complete_locales_by_default(tmp_path: Path) -> None:
    s = load_settings({"TIPLINE_DATA_DIR": str(tmp_path / "var")})
    assert s.default_locale == "en" and s.locales[0] == "en"
    assert not set(s.locales) & set(opt_in_locales(REPO / "locales"))


def test_an_operator_enables_an_opt_in_locale_by_name_and_is_warned_about_review(
    tmp_path: Path, locales: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = load_settings(settings_env(tmp_path, locales, TIPLINE_LOCALES="en,xx,ti", TIPLINE_DEFAULT_LOCALE="en"))
    with caplog.at_level(logging.WARNING):
        engine = Runtime(s).engine
    assert engine.locales == ("en", "xx", "ti")
    unreviewed = {loc for loc in ("en", "xx", "ti") for r in caplog.records
                  if f"locale {loc} is enabled" in r.getMessage() and "native speaker" in r.getMessage()}
    assert unreviewed == {"xx", "ti"}


def test_start_up_refuses_an_enabled_locale_with_an_empty_message(tmp_path: Path, locales: Path) -> None:
    s = load_settings(settings_env(tmp_path, locales, TIPLINE_LOCALES="en,yy"))
    with pytest.raises(SettingsError, match=r"'yy'.*q\.A2"):
        Runtime(s).engine  # noqa: B018 - building it runs the start-up checks


def test_start_up_refuses_an_enabled_locale_without_a_catalog(tmp_path: Path, locales: Path) -> None:
    s = load_settings(settings_env(tmp_path, locales, TIPLINE_LOCALES="en,zz"))
    with pytest.raises(SettingsError, match="'zz'.*no catalog"):
        Runtime(s).engine  # noqa: B018 - building it runs the start-up checks


def test_a_folder_without_a_complete_catalog_needs_the_setting(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(SettingsError, match="TIPLINE_LOCALES"):
        load_settings(settings_env(tmp_path, tmp_path / "empty"))


def _glossary_unverified() -> set[str]:
    """Locales whose row 1 (human trafficking) GLOSSARY.md leaves unsourced or weakly sourced."""
    text = (SHARED / "domain" / "GLOSSARY.md").read_text(encoding="utf-8")
    found = set()
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        code = re.match(r"([a-z]{2}) - ", section)
        row = re.search(r"^\| 1 \| human trafficking \|.*$", section, flags=re.M)
        if code and row and re.search(r"unsourced|\(weak\)", row.group(0).rsplit("|", 2)[-2]):
            found.add(code.group(1))
    return found


def test_opt_in_locales_are_those_whose_core_term_the_glossary_leaves_unverified() -> None:
    assert set(opt_in_locales(REPO / "locales")) == _glossary_unverified() == {"ti", "so"}


def _make_catalogs_check() -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "-s", "catalogs-check"], cwd=REPO, capture_output=True, text=True, timeout=120)


def test_make_catalogs_check_passes_on_this_repository() -> None:
    result = _make_catalogs_check()
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.postgres
def test_chat_lang_speaks_a_locale_the_setting_leaves_out(
    tmp_path: Path, locales: Path, env: dict[str, str]  # noqa: F811 - the imported fixture
) -> None:
    env = {**env, "TIPLINE_LOCALES_DIR": str(locales), "TIPLINE_LOCALES": "en"}
    init(env)
    pinned = run(env, "chat", "--lang", "xx", stdin="hi\n").stdout
    assert "Xish greeting." in pinned  # the first reply already speaks xx
    refused = run(env, "chat", "--lang", "yy", stdin="hi\n", check=False)
    assert refused.returncode != 0 and "q.A2" in refused.stderr
