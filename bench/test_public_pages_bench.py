"""`make bench`: the public pages an article shared widely sends readers to, for anonymous
visitors, against the trivial /api/ping on the same gunicorn (production config, page cache
on). Prints requests/s, p50/p99 and the ratio per page (targets: >= 0.5x ping's rate, p99 <
50 ms); results in bench-results/public_pages.json. Numbers, not assertions.
"""

import json
import os

from django.core.management import call_command

from bench.harness import CONNECTIONS, DONE, RESULTS, ROOT, THREADS, gunicorn_server, wrk_run
from courses.catalog.services import curriculum_load
from courses.models import Article, Comment

SECONDS = int(os.environ.get("BENCH_PUBLIC_SECONDS", "10"))
COMMENTS = 60


def _pages() -> dict[str, str]:
    curriculum_load(path=ROOT / "courses" / "data" / "craniosacral-therapy.yaml")
    call_command("load_articles", verbosity=0)
    article = Article.objects.get()
    Comment.objects.bulk_create(
        Comment(article=article, author_name=f"Reader {n}", author_email="r@example.org",
                body="Thank you.", body_html="<p>Thank you.</p>", status="approved")
        for n in range(COMMENTS)
    )  # fmt: skip
    return {
        "catalog": "/",
        "course page": "/courses/craniosacral-therapy/",
        "preview lesson": "/courses/craniosacral-therapy/lessons/1/",
        "articles": "/articles/",
        "article (60 comments)": article.get_absolute_url(),
    }


def test_public_pages_against_trivial_view(transactional_db, tmp_path, capsys):
    pages = _pages()
    script = tmp_path / "get.lua"
    script.write_text(DONE)
    results = {}
    with gunicorn_server(tmp_path, PUBLIC_PAGE_CACHE_S="600") as (server, pgid):
        wrk_run(f"{server}/api/ping", script, 2)  # warm the workers
        for path in pages.values():
            wrk_run(f"{server}{path}", script, 1)  # fill the cache once
        ping = wrk_run(f"{server}/api/ping", script, SECONDS, pgid)
        for name, path in pages.items():
            run = wrk_run(f"{server}{path}", script, SECONDS, pgid)
            run["ratio"] = round(run["requests_per_s"] / ping["requests_per_s"], 3)
            run["targets_met"] = run["ratio"] >= 0.5 and run["p99_ms"] < 50
            results[name] = run
    summary = {
        "ping": ping,
        "pages": results,
        "seconds": SECONDS,
        "wrk": f"-t{THREADS} -c{CONNECTIONS}",
        "cores": os.cpu_count(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "public_pages.json").write_text(json.dumps(summary, indent=2))
    with capsys.disabled():
        print(f"\n[bench] /api/ping: {ping['requests_per_s']} req/s, p99 {ping['p99_ms']} ms")
        for name, run in results.items():
            print(
                f"[bench] {name}: {run['requests_per_s']} req/s ({run['ratio']:.2f}x ping), "
                f"p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms, {run['non_2xx']} non-2xx, "
                f"web CPU {run['web_cpu_ms_per_request']} ms/request: targets "
                f"{'met' if run['targets_met'] else 'NOT met'}"
            )
