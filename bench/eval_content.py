"""Search quality on the sample knowledge base (content/), Chinese and English queries as
presales engineers type them, with the documents a colleague would want (hand-judged).

    .venv/bin/python bench/eval_content.py [HOME]

SciFact measures English only; this shows what the keyword side does for Chinese and how the
default English model behaves on mixed content. Prints hit@1, MRR@10 and recall@5 per mode and
language, then nDCG@10 on the judged cross-language set (bench/cross_language.py: Chinese
queries whose best documents are English and the reverse), with query translation on and off.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.context import Context  # noqa: E402
from bench.beir import mrr_at, ndcg_at, recall_at  # noqa: E402
from bench.cross_language import EN_TO_ZH, ZH_TO_EN  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.language import detect_language  # noqa: E402

JUDGED: dict[str, list[str]] = {
    "华为云降价": [
        "ci-huawei-cloud-dataarts-pricing-2026",
        "ci-huawei-cloud-dataarts-discount-south-china",
    ],
    "等保三级测评材料": ["qa-dengbao3-assessment-materials", "pn-guardeye-dengbao3-mapping"],
    "是否支持信创国产数据库": [
        "qa-xinchuang-domestic-stack-support",
        "pn-flowdesk-xinchuang-compat",
    ],
    "X-200 故障切换需要多久": ["qa-x200-ha-failover-time"],
    "南粤仁济医院为什么没中标": ["bid-2025-052-nanyue-renji-hospital"],
    "能不能和企业微信钉钉对接": ["qa-flowdesk-wecom-dingtalk-feishu"],
    "数据会不会出境": ["qa-data-residency-domestic-storage"],
    "帆软在制造业怎么报价": ["ci-fanruan-finereport-manufacturing-pricing"],
    "江南银行技术方案": ["prop-jiangnan-bank-data-integration-2025"],
    "政务数据共享交换平台": [
        "prop-linjiang-govt-data-sharing-2025",
        "bid-2025-044-linjiang-bigdata-bureau",
    ],
    "single sign-on with LDAP": ["qa-sso-saml-ldap-support-en", "rfp-qa-003"],
    "Splunk battlecard": ["ci-splunk-es-vs-guardeye-battlecard"],
    "how is data encrypted at rest": ["qa-data-encryption-at-rest-in-transit"],
    "uptime guarantee for the cloud data platform": ["qa-datahub-cloud-sla-en"],
    "Informatica pricing in Asia": ["ci-informatica-idmc-apac-pricing"],
    "how many servers for a SOC with 20k events per second": ["pn-guardeye-sizing-guide-en"],
    "why did we win the retail bid": ["bid-2025-057-pacific-harbor-retail"],
    "low-code workflow platform": ["pn-flowdesk-overview-en"],
    "support tiers and licensing options": ["pn-licensing-support-tiers-en"],
    "Alibaba Cloud DataWorks price list": ["ci-alibaba-cloud-dataworks-international"],
}


def cross_language(context: Context) -> None:
    """nDCG@10 per direction and mode, with query translation on and off."""
    known = {entry.source_id for entry in context.indexes.generation().documents.values()}
    judged = [doc for qrels in (*ZH_TO_EN.values(), *EN_TO_ZH.values()) for doc in qrels]
    missing = sorted(set(judged) - known)
    if missing:
        raise SystemExit(f"judged documents not in content/: {', '.join(missing)}")
    print(f"\ncross-language: {len(ZH_TO_EN)} zh->en and {len(EN_TO_ZH)} en->zh queries")
    print(f"{'mode':9s} {'translation':11s} {'zh->en':>7s} {'en->zh':>7s}")
    service = context.search
    for mode in ("hybrid", "keyword", "semantic"):
        for translate in (True, False):
            service.translate = translate
            figures = []
            for judged_set in (ZH_TO_EN, EN_TO_ZH):
                scores = [
                    ndcg_at([h.source_id for h in service.search(q, top_k=10, mode=mode)], qrels)
                    for q, qrels in judged_set.items()
                ]
                figures.append(sum(scores) / len(scores))
            label = "on" if translate else "off"
            print(f"{mode:9s} {label:11s} {figures[0]:7.3f} {figures[1]:7.3f}")
    service.translate = True


def main() -> None:
    """`eval_content.py [HOME]`: HOME keeps the ingested sample between runs (a re-run ingests
    only what changed); by default a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        context = Context(Settings(home=Path(sys.argv[1] if len(sys.argv) > 1 else tmp)))
        report, _ = context.ingest([ROOT / "content"])
        print(f"content/: {len(report.added)} documents; {len(JUDGED)} judged queries")
        print(f"{'mode':9s} {'lang':4s} {'n':>3s} {'hit@1':>6s} {'MRR@10':>7s} {'R@5':>6s}")
        for mode in ("hybrid", "keyword", "semantic"):
            for language in ("zh", "en"):
                rows = []
                for query, wanted in JUDGED.items():
                    if detect_language(query) != language:
                        continue
                    hits = context.search.search(query, top_k=10, mode=mode)
                    ranked = [hit.source_id for hit in hits]
                    relevant = dict.fromkeys(wanted, 1)
                    rows.append(
                        (
                            ranked[:1] and ranked[0] in relevant,
                            mrr_at(ranked, relevant),
                            recall_at(ranked, relevant, 5),
                        )
                    )
                n = len(rows)
                print(
                    f"{mode:9s} {language:4s} {n:3d} {sum(r[0] for r in rows) / n:6.2f} "
                    f"{sum(r[1] for r in rows) / n:7.3f} {sum(r[2] for r in rows) / n:6.2f}"
                )
        cross_language(context)


if __name__ == "__main__":
    main()
