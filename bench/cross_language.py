"""Judged cross-language queries over content/: Chinese questions whose best answers are English
documents, and English questions whose best answers are Chinese ones, phrased as presales
engineers ask them (not copied from titles). Grades: 2 = the document a colleague would hand
over, 1 = also useful (often the same topic in the query's own language). Judged by reading
every document of content/."""

from __future__ import annotations

# Chinese queries -> best documents in English.
ZH_TO_EN: dict[str, dict[str, int]] = {
    "GuardEye 容量规划怎么算": {"pn-guardeye-sizing-guide-en": 2, "rfp-qa-011": 1},
    "2 万 EPS 的日志存储要多大": {"pn-guardeye-sizing-guide-en": 2, "rfp-qa-011": 1},
    "许可模式和售后支持等级": {"pn-licensing-support-tiers-en": 2, "rfp-qa-016": 1},
    "Splunk 跟我们比有什么弱点": {
        "ci-splunk-es-vs-guardeye-battlecard": 2,
        "pn-guardeye-pricelist-2026": 1,
    },
    "Informatica 在亚太是怎么收费的": {"ci-informatica-idmc-apac-pricing": 2},
    "阿里云 DataWorks 国际站价格": {"ci-alibaba-cloud-dataworks-international": 2},
    "华为云 DataArts 有哪些功能短板": {
        "ci-huawei-cloud-dataarts-gaps-vs-datahub": 2,
        "ci-huawei-cloud-dataarts-pricing-2026": 1,
    },
    "云服务可用性承诺和服务赔偿": {
        "qa-datahub-cloud-sla-en": 2,
        "rfp-qa-006": 2,
        "pn-licensing-support-tiers-en": 1,
        "rfp-qa-007": 1,
    },
    "静态数据怎么加密，密钥谁管理": {"qa-data-encryption-at-rest-in-transit": 2, "rfp-qa-013": 1},
    "支不支持 SAML 单点登录": {
        "qa-sso-saml-ldap-support-en": 2,
        "rfp-qa-003": 2,
        "rfp-qa-002": 1,
    },
    "新加坡零售客户为什么选了我们": {
        "bid-2025-057-pacific-harbor-retail": 2,
        "prop-pacific-harbor-retail-data-platform-2026": 1,
    },
    "马来西亚电力 SOC 项目为什么丢单": {
        "bid-2025-063-selatan-power": 2,
        "prop-selatan-power-soc-2026": 1,
    },
    "香港保险公司的托管安全运营方案": {"prop-harbourline-insurance-guardeye-mss-2026": 2},
    "海外项目 X-200 报哪个型号": {"pn-x200-technical-overview-en": 2},
    "FlowDesk 按用户怎么收费": {"pn-flowdesk-overview-en": 2},
    "DataHub 3.2 对海外客户怎么定位": {
        "pn-datahub-32-highlights-en": 2,
        "pn-datahub-32-release-zh": 1,
    },
    "马来西亚连锁超市的流程平台投标进展": {"bid-2026-015-kestrel-mart": 2},
    "有没有 SOC 2 审计报告": {
        "rfp-qa-009": 2,
        "ci-splunk-es-vs-guardeye-battlecard": 1,
        "pn-yunheng-certifications-list": 1,
        "bid-2025-063-selatan-power": 1,
        "bid-2025-057-pacific-harbor-retail": 1,
    },
    "能不能从 SAP 抽数据": {"rfp-qa-014": 2, "pn-x200-overview-zh": 1},
    "GuardEye 能导入 Sigma 规则吗": {"rfp-qa-017": 2, "ci-splunk-es-vs-guardeye-battlecard": 1},
}

# English queries -> best documents in Chinese.
EN_TO_ZH: dict[str, dict[str, int]] = {
    "how much did Huawei Cloud drop the DataArts price": {
        "ci-huawei-cloud-dataarts-pricing-2026": 2,
        "ci-huawei-cloud-dataarts-discount-south-china": 2,
        "ci-huawei-cloud-dataarts-gaps-vs-datahub": 1,
    },
    "which MLPS level 3 controls does GuardEye cover": {
        "pn-guardeye-dengbao3-mapping": 2,
        "qa-dengbao3-assessment-materials": 1,
    },
    "GuardEye list prices and partner discounts": {"pn-guardeye-pricelist-2026": 2},
    "why did we lose the hospital security operations bid": {
        "bid-2025-052-nanyue-renji-hospital": 2,
        "prop-nanyue-renji-hospital-soc-2026": 1,
        "ci-qianxin-ngsoc-competitive-analysis": 1,
    },
    "lowest price we may quote for X-200": {"pn-pricing-floor-discount-policy-2026h2": 2},
    "how to compete with Qi An Xin NGSOC": {
        "ci-qianxin-ngsoc-competitive-analysis": 2,
        "ci-qianxin-healthcare-tender-pattern": 1,
    },
    "FineDataLink versus X-200 test results": {"ci-fanruan-finedatalink-vs-x200-poc": 2},
    "approvals on DingTalk and Feishu mobile": {
        "qa-flowdesk-wecom-dingtalk-feishu": 2,
        "pn-flowdesk-overview-en": 1,
    },
    "how long does X-200 take to fail over": {
        "qa-x200-ha-failover-time": 2,
        "rfp-qa-010": 2,
        "pn-x200-technical-overview-en": 1,
    },
    "which domestic CPUs and databases are certified": {
        "qa-xinchuang-domestic-stack-support": 2,
        "pn-flowdesk-xinchuang-compat": 2,
        "rfp-qa-001": 2,
        "pn-yunheng-certifications-list": 1,
    },
    "which qualifications can we show in a tender": {"pn-yunheng-certifications-list": 2},
    "how Alibaba Cloud sells to government customers": {"ci-aliyun-dataworks-govt-playbook": 2},
    "why did we win the Jiangnan Bank deal": {
        "bid-2025-031-jiangnan-bank": 2,
        "prop-jiangnan-bank-data-integration-2025": 1,
    },
    "why we lost the manufacturing execution data bid to FanRuan": {
        "bid-2025-038-hengda-precision": 2,
        "prop-hengda-mes-data-platform-2025": 1,
        "ci-fanruan-finereport-manufacturing-pricing": 1,
        "BID-2024-033": 1,
        "BID-2025-021": 1,
    },
    "deployment architecture for X-200 with DataHub at a bank": {
        "pn-x200-datahub-reference-architecture": 2,
        "prop-jiangnan-bank-data-integration-2025": 1,
    },
    "data sharing and exchange platform for a city government": {
        "prop-linjiang-govt-data-sharing-2025": 2,
        "bid-2025-044-linjiang-bigdata-bureau": 1,
    },
    "approval workflow platform for a securities firm": {
        "prop-xinyuan-securities-flowdesk-2026": 2
    },
    "why we withdrew from the energy group tender": {"bid-2025-049-yuehai-energy": 2},
    "does customer data leave mainland China": {
        "qa-data-residency-domestic-storage": 2,
        "rfp-qa-005": 2,
        "rfp-qa-004": 1,
    },
    "how FanRuan prices reports for manufacturers": {
        "ci-fanruan-finereport-manufacturing-pricing": 2,
    },
}
