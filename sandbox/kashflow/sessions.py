"""The two-step KashFlow login as the sandbox runs it.

`POST /sessiontoken` checks user name and password and asks for three letters of the
memorable word by 1-based position; `PUT /sessiontoken` checks them (case-insensitively)
and issues a session token that expires after a sliding window of inactivity.
"""

from __future__ import annotations

import hmac
import random
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.kashflow.config import SandboxConfig


class LoginRefused(Exception):
    def __init__(self, error: str, message: str) -> None:
        self.error = error
        self.message = message
        super().__init__(message)


@dataclass
class _Pending:
    positions: list[int]
    expires: float


class Sessions:
    def __init__(self, config: SandboxConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.clock = clock
        self._pending: dict[str, _Pending] = {}
        self._active: dict[str, float] = {}
        self._lock = threading.Lock()
        self._random = random.SystemRandom()
        self.logins = 0

    def start(self, username: str | None, password: str | None) -> tuple[str, list[int]]:
        """Step one: the temporary token and the memorable-word positions asked for."""
        expected_user = self.config.username
        expected_password = self.config.password.get_secret_value()
        if not (
            username is not None
            and password is not None
            and hmac.compare_digest(username.lower().encode(), expected_user.lower().encode())
            and hmac.compare_digest(password.encode(), expected_password.encode())
        ):
            raise LoginRefused("InvalidCredentials", "The username or password is incorrect.")
        word = self.config.memorable_word.get_secret_value()
        count = min(3, len(word))
        positions = sorted(self._random.sample(range(1, len(word) + 1), count))
        token = secrets.token_hex(16)
        with self._lock:
            self._pending[token] = _Pending(
                positions, self.clock() + self.config.temporary_token_seconds
            )
        return token, positions

    def confirm(self, temporary_token: str | None, answers: dict[int, str]) -> str:
        """Step two: the letters asked for, against the session token."""
        with self._lock:
            pending = self._pending.pop(temporary_token or "", None)
        if pending is None or pending.expires < self.clock():
            raise LoginRefused("InvalidTemporaryToken", "Temporary token is invalid or expired.")
        word = self.config.memorable_word.get_secret_value().lower()
        for position in pending.positions:
            given = (answers.get(position) or "").strip().lower()
            if given != word[position - 1]:
                raise LoginRefused(
                    "InvalidMemorableWord", "The memorable word characters are incorrect."
                )
        token = secrets.token_hex(24)
        with self._lock:
            self._active[token] = self.clock()
            self.logins += 1
        return token

    def check(self, token: str) -> bool:
        """True when the token is live; each use slides its inactivity window."""
        now = self.clock()
        with self._lock:
            last = self._active.get(token)
            if last is None:
                return False
            if now - last > self.config.session_timeout_seconds:
                del self._active[token]
                return False
            self._active[token] = now
            return True

    def end(self, token: str) -> bool:
        with self._lock:
            return self._active.pop(token, None) is not None

    def expire_all(self) -> int:
        with self._lock:
            count = len(self._active)
            self._active.clear()
            return count
