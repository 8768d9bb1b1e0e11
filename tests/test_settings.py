"""Settings come from the environment and refuse to start production misconfigured.

Each case runs Python in a subprocess with a clean environment, so nothing of the test run leaks in.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.once  # settings read in subprocesses: .ci/run runs these once

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **env}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean_env, capture_output=True, text=True, timeout=120
    )


def production_env(**changes: str) -> dict[str, str]:
    env = {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "service.example.com"}
    env.update(changes)
    return env


def test_development_defaults_import_cleanly():
    result = run(["-c", "import servicedesk.settings as s; print(s.DEBUG)"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_production_without_secret_key_refuses_to_start():
    result = run(["-c", "import servicedesk.settings"], DEBUG="0")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize("value", ["maybe", "2", "tru"])
def test_bad_debug_value_refuses_to_start(value):
    result = run(["-c", "import servicedesk.settings"], DEBUG=value)
    assert result.returncode != 0
    assert f"DEBUG={value!r} is not a boolean" in result.stderr


def test_bad_number_refuses_to_start():
    result = run(["-c", "import servicedesk.settings"], AXES_FAILURE_LIMIT="five")
    assert result.returncode != 0
    assert "AXES_FAILURE_LIMIT='five' is not a whole number" in result.stderr


def test_bad_time_zone_refuses_to_start():
    result = run(["-c", "import servicedesk.settings"], TIME_ZONE="Mars/Base")
    assert result.returncode != 0
    assert "TIME_ZONE='Mars/Base' is not a known time zone" in result.stderr


def test_deploy_check_passes_with_the_minimal_production_env():
    """DEBUG=0, SECRET_KEY and ALLOWED_HOSTS are all production needs: the rest defaults to safe values."""
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_file_email_url_writes_mails_to_that_directory(tmp_path):
    """EMAIL_URL=file:///dir used to be accepted and then fail every send (no EMAIL_FILE_PATH)."""
    mail_dir = tmp_path / "mail" / "out"  # created at start-up
    script = (
        "import django; django.setup();"
        "from django.conf import settings; from django.core.mail import send_mail;"
        "print(settings.EMAIL_FILE_PATH);"
        "send_mail('Hello', 'Body', 'a@example.test', ['b@example.test'])"
    )
    result = run(
        ["-c", script], DJANGO_SETTINGS_MODULE="servicedesk.settings", EMAIL_URL=f"file://{mail_dir}"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(mail_dir)
    files = list(mail_dir.iterdir())
    assert len(files) == 1 and "Subject: Hello" in files[0].read_text()


@pytest.mark.parametrize("url", ["file://", "file://relative/mail", "file:///"])
def test_file_email_url_without_an_absolute_directory_refuses_to_start(url):
    result = run(["-c", "import servicedesk.settings"], EMAIL_URL=url)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "needs an absolute directory" in result.stderr


def test_file_email_url_with_an_unusable_directory_refuses_to_start(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run(["-c", "import servicedesk.settings"], EMAIL_URL=f"file://{blocker}/mail")
    assert result.returncode != 0
    assert "cannot create the mail directory" in result.stderr
