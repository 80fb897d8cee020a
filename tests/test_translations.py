"""The Russian catalogue is complete and current: every message the sources hold is in it and
translated, and the compiled django.mo that Django reads is the one built from it.

Fixing a failure: `make messages`, translate what is new or empty in locale/ru/LC_MESSAGES/
django.po, then `make messages` again to compile, and commit both files.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import polib
import pytest
from django.conf import settings
from django.utils import translation

ROOT = pathlib.Path(settings.BASE_DIR)
CATALOGUE = ROOT / "locale" / "ru" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")


def _keys(catalogue: polib.POFile) -> set[tuple[str | None, str, str]]:
    return {(entry.msgctxt, entry.msgid, entry.msgid_plural) for entry in catalogue}


def test_every_message_is_translated():
    catalogue = polib.pofile(str(CATALOGUE))
    assert len(catalogue) > 500, "the catalogue holds far fewer messages than the app shows"
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} messages have no Russian: {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} translations are marked fuzzy: {fuzzy[:10]}"
    unplaced = [e.msgid for e in catalogue if e.msgid_plural and len(e.msgstr_plural) != 4]
    assert not unplaced, f"Russian plurals need all four forms: {unplaced[:10]}"


@pytest.mark.slow
def test_the_catalogue_holds_what_the_sources_say(tmp_path):
    """makemessages on a copy of the tree finds exactly the catalogue's messages."""
    copy = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".venv", ".git", "var", "node_modules", "__pycache__"),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "ru"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "leadflow.settings"},
    )
    extracted = _keys(polib.pofile(str(copy / CATALOGUE.relative_to(ROOT))))
    committed = _keys(polib.pofile(str(CATALOGUE)))
    missing = sorted(extracted - committed, key=str)
    unused = sorted(committed - extracted, key=str)
    assert not missing, f"{len(missing)} messages are not in the catalogue: {missing[:10]}"
    assert not unused, f"{len(unused)} catalogue entries are used nowhere: {unused[:10]}"


def test_the_compiled_catalogue_is_built_from_the_current_one(tmp_path):
    built = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(built), str(CATALOGUE)], check=True)
    assert built.read_bytes() == COMPILED.read_bytes(), "django.mo is stale: run make messages"


def test_django_reads_the_russian_catalogue():
    with translation.override("ru"):
        assert translation.gettext("Save") == "Сохранить"
        assert translation.pgettext("default funnel", "Inquiry") == "Запрос"
