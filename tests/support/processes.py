"""`python -m bot …` as a real child process, for tests and the load benchmark."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import bot

REPO = Path(bot.__file__).resolve().parents[1]
# The settings of the developer's shell that must not reach a test: the bot's own variables.
PREFIXES = ("QABOT_", "TELEGRAM_")


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any QABOT_/TELEGRAM_ setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)}
    env.update(PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1", **extra)
    return env


def qabot(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


class BotProcess:
    """`qabot …` in the background; its output goes to a file so a chatty DEBUG log never blocks it."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = open(log_path, "w")
        self.process = subprocess.Popen([sys.executable, "-m", "bot", *args], env=env, cwd=REPO,
                                        stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, then the exit status (killed if it does not exit within `timeout`)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self._log.close()

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
