"""gunicorn's settings for carematch in production: `gunicorn -c gunicorn.conf.py carematch.wsgi`.

carematch's requests are short and CPU-bound (matching runs in the worker), so a sync worker
a core serves best; put a reverse proxy (nginx, Caddy) in front for TLS, slow clients and
keep-alive, and set CAREMATCH_BEHIND_TLS_PROXY=1. Each setting can be changed by the
environment variable beside it; anything on gunicorn's command line wins over this file.
"""

from __future__ import annotations

import multiprocessing
import os

# Where the proxy reaches this app server: an address (127.0.0.1:8000) or unix:/run/carematch.sock.
bind = [os.environ.get("CAREMATCH_BIND", "127.0.0.1:8000")]

# One sync worker a core: a match is pure CPU once its two queries are answered, so more
# workers than cores only queue inside the kernel instead of behind the proxy.
workers = int(os.environ.get("CAREMATCH_WORKERS", multiprocessing.cpu_count()))
worker_class = "sync"

# A worker silent this long is killed and replaced. Every request carematch serves is short;
# the longest, a first snapshot build of a large directory, stays under it.
timeout = int(os.environ.get("CAREMATCH_WORKER_TIMEOUT", "60"))
# On a restart or shutdown (SIGTERM, HUP), requests in flight get this long to finish.
graceful_timeout = int(os.environ.get("CAREMATCH_GRACEFUL_TIMEOUT", "30"))
# Seconds an idle keep-alive connection from the proxy stays open.
keepalive = 5

# A worker is replaced after this many requests (with jitter, so that not all go at once),
# which bounds any slow growth of memory.
max_requests = int(os.environ.get("CAREMATCH_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10

# The control socket, for `gunicornc -s PATH` (worker status, adding or removing workers,
# graceful reload) without signals. Only its owner may use it. Each app server on a machine
# needs its own path; without CAREMATCH_CONTROL_SOCKET, gunicorn's default
# ($XDG_RUNTIME_DIR/gunicorn.ctl, else ~/.gunicorn/gunicorn.ctl).
if os.environ.get("CAREMATCH_CONTROL_SOCKET"):
    control_socket = os.environ["CAREMATCH_CONTROL_SOCKET"]
control_socket_mode = 0o600

# Requests larger than these are refused by gunicorn before Django sees them.
limit_request_line = 8190
limit_request_fields = 100

# The proxy's address is trusted for X-Forwarded-* (the proxy runs on the same machine).
forwarded_allow_ips = os.environ.get("CAREMATCH_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access lines name the method, path and status, never a query string's or body's contents
# (a path carries only record ids); errors go to the same stream as Django's own log.
accesslog = "-" if os.environ.get("CAREMATCH_ACCESS_LOG", "1") == "1" else None
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("CAREMATCH_GUNICORN_LOG_LEVEL", "info")

# The application is loaded in each worker, after the fork, so that no database connection or
# snapshot is shared between processes.
preload_app = False
