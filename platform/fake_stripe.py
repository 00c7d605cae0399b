"""localstripe, the stateful fake Stripe, on loopback: `make run` and the tests start this.

    python platform/fake_stripe.py --port 8420 [--state .data/localstripe.pickle]

localstripe's own launcher binds every interface and keeps its state in
/tmp/localstripe.pickle, shared by every run on the machine. This one binds 127.0.0.1,
keeps the state in --state (survives restarts of `make run`) or only in memory
(from scratch, as the tests want), and serves the same API and stand-in Stripe.js
(/js.stripe.com/v3/). Webhook endpoints are registered after start
(POST /_config/webhooks/{id}); they are not kept across restarts.
"""

import argparse
import logging
import os
import pickle
from pathlib import Path

from aiohttp import web
from localstripe import resources
from localstripe.server import app


def state_file_use(path: Path | None) -> None:
    """Point localstripe's persistence at `path`, or turn it off (None)."""

    def load(store) -> None:
        if path and path.exists():
            with open(path, "rb") as f:
                store.clear()
                store.update(pickle.load(f))

    def dump(store) -> None:
        if path is None:
            return
        temporary = path.with_name(path.name + ".tmp")
        with open(temporary, "wb") as f:
            pickle.dump(dict(store), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = dump


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--state", type=Path, help="file to keep the state in (default: memory)")
    args = parser.parse_args()
    state_file_use(args.state)
    resources.store.try_load_from_disk()
    logging.basicConfig(level=logging.INFO, format="localstripe: %(message)s")
    print(f"localstripe listening on http://{args.host}:{args.port}", flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
