"""The Chinese search (core.search) at 100,000 and 1,000,000 documents, on SQLite and PostgreSQL, beside LIKE.

    .venv/bin/python bench/search.py --docs 100000            # both databases, ~3 min
    .venv/bin/python bench/search.py --docs 1000000 --runs 20 # ~30 min on 2 shared cores

Documents are generated from templates and a vocabulary of government topics (deterministic seed),
segmented once (core.search_text, which keeps the tokens of recent phrases: template text repeats
its phrases more than letters do, so ``segmenting`` is a lower bound) and loaded into both databases
in the same pass (SQLite under /tmp, PostgreSQL in the database ``bench_search``, both emptied first).
For each query (1, 2 and 4 characters, common and rare) it reports p50/p95 of ``search()``
(ranked, first page of 20), the p50 of ``LIKE '%q%' ... ORDER BY published_dt DESC LIMIT 20`` over
the same rows in the same run, their ratio, and recall: of the rows LIKE finds, the share the index
finds (all of them, not a page); and p50/p95 of ``similar()`` for drafts. The fastest run (min) is
printed too: on a shared machine it is the closest to the query's own cost. One table, printed at
the end, with the load average.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("INTERACTION_SECRET_KEY", "bench")

from sqlalchemy import text  # noqa: E402

PG_URL = os.environ.get("BENCH_SEARCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_search")

DISTRICTS = "芙蓉区 天心区 岳麓区 开福区 雨花区 望城区 长沙县 浏阳市 宁乡市 株洲 湘潭 衡阳 岳阳 常德 益阳 郴州".split()
TOPICS = {
    "医保": "医保卡 医保报销 异地就医 门诊统筹 城乡居民医保 医保缴费 医保局".split(),
    "社保": "社保卡 社保缴费 养老保险 失业保险 工伤保险 社会保险 退休金".split(),
    "住房": "公积金贷款 住房公积金 公租房 廉租房 不动产登记 房产证 物业费 维修基金 加装电梯".split(),
    "户籍": "居住证 落户 户口迁移 身份证办理 积分入户".split(),
    "企业": "营业执照 一网通办 税务登记 个体工商户 企业开办 跨省通办".split(),
    "民生": "低保 特困供养 残疾人证 垃圾分类 噪音扰民 占道经营 停车难 路灯不亮 供水中断".split(),
    "教育": "义务教育 学区划分 校外培训 入学报名 校车安全".split(),
    "交通": "网约车 共享单车 电动自行车 公交线路 道路施工".split(),
}
RARE = "契税减免 宅基地 古树保护 渡口 瓷器 鄱湖 檩条".split()
OPENINGS = ["尊敬的领导：您好！", "您好，", "我是{d}的居民，", "请问", "我想反映一个问题，", "领导好，"]
BODIES = [
    "关于{w1}的问题，我在{d}办理{w2}时，工作人员说需要补充材料，但是没有说清楚需要哪些材料。",
    "{d}的{w1}一直没有解决，已经拨打过12345热线，希望有关部门尽快处理{w2}。",
    "我家里老人需要办理{w1}，请问在{d}可以网上办理吗？{w2}的办理时限是多长？",
    "最近{d}的{w1}政策有调整吗？我之前咨询过{w2}，答复说要等通知。",
    "{w1}和{w2}可以一起办理吗？在{d}政务服务中心排队时间太长，建议增加窗口。",
    "我们小区的{w1}问题反映了三个月，{d}相关部门还没有答复，{w2}也受到影响。",
]
REPLIES = ["答复：经核实，{w1}可在{d}政务服务中心或一网通办平台办理，所需材料见办事指南。",
           "答复：您反映的{w1}问题已转交{d}有关部门处理，{w2}相关政策以最新公告为准。",
           "答复：感谢您的来信。{w1}按规定办理，如有疑问请拨打12345热线。"]

QUERIES = [("1 char common", "医"), ("1 char common", "房"), ("1 char rare", "瓷"),
           ("2 chars common", "医保"), ("2 chars common", "社保"), ("2 chars rare", "渡口"),
           ("4 chars common", "营业执照"), ("4 chars common", "住房公积"), ("4 chars rare", "契税减免")]
DRAFTS = ["请问医保卡丢了怎么补办", "公积金贷款额度怎么计算", "小区加装电梯需要什么条件", "契税减免政策"]


def documents(n: int, seed: int = 15):
    """*n* documents (type, key, title, body, published_at), oldest first."""
    from interaction.core.search import Document

    rng = random.Random(seed)
    start = datetime(2016, 1, 1, tzinfo=UTC)
    step = timedelta(days=3650) / n
    words = [w for group in TOPICS.values() for w in group]
    types = ("letter", "question", "transcript")
    for i in range(n):
        topic = rng.choice(list(TOPICS))
        w1 = rng.choice(TOPICS[topic])
        w2 = rng.choice(words) if rng.random() < 0.7 else rng.choice(TOPICS[topic])
        if rng.random() < 0.002:
            w2 = rng.choice(RARE)
        d = rng.choice(DISTRICTS)
        title = f"{d}{w1}的问题" if rng.random() < 0.5 else f"关于{w1}的咨询"
        body = (rng.choice(OPENINGS) + rng.choice(BODIES) + rng.choice(BODIES) + rng.choice(REPLIES)).format(
            d=d, w1=w1, w2=w2)
        yield Document(types[i % 3], str(i), title, body, f"/x/{i}", start + step * i, department_id=i % 40)


def make_app(url: str):
    from interaction import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "RATELIMIT_ENABLED": False})


def load(apps: dict, n: int) -> dict[str, float]:
    """Empty both databases' index and load *n* documents into each, segmented once for both.

    Returns seconds: ``segmenting`` (shared) and each database's inserts, FTS5 ``optimize`` and ANALYZE.
    """
    from sqlalchemy import insert

    from interaction.core import search, search_text
    from interaction.core.db import db
    from interaction.core.search_index import (SearchDocument, SearchTerm, document_id, optimize,
                                               tsvector_literal)

    seconds = {"segmenting": 0.0, **{name: 0.0 for name in apps}}
    for app in apps.values():
        with app.app_context():
            SearchDocument.__table__.drop(db.engine, checkfirst=True)
            SearchDocument.__table__.create(db.engine)
            SearchTerm.__table__.create(db.engine, checkfirst=True)
    with next(iter(apps.values())).app_context():
        tokenizer = search.current_segmenter()
    contexts = {name: app.app_context() for name, app in apps.items()}
    dialects = {name: "sqlite" if name == "SQLite" else "postgresql" for name in apps}
    stream = documents(n)
    done, started, batch = 0, time.perf_counter(), 2000
    while done < n:
        chunk = [next(stream) for _ in range(min(batch, n - done))]
        t = time.perf_counter()
        rows = []
        for doc in chunk:
            tokens = search_text.document_tokens(f"{doc.title}\n{doc.body}", tokenizer)
            tokens.update(search_text.facet_tokens(doc.type, doc.department_id))
            rows.append(({"id": document_id(doc.published_at, doc.type, doc.key), "type": doc.type, "key": doc.key,
                          "title": doc.title, "body": doc.body, "url": doc.url, "published_dt": doc.published_at,
                          "department_id": doc.department_id}, sorted(tokens)))
        seconds["segmenting"] += time.perf_counter() - t
        for name, context in contexts.items():
            with context:
                t = time.perf_counter()
                pg = dialects[name] == "postgresql"
                db.session.execute(insert(SearchDocument.__table__), [
                    {**row, "terms": tsvector_literal(tokens) if pg else " ".join(tokens)} for row, tokens in rows])
                db.session.commit()
                seconds[name] += time.perf_counter() - t
        done += len(chunk)
        if done % 50000 < batch:
            print(f"  {done:,} documents loaded ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    for name, app in apps.items():
        with app.app_context():
            t = time.perf_counter()
            optimize(db.engine.dialect.name)  # as flask search reindex does
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            seconds[name] += time.perf_counter() - t
    return seconds


def timed(fn, runs: int) -> list[float]:
    fn()  # warm
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def measure(name: str, app, runs: int) -> list[tuple]:
    from interaction.core import search
    from interaction.core.search_index import candidate_ids

    rows = []
    like_sql = text("SELECT id FROM search_documents WHERE title LIKE :p OR body LIKE :p "
                    "ORDER BY published_dt DESC LIMIT 20")
    all_like = text("SELECT id FROM search_documents WHERE title LIKE :p OR body LIKE :p")
    with app.app_context():
        from interaction.core.db import db

        dialect = db.engine.dialect.name
        for kind, q in QUERIES:
            times = timed(lambda q=q: search.search(q), runs)
            like = timed(lambda q=q: db.session.execute(like_sql, {"p": f"%{q}%"}).all(), max(3, runs // 7))
            liked = set(db.session.execute(all_like, {"p": f"%{q}%"}).scalars())
            query = search.search_text.parse_query(q, search.current_segmenter())
            found = set(candidate_ids(dialect, [list(g) for g in query.groups], 10**7))
            recall = len(liked & found) / len(liked) if liked else 1.0
            rows.append((name, kind, q, len(liked), min(times), p(times, 50), p(times, 95), p(like, 50),
                         p(like, 50) / p(times, 95), recall))
        for draft in DRAFTS:
            times = timed(lambda d=draft: search.similar(d, types=("question",)), runs)
            rows.append((name, "similar", draft[:8], None, min(times), p(times, 50), p(times, 95), None, None, None))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--reuse", action="store_true", help="measure what is loaded, load nothing")
    args = parser.parse_args()
    apps = {}
    if args.db in ("both", "sqlite"):
        apps["SQLite"] = make_app(f"sqlite:////tmp/bench_search_{args.docs}.db")
    if args.db in ("both", "postgres"):
        apps["PostgreSQL"] = make_app(PG_URL)
    seconds = {} if args.reuse else load(apps, args.docs)
    load_before = os.getloadavg()[0]
    rows = [row for name, app in apps.items() for row in measure(name, app, args.runs)]
    print(f"\n{args.docs:,} documents; index build: "
          + ", ".join(f"{name} {s:.0f} s" for name, s in seconds.items())
          + f"; load average {load_before:.1f} before the queries, {os.getloadavg()[0]:.1f} after "
          f"({os.cpu_count()} CPUs)")
    print("| database | query | q | LIKE rows | search min ms | search p50 ms | search p95 ms "
          "| LIKE+ORDER BY p50 ms | LIKE p50 ÷ search p95 | recall vs LIKE |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, kind, q, liked, best, p50, p95, like, ratio, recall in rows:
        cells = [name, kind, q, f"{liked:,}" if liked is not None else "", f"{best:.1f}", f"{p50:.1f}", f"{p95:.1f}",
                 f"{like:.0f}" if like is not None else "", f"{ratio:.0f}×" if ratio is not None else "",
                 f"{recall:.1%}" if recall is not None else ""]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
