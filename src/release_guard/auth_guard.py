"""check-auth: the credentials twine would send with the upload, checked before it happens.

The project's name and config are read from its files; the target is chosen with release's
rules (`release.resolve_target`: flags, RELEASE_GUARD_*, TWINE_REPOSITORY(_URL), the
repository key; a target the project's own file names is refused); the credentials are
found in twine's order (`index.credentials`: TWINE_USERNAME/TWINE_PASSWORD, the .pypirc
section, keyring only with --keyring). When the password is a token, the project's page is
read once from the index, within the config timeout, to tell a first release (`--offline`
skips that read and says so). `checks.auth` decides; nothing secret is ever printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from release_guard import config as config_mod
from release_guard.checks import auth as checks
from release_guard.errors import IndexError_
from release_guard.findings import Finding
from release_guard.index.credentials import UploadCredentials, upload_credentials
from release_guard.index.targets import Repository, sanitize_url
from release_guard.output import emit


def _read(args: argparse.Namespace) -> tuple[str, config_mod.Config]:
    """The project's name (as text: check-auth needs no version, so it runs no code) and config."""
    from release_guard.name_guard import read_name

    name, _, cfg = read_name(args, "check-auth")
    return name, cfg


def _shown(target: Repository) -> str:
    url = sanitize_url(target.upload_url)
    return url if target.name is None else f"{target.name} ({url})"


def _trusted_publishing(environ: Mapping[str, str]) -> tuple[str, str]:
    """(the CI that offers twine an OIDC token, a CI that could but lacks the permission)."""
    if environ.get("GITHUB_ACTIONS") == "true":
        if environ.get("ACTIONS_ID_TOKEN_REQUEST_URL") and environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
            return "GitHub Actions", ""
        return "", "GitHub Actions"
    if environ.get("GITLAB_CI") and (environ.get("PYPI_ID_TOKEN") or environ.get("TESTPYPI_ID_TOKEN")):
        return "GitLab CI/CD", ""
    return "", ""


def _shared_config(credentials: UploadCredentials) -> str:
    """The .pypirc holding the password, with its mode, when other users may read it."""
    if credentials.config_file is None:
        return ""
    try:
        mode = Path(credentials.config_file).expanduser().stat().st_mode & 0o777
    except OSError:
        return ""
    return f"{credentials.config_file} (mode {mode:04o})" if mode & 0o077 else ""


def _on_index(target: Repository, name: str, cfg: config_mod.Config,
              args: argparse.Namespace) -> tuple[bool | None, str]:
    """(whether the project is on the index, why it was not read): one read, within the timeout."""
    if args.offline:
        return None, "--offline"
    from release_guard import release
    from release_guard.index import UNREACHABLE_HINT

    try:
        page = release.read_page(target, name, cfg)
    except IndexError_ as exc:
        if exc.unreachable:
            raise IndexError_(exc.message, hint=f"{UNREACHABLE_HINT.partition(';')[0]}; --offline skips "
                              "this read (and the first-release check)", unreachable=True) from None
        raise
    return page.exists, ""


def extra_findings(project_dir: str, cfg: config_mod.Config, name: str) -> list[Finding]:
    """What the publish workflows in .github/workflows give twine (secrets, `id-token: write`,
    tag triggers): the workflow lint, RG530-RG539."""
    from release_guard import workflows

    return workflows.findings(project_dir, cfg.tag_format, name)


def findings_for(args: argparse.Namespace, name: str, cfg: config_mod.Config,
                 only_with_credentials: bool = False) -> tuple[list[Finding], str] | None:
    """check-auth's findings and ok line; None when `only_with_credentials` and twine would find
    no password (check's auth row then says it was skipped)."""
    from release_guard import release, tag_guard
    from release_guard.index.pypirc import _twine_default_urls

    repository, from_project = tag_guard._repository(cfg, args)
    credentials = upload_credentials(repository, args.repository_url, args.config_file, os.environ,
                                     repository_from_project=from_project, use_keyring=args.keyring)
    password = credentials.password.value
    if only_with_credentials and password is None:
        return None  # before the target: check reads a project-chosen index, and uploads nothing
    target, _ = release.resolve_target(args, cfg)  # an upload's target: a project-chosen one is refused
    on_index, not_read = None, "the password is no token"
    if password is not None and checks.is_token(password):
        on_index, not_read = _on_index(target, name, cfg, args)
    offered, missing = _trusted_publishing(os.environ)
    known = tuple((key, checks.host_of(url)) for key, url in _twine_default_urls().items())
    facts = checks.AuthFacts(
        project=name, target=_shown(target), upload_url=target.upload_url,
        twine_default=credentials.twine_default, username=credentials.username, password=credentials.password,
        now=int(time.time()), known_indexes=known, on_index=on_index, not_read=not_read,
        interactive=sys.stdin is not None and sys.stdin.isatty(),
        unread_variables=tuple(v for v in checks.UNREAD_VARIABLES if os.environ.get(v)),
        trusted_publishing=offered, oidc_missing=missing, keyring=credentials.keyring,
        shared_config=_shared_config(credentials))
    return checks.check(facts) + extra_findings(args.project, cfg, name), checks.ok_line(facts)


def cmd_check_auth(args: argparse.Namespace) -> int:
    from release_guard import extra

    extra.require("check-auth", extra.WORKFLOW_LINT)
    name, cfg = _read(args)
    found = findings_for(args, name, cfg)
    assert found is not None
    findings, ok = found
    return emit(findings, args.format, os.environ, ok, cfg.ignore)
