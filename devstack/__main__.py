"""``make run``: the local stack on http://127.0.0.1:$PORT (default 8000)."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    started = time.perf_counter()
    port = int(os.environ.get("PORT", "8000"))
    host = os.environ.get("HOST", "127.0.0.1")
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))

    # The stage's environment first, then what only the launcher knows (the port).
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    os.environ.update(config.get("environment_variables", {}))
    os.environ.update(config["stages"]["local"].get("environment_variables", {}))
    os.environ.setdefault("FREIGABE_PUBLIC_BASE_URL", f"http://{host}:{port}")

    from devstack import fastmoto
    from devstack.environment import prepare_aws, seed_demo, start_mock, start_s3_server

    mock = start_mock()
    # The media bucket's stand-in must answer the browser: moto's server mode on 127.0.0.1
    # (S3_PORT, else a free port), its URL the endpoint the app presigns for.
    s3_server, s3_url = start_s3_server("127.0.0.1", int(os.environ.get("S3_PORT", "0")))
    os.environ["FREIGABE_S3_ENDPOINT_URL"] = s3_url
    # Only here: the test suite's in-process moto stays moto's own code.
    # DEVSTACK_PLAIN_MOTO=1 keeps it here too (to compare, or to rule the patches out).
    fast = os.environ.get("DEVSTACK_PLAIN_MOTO") != "1" and fastmoto.install()
    from chalicelib.config import Settings
    from chalicelib.wiring import Container, install

    settings = Settings.from_env()
    prepare_aws(settings)
    container = Container(settings)
    install(container)
    seeded = seed_demo(container)

    from chalice.config import Config
    from chalice.local import LocalDevServer, ThreadedHTTPServer

    class Server(ThreadedHTTPServer):
        # The stdlib default backlog of 5 makes a burst of parallel clients see SYN retries.
        request_queue_size = 128
        daemon_threads = True

    import app as application

    chalice_config = Config.create(
        chalice_stage="local", app_name="freigabe", project_dir=str(ROOT),
        config_from_disk=config, environment_variables=dict(os.environ),
    )
    server = LocalDevServer(application.app, chalice_config, host, port, server_cls=Server)

    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        if not stopping.is_set():
            stopping.set()
            # shutdown() blocks until serve_forever returns: call it from another thread.
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    from devstack import webhook_worker

    webhook_worker.start(container, application.webhook_sender, stopping)

    print("freigabe local stack (moto in-process: DynamoDB, SES, EventBridge, SQS, KMS; "
          "S3 in server mode)")
    if not fast:
        print("  note: moto's own Query and transactions (slow as the tables grow): "
              f"DEVSTACK_PLAIN_MOTO=1 or moto is not {fastmoto.MOTO_VERSION}")
    for line in seeded:
        print("  " + line)
    print(f"  outbox  http://{host}:{port}/dev/outbox")
    print(f"  S3 stand-in (media bucket {settings.media_bucket})  {s3_url}")
    print(f"ready in {time.perf_counter() - started:.1f}s, serving on http://{host}:{port}",
          flush=True)
    try:
        server.serve_forever()
    finally:
        server.server.server_close()
        s3_server.stop()
        mock.stop()
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
