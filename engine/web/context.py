"""What every page needs: the engine, the decision store and the web tables, and the clocks."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from argon2 import PasswordHasher

from ..authoring.lint import LintReport, lint_policy
from ..evaluation.evaluator import Engine
from ..log.store import LogStore
from ..report.figures import Labels
from .accounts import Accounts
from .auth import LoginLimiter, Sessions
from .db import utc_now
from .drafts import Drafts
from .editing import EditDrafts
from .forms import RequestForm
from .i18n import Translator
from .tokens import ApiTokens
from .uploads import UploadJobs, UploadRunner
from .verifying import Verifications

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# A file up to this size is evaluated in the request that uploads it (the answer is its summary); a larger
# one in a background job with a progress page.
INLINE_UPLOAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class WebConfig:
    """How the application behaves; the defaults are what ``engage serve`` uses."""

    repo: Path | None = None  # git repository whose revisions the impact page offers (default: the rules' own)
    today: Callable[[], date] = date.today  # the evaluation date of new decisions
    now: Callable[[], datetime] = utc_now  # sessions and failed sign-ins
    hasher: PasswordHasher | None = None  # argon2-cffi's defaults
    expiring_days: int = 30  # exceptions ending within this many days are highlighted
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    inline_upload_bytes: int = INLINE_UPLOAD_BYTES
    secure_cookies: bool | None = None  # None: only over https
    api_calls_per_minute: int = 120  # per API token (engine/web/api/access.py)


def git_toplevel(directory: str | Path) -> Path | None:
    """The git repository that holds ``directory``, if any."""
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
        )
    except (FileNotFoundError, NotADirectoryError):
        return None
    return Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None


@dataclass
class Web:
    engine: Engine
    store: LogStore
    config: WebConfig
    accounts: Accounts = field(init=False)
    sessions: Sessions = field(init=False)
    tokens: ApiTokens = field(init=False)
    limiter: LoginLimiter = field(init=False)
    drafts: Drafts = field(init=False)
    edits: EditDrafts = field(init=False, default_factory=EditDrafts)  # the rule editor's drafts, per author
    uploads: UploadJobs = field(init=False)
    runner: UploadRunner = field(init=False)
    verifications: Verifications = field(init=False)
    form: RequestForm = field(init=False)
    labels: Labels = field(init=False)
    repo: Path | None = field(init=False)
    _lint: LintReport | None = field(init=False, default=None)
    _labels: dict[str, Labels] = field(init=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.accounts = Accounts(self.store, self.config.hasher, self.config.now)
        self.sessions = Sessions(self.store, self.accounts, self.config.now)
        self.tokens = ApiTokens(self.store, self.accounts, self.config.now)
        self.limiter = LoginLimiter(self.store, self.config.now)
        self.drafts = Drafts(self.store, self.config.now)
        self.uploads = UploadJobs(self.store, self.config.now)
        self.runner = UploadRunner()
        self.verifications = Verifications(self.store, self.config.now)
        policy = self.engine.policy
        optional = {g.name: g.only_when for g in policy.fields.groups if g.only_when}
        self.form = RequestForm(policy.request_schema, Translator()("form.leave_blank"), optional)
        self.labels = Labels.of(self.engine.policy)
        self.repo = self.config.repo or git_toplevel(self.engine.policy.rules_dir or ".")

    def labels_in(self, t: Translator) -> Labels:
        """The policy's words for its codes in ``t``'s language (made once per language: the policy never changes)."""
        from .present import labels_in

        with self._lock:
            if t.lang not in self._labels:
                self._labels[t.lang] = labels_in(t, self.engine.policy)
            return self._labels[t.lang]

    def lint(self) -> LintReport:
        """The lint report of the rules in force (computed once: the policy never changes while served)."""
        with self._lock:
            if self._lint is None:
                self._lint = lint_policy(self.engine.policy, self.engine)
            return self._lint
