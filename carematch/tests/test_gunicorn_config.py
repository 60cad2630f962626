"""gunicorn.conf.py, the app servers' settings in production, loads as gunicorn reads it and
sets what a deployment relies on: a worker timeout, a graceful shutdown, workers a core,
recycled workers and a control socket (each overridable by its environment variable)."""

from __future__ import annotations

from pathlib import Path

from gunicorn.config import Config

CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def loaded(monkeypatch, **env: str) -> Config:
    for name in ("CAREMATCH_BIND", "CAREMATCH_WORKERS", "CAREMATCH_WORKER_TIMEOUT", "CAREMATCH_CONTROL_SOCKET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    namespace: dict[str, object] = {"__file__": str(CONFIG)}
    exec(compile(CONFIG.read_text(), str(CONFIG), "exec"), namespace)  # noqa: S102 - the repository's own file
    config = Config()
    for name, value in namespace.items():
        if name in config.settings:
            config.set(name, value)
    return config


def test_the_defaults_serve_on_localhost_with_bounded_workers(monkeypatch):
    config = loaded(monkeypatch)
    assert config.bind == ["127.0.0.1:8000"]
    assert config.worker_class_str == "sync" and config.workers >= 1
    assert config.timeout == 60 and config.graceful_timeout == 30
    assert config.max_requests == 20000 and config.max_requests_jitter == 2000
    assert config.control_socket_mode == 0o600


def test_the_environment_sets_address_workers_timeout_and_control_socket(monkeypatch, tmp_path):
    config = loaded(monkeypatch, CAREMATCH_BIND="unix:/run/carematch.sock", CAREMATCH_WORKERS="3",
                    CAREMATCH_WORKER_TIMEOUT="90", CAREMATCH_CONTROL_SOCKET=str(tmp_path / "one.ctl"))
    assert config.bind == ["unix:/run/carematch.sock"]
    assert config.workers == 3 and config.timeout == 90
    assert config.control_socket == str(tmp_path / "one.ctl")
