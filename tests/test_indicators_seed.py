"""Golden test: all 156 indicators of the seed's 23 projects, every field.

The expected table below is written by hand from the seed text (one row per indicator), not
dumped from the parser. Where the seed is malformed the row documents the decision:

- a trailing ``。`` is not part of a value or name (``不低于6篇。；年度指标值`` -> ``不低于6篇``);
- 巫山县 item 6 (``…人数。实施周期指标值:≥10人。年度指标值:总人数/ 贫困村总数/ 户数；…``): name and
  period value are cut at the ``。``; the whole tail is the annual value; warnings for the ``。``
  separator and for several targets (the first quantitative one, ≥18户, is taken);
- prose with numbers (``实现30个工作…``, ``按照35人需求，租用宿舍``) and the scoring rule of
  车辆租用经费 are qualitative; bare numbers are ``=`` with ambiguous+implicit;
  以上/达到/高于 are ambiguous.

Row: (seq, level2 code, name, period value, annual value, period target, annual target, warnings).
The level-1 code is the first digit of the level-2 code everywhere in the seed (the text always
writes both, e.g. ``4-成本指标;42-社会成本指标``). ``SAME`` = same as the period column.
Targets: ``(op, value, unit, flags[, base_value, base_unit])`` with flags ``""``, ``"a"``
(ambiguous) or ``"ai"`` (ambiguous + implicit ``=``), or a kind name.
"""

from __future__ import annotations

import pytest

from perfsheet.core import parse_indicators
from perfsheet.core.indicators import INTERNAL_ERROR
from seed_cells import SEED_CELLS, SEED_TSV

SAME = object()
QUAL, DEADLINE, PLACEHOLDER = "qualitative", "deadline", "placeholder"
SEP_DOT = "字段间误用“。”分隔"
MULTI = "指标值含多个目标，取第一个定量目标"
PH = "指标内容待补充"

LEVEL1 = {"1": "产出指标", "2": "效益指标", "3": "满意度指标", "4": "成本指标"}
LEVEL2 = {
    "11": "数量指标",
    "12": "质量指标",
    "13": "时效指标",
    "21": "经济效益指标",
    "22": "社会效益指标",
    "23": "生态效益指标",
    "31": "服务对象满意度指标",
    "42": "社会成本指标",
}

P = "%"
GE90 = ("≥", 90, P, "")
EQ100 = ("=", 100, P, "ai")
HEGUI = "合规"
TISHENG = "提升"
WANCHENG = "完成"
ZXTS = "正向提升"
LAW = "工作经费实际支出符合国家财经法规和财务管理制度以及有关专项资金管理办法"

EXPECTED: dict[str, list[tuple]] = {
    "东部城市支持西部地区人才培训费": [
        (1, "11", "培训人数", "≥390", SAME, ("≥", 390, None, ""), SAME, []),
        (2, "11", "培训人次完成率", "≥90%", SAME, GE90, SAME, []),
        (3, "11", "培训期数", "≥5", SAME, ("≥", 5, None, ""), SAME, []),
        (4, "11", "培训课题", "≥5", SAME, ("≥", 5, None, ""), SAME, []),
        (5, "12", "资金支出合规性", HEGUI, SAME, QUAL, SAME, []),
        (6, "21", "人均培训成本", "≤4000元/人", SAME, ("≤", 4000, "元/人", ""), SAME, []),
        (7, "22", "师资力量", "≥50%", SAME, ("≥", 50, P, ""), SAME, []),
        (8, "31", "参加培训学员满意度", "≥90%", SAME, GE90, SAME, []),
    ],
    "乡村振兴驻镇帮镇扶村工作经费": [
        (1, "11", "人员到位率（%）", "100%", SAME, EQ100, SAME, []),
        (
            2,
            "11",
            "保障外派工作和生活条件干部人数",
            "保障驻镇帮镇扶村帮扶地工作和生活条件的干部人数不低于85个",
            "保障办公人员≥4人；租用1台公务车辆",
            ("≥", 85, "个", ""),
            ("≥", 4, "人", "a"),
            [MULTI],
        ),
        (3, "11", "媒体宣传报道", "不低于30篇", SAME, ("≥", 30, "篇", ""), SAME, []),
        (4, "11", "媒体宣传报道", "不低于6篇", SAME, ("≥", 6, "篇", ""), SAME, []),
        (5, "11", "驻镇帮镇扶村资金拨付及时率", "≥95%", SAME, ("≥", 95, P, ""), SAME, []),
        (6, "12", "业务能力提升", "全员业务培训不少1次", SAME, ("≥", 1, "次", ""), SAME, []),
        (
            7,
            "12",
            "交办任务完成率",
            "统筹协调各工作队开展驻镇帮镇扶村工作，完成上级交办任务",
            "完成率达到100%",
            QUAL,
            ("≥", 100, P, "a"),
            [],
        ),
        (
            8,
            "12",
            "年度驻镇帮镇扶村绩效考核结果",
            "每年度进行驻镇帮镇扶村绩效考核",
            "考核结果达到较好及以上",
            QUAL,
            QUAL,
            [],
        ),
        (
            9,
            "12",
            "派驻清远工作经费支出合规性",
            "工作经费支出符合国家财经法规和财务管理制度",
            "工作经费实际支出符合国家财经法规和财务管理制度以及有关资金管理办",
            QUAL,
            QUAL,
            [],
        ),
        (
            10,
            "12",
            "确保指挥部日常行政运行",
            "确保指挥部日常行政运行",
            "一个指挥部",
            QUAL,
            QUAL,
            [],
        ),
        # the head fragment (seed line 13) ends in the middle of this value: 集 | 体
        (
            11,
            "21",
            "助力提升乡村产业发展水平",
            "发展绿色生态和新型农村集体经济,带动村集体收入增长",
            SAME,
            QUAL,
            SAME,
            [],
        ),
        (
            12,
            "21",
            "提升脱贫攻坚成果",
            "实现30个工作在这方面的制度、方案、措施等建设全覆盖",
            SAME,
            QUAL,
            SAME,
            [],
        ),
        (
            13,
            "22",
            "助力提升镇域公共服务能力",
            "推动教育、公共卫生服务、文化服务等提升",
            SAME,
            QUAL,
            SAME,
            [],
        ),
        (
            14,
            "22",
            "助力镇域乡村振兴工作",
            "统筹协调指导各工作组(队)有效开展公共基础设施、公共服务能力、乡村产业发展、"
            "党建促乡村振兴等帮扶",
            "建立工作联系,统筹协调指导工作组(队)开展公共基础设施、公共服务能力、乡村产业发展、"
            "党建等帮扶",
            QUAL,
            QUAL,
            [],
        ),
        (
            15,
            "22",
            "助力镇村乡村振兴工作",
            "统筹协调指导各工作队有效开展公共基础设施、公共服务能力、乡村产业发展、"
            "党建促乡村振兴等帮扶工作",
            SAME,
            QUAL,
            SAME,
            [],
        ),
        (
            16,
            "22",
            "对受援地的影响",
            "确保广州市对口帮扶协作工作日常统筹协调正常开展,促进受援地区持续发展",
            SAME,
            QUAL,
            SAME,
            [],
        ),
        (
            17,
            "22",
            "广州市对口帮扶工作的社会影响力",
            "广州市对口帮扶工作的社会影响力较好",
            TISHENG,
            QUAL,
            QUAL,
            [],
        ),
        (
            18,
            "22",
            "社会影响力",
            "在开展帮扶工作中对被帮扶地的社会影响力",
            "对口帮扶工作反响好,对口帮扶乡镇在公共基础设施、公共民生服务、乡村产业、"
            "党建引领方面成效等较上年都有较大改善和提升",
            QUAL,
            QUAL,
            [],
        ),
        (19, "31", "群众满意度", "≥90%", SAME, GE90, SAME, []),
    ],
    "广州市援藏工作组工作经费": [
        (1, "11", "广州相关推介活动", "≥1", SAME, ("≥", 1, None, ""), SAME, []),
        (2, "12", "帮扶各对口单位完成率", "≥100%", SAME, ("≥", 100, P, ""), SAME, []),
        (3, "13", "发放补贴时间", "每月5日前", SAME, DEADLINE, SAME, []),
        (4, "13", "年度预算执行率", "≤100%", SAME, ("≤", 100, P, ""), SAME, []),
        (5, "22", "对援藏工作满意度", "100%", SAME, EQ100, SAME, []),
        (6, "22", "被接待人员满意度", "100%", SAME, EQ100, SAME, []),
        (7, "23", "提升援藏工作知名度", "有所提升", SAME, QUAL, SAME, []),
        # a level-2 name typed as the level-3 name (domain §2.7): kept as the name
        (8, "42", "可持续影响指标", "100%", SAME, EQ100, SAME, []),
    ],
    "广东粤黔工作队广州工作组工作经费": [
        (1, "11", "人员到位率(%)", "100%", SAME, EQ100, SAME, []),
        (2, "12", "工作经费支出合规性", LAW, "合法合规", QUAL, QUAL, []),
        (3, "12", "帮扶任务完成率", "100%", SAME, EQ100, SAME, []),
        (
            4,
            "13",
            "对口支援对口帮扶任务考核情况",
            "考核结果为较好以上",
            SAME,
            QUAL,
            SAME,
            [],
        ),
        (5, "13", "资金到位率", "100%", SAME, EQ100, SAME, []),
        (
            6,
            "22",
            "广州市援黔工作社会影响力",
            "广州市对口帮扶工作的社会影响力较好",
            SAME,
            QUAL,
            SAME,
            [],
        ),
    ],
    "广州市对口帮扶协作梅州指挥部工作经费": [
        (
            1,
            "11",
            "保障外派工作和生活条件干部人数",
            "不低于13个",
            SAME,
            ("≥", 13, "个", ""),
            SAME,
            [],
        ),
        (2, "11", "保障日常运转机构数量", "不低于1个", SAME, ("≥", 1, "个", ""), SAME, []),
        (3, "12", "工作经费支出合规性", LAW, SAME, QUAL, SAME, []),
        (4, "12", "项目验收合格率", "≥90%", SAME, GE90, SAME, []),
        (5, "13", "资金支出进度(%)", "≥80%", SAME, ("≥", 80, P, ""), SAME, []),
        (6, "21", "广梅产业共建园全口径税收增长率", "≥6%", SAME, ("≥", 6, P, ""), SAME, []),
        (7, "21", "广梅产业共建园工业总产值增长率", "≥10%", SAME, ("≥", 10, P, ""), SAME, []),
        (8, "22", "媒体正面报道或转载次数", "≥6篇次", SAME, ("≥", 6, "篇次", ""), SAME, []),
    ],
    "广州市对口帮扶协作清远指挥部工作经费": [
        (
            1,
            "11",
            "保障外派干部的工作和生活条件人数",
            "不低于12人",
            SAME,
            ("≥", 12, "人", ""),
            SAME,
            [],
        ),
        (2, "11", "保障日常机构正常运作数", "不低于1个", SAME, ("≥", 1, "个", ""), SAME, []),
        (
            3,
            "12",
            "办公用品(打印纸、笔、记事本等)质量合格率",
            "90%",
            SAME,
            ("=", 90, P, "ai"),
            SAME,
            [],
        ),
        (
            4,
            "13",
            "电脑或打印机等办公设备故障及时处理率",
            "90%",
            SAME,
            ("=", 90, P, "ai"),
            SAME,
            [],
        ),
        (5, "22", "园区知名度", TISHENG, SAME, QUAL, SAME, []),
        (6, "22", "是否提高工作效率", "是", SAME, QUAL, SAME, []),
        (
            7,
            "22",
            "深化对口帮扶协作工作",
            "统筹协调广州对口帮扶协作清远、广清经济特别合作区、广清一体化等工作",
            SAME,
            QUAL,
            SAME,
            [],
        ),
    ],
    "广州市援疆工作队工作经费": [
        (1, "11", "媒体发稿数量", "≥150篇", SAME, ("≥", 150, "篇", ""), SAME, []),
        (2, "11", "帮扶结对贫困户户数", "≥37户", SAME, ("≥", 37, "户", ""), SAME, []),
        (3, "22", "巩固脱贫攻坚成果", "≤2%", SAME, ("≤", 2, P, ""), SAME, []),
    ],
    "对口帮扶贵州省东西部协作资金": [
        (1, "12", "帮扶任务完成率", "100%", SAME, EQ100, SAME, []),
        (2, "12", "资金支出合规性", HEGUI, SAME, QUAL, SAME, []),
        (3, "13", "资金到位率", "100%", SAME, EQ100, SAME, []),
        (
            4,
            "21",
            "推动“一县一园”产业园建设个数",
            "≥23个",
            SAME,
            ("≥", 23, "个", ""),
            SAME,
            [],
        ),
        (
            5,
            "21",
            "项目惠及群众人数",
            "≥10万人",
            SAME,
            ("≥", 10, "万人", "", 100000, "人"),
            SAME,
            [],
        ),
        (
            6,
            "22",
            "帮助转移就业人数",
            "≥1.4万人",
            SAME,
            ("≥", 1.4, "万人", "", 14000, "人"),
            SAME,
            [],
        ),
        (
            7,
            "22",
            "项目惠及脱贫人数",
            "≥2万人",
            SAME,
            ("≥", 2, "万人", "", 20000, "人"),
            SAME,
            [],
        ),
    ],
    "对口帮扶协作清远资金": [
        (1, "11", "对口帮扶项目完成率", "≥90%", SAME, GE90, SAME, []),
        (2, "12", "省内对口帮扶协作项目验收合格率", "≥90%", SAME, GE90, SAME, []),
        (3, "13", "对口帮扶（支援）资金拨付及时率", "100%", SAME, EQ100, SAME, []),
        (
            4,
            "21",
            "广清产业合作园全口径税收增长率",
            "≥3%（含广清、广佛、广德产业园）",
            SAME,
            ("≥", 3, P, ""),
            SAME,
            [],
        ),
        (
            5,
            "21",
            "广清产业合作园工业总产值增长率",
            "≥5.5%（含广清、广佛、广德产业园）",
            SAME,
            ("≥", 5.5, P, ""),
            SAME,
            [],
        ),
        (6, "22", "广州市对口帮扶工作的社会影响力", TISHENG, SAME, QUAL, SAME, []),
        (
            7,
            "22",
            "广清产业合作园的园区知名度",
            "提升（含广清、广佛、广德产业园）",
            SAME,
            QUAL,
            SAME,
            [],
        ),
        (8, "22", "清远市民生社会事业水平", TISHENG, SAME, QUAL, SAME, []),
        (9, "31", "园区企业满意度", "≥90%", SAME, GE90, SAME, []),
    ],
    "对口帮扶协作梅州资金": [
        (1, "11", "广梅产业园新增规上企业数量", "≥5家", SAME, ("≥", 5, "家", ""), SAME, []),
        (2, "12", "项目验收合格率", "≥90%", SAME, GE90, SAME, []),
        # a rate with a count unit (domain §2.7): parsed as written, flagged by the audit
        (3, "13", "广梅产业园招商目标达成率", "≥10家", SAME, ("≥", 10, "家", ""), SAME, []),
        (4, "21", "广梅产业共建园全口径税收增长率", "≥6%", SAME, ("≥", 6, P, ""), SAME, []),
        (5, "21", "广梅产业共建园工业总产值增长率", "≥10%", SAME, ("≥", 10, P, ""), SAME, []),
        (6, "21", "广梅产业共建园的园区知名度", TISHENG, SAME, QUAL, SAME, []),
        (
            7,
            "22",
            "广州市对口帮扶对口支援工作社会影响力",
            "项目实施对当地的产业、就业、教育、医疗等，以及当地乡村振兴有效衔接的影响情况",
            TISHENG,
            QUAL,
            QUAL,
            [],
        ),
        (8, "22", "梅州市民生社会事业水平", TISHENG, SAME, QUAL, SAME, []),
        (9, "31", "园区企业满意度", "≥90%", SAME, GE90, SAME, []),
    ],
    "广州市驻镇帮镇扶村资金": [
        (1, "11", "广州对口帮扶省内镇数量", "78个", SAME, ("=", 78, "个", "ai"), SAME, []),
        (2, "12", "县域内扶贫项目资产后续管理覆盖率", "100%", SAME, EQ100, SAME, []),
        (3, "12", "守好不发生规模性返贫致贫底线", "100%", SAME, EQ100, SAME, []),
        (4, "13", "及时拨付帮扶资金", "≤30天", SAME, ("≤", 30, "天", ""), SAME, []),
        (5, "21", "当地被帮扶对象收入", "提高", SAME, QUAL, SAME, []),
        (6, "21", "当地集体经济发展", "提高", SAME, QUAL, SAME, []),
        (7, "22", "镇域公共服务能力", TISHENG, SAME, QUAL, SAME, []),
        (8, "22", "镇村公共基础设施水平", TISHENG, SAME, QUAL, SAME, []),
    ],
    "对口支援三峡库区巫山县社会公益项目资金": [
        (1, "11", "对口支援项目完成率", "≥90%", SAME, GE90, SAME, []),
        (2, "12", "对口支援项目验收合格率", "≥90%", SAME, GE90, SAME, []),
        (3, "13", "对口帮扶（支援）资金拨付及时率", "100%", SAME, EQ100, SAME, []),
        (
            4,
            "22",
            "对口支援三峡库区巫山县社会公益项目惠及群众人数",
            "≥1000人",
            SAME,
            ("≥", 1000, "人", ""),
            SAME,
            [],
        ),
        (
            5,
            "22",
            "对当地经济和社会的影响",
            "对当地三峡库区移民生产生活条件不断改善有促进作用",
            SAME,
            QUAL,
            SAME,
            [],
        ),
        # malformed: 。 where ； belongs; the tail fragment (seed line 29) is the annual value
        (
            6,
            "22",
            "项目惠及贫困户及低保五保户人数",
            "≥10人",
            "总人数/ 贫困村总数/ 户数；贫困村帮扶户数：≥18户；下区帮扶组：≥10人",
            ("≥", 10, "人", ""),
            ("≥", 18, "户", "a"),
            [SEP_DOT, MULTI],
        ),
    ],
    "对口帮扶协作湛江资金": [
        (1, "11", "对口帮扶项目完成率", "≥90%", SAME, GE90, SAME, []),
        (
            2,
            "11",
            "广湛产业共建园完成工业固定资产投资",
            "≥5亿元",
            SAME,
            ("≥", 5, "亿元", "", 500000000, "元"),
            SAME,
            [],
        ),
        (3, "12", "省内对口帮扶协作项目验收合格率", "≥90%", SAME, GE90, SAME, []),
        (4, "13", "对口帮扶（支援）资金拨付及时率", "100%", SAME, EQ100, SAME, []),
        (5, "21", "广湛产业共建园工业总产值增长率", "≥15%", SAME, ("≥", 15, P, ""), SAME, []),
        (6, "21", "广湛产业共建园的园区知名度", TISHENG, SAME, QUAL, SAME, []),
        (7, "22", "广州市对口帮扶工作的社会影响力", TISHENG, SAME, QUAL, SAME, []),
        (8, "22", "湛江市民生社会事业水平", TISHENG, SAME, QUAL, SAME, []),
        (9, "31", "园区企业满意度", "≥90%", SAME, GE90, SAME, []),
    ],
    "广州市对口帮扶协作湛江指挥部工作经费": [
        (
            1,
            "11",
            "保障指挥部人员生活条件稳定",
            "按照35人需求，租用宿舍",
            SAME,
            QUAL,
            SAME,
            [],
        ),
        (2, "12", "工作经费支出合规性", LAW, SAME, QUAL, SAME, []),
        (
            3,
            "12",
            "满足驻镇清远工作队正常办公和工作运转需要",
            "按标准限额管理，保障办公需要；添购办公设施；招聘人员辅助工作有序开展；"
            "临时租车保障日常公务出行；办公楼安保、保洁外包",
            "按内部标准限额管理，保障办公需要；招聘3个人，辅助工作有序开展；"
            "租用2台公务车辆，保障日常公务出行",
            QUAL,
            QUAL,
            [],
        ),
        (
            4,
            "22",
            "关心关爱派驻人员身心健康",
            "为全体工作人员购置人身意外保险和临聘人员体检",
            SAME,
            QUAL,
            SAME,
            [],
        ),
        (
            5,
            "22",
            "加强乡村振兴新闻宣传工作",
            "建立与第三方新闻媒体机构联系，依托各方力量进行乡村振兴对口帮扶工作宣传",
            "统筹指挥部新闻宣传工作，加大先进典型、经验做法、产业发展、助力帮扶等宣传，"
            "提升广州对口帮扶协作工作成效和干部队伍良好精神面貌",
            QUAL,
            QUAL,
            [],
        ),
        (
            6,
            "22",
            "加强党（团）组织建设",
            "每年适当开展各类党建文体活动，增强干部凝聚力，提升立足岗位干事创业热情",
            SAME,
            QUAL,
            SAME,
            [],
        ),
        (
            7,
            "22",
            "广州对口帮扶协作湛江工作的社会影响力",
            "确保广州对口帮扶协作湛江工作日常统筹协调正常开展，促进持续发展",
            SAME,
            QUAL,
            SAME,
            [],
        ),
        (
            8,
            "22",
            "湛江市民生社会事业水平",
            "湛江市医疗卫生服务和教育设施水平等",
            TISHENG,
            QUAL,
            QUAL,
            [],
        ),
    ],
    "广州市与龙岩市对口合作专项经费": [
        (1, "11", "年度新达成产业合作项目数", "≥8个", SAME, ("≥", 8, "个", ""), SAME, []),
        (
            2,
            "11",
            "开展红色文化传承展览展示等交流宣传活动场次",
            "≥5场次",
            SAME,
            ("≥", 5, "场次", ""),
            SAME,
            [],
        ),
        (
            3,
            "11",
            "重点安排教育、医疗、产业等领域项目数",
            "≥10个",
            SAME,
            ("≥", 10, "个", ""),
            SAME,
            [],
        ),
        (
            4,
            "21",
            "“百万老广游龙岩”等文旅活动拉动广东游客到龙岩旅游人次",
            "≥200万人次",
            SAME,
            ("≥", 200, "万人次", "", 2000000, "人次"),
            SAME,
            [],
        ),
        (5, "21", "广龙合作产业园基础设施配套", ZXTS, SAME, QUAL, SAME, []),
        (6, "22", "医疗对口合作促进提高龙岩医院诊疗水平", ZXTS, SAME, QUAL, SAME, []),
        # the tail fragment (seed line 34) starts in the middle of this item: 效益指 | 标
        (7, "22", "广龙两地基础设施互联互通程度", ZXTS, SAME, QUAL, SAME, []),
        (8, "22", "教育对口合作促进提高龙岩教育水平", ZXTS, SAME, QUAL, SAME, []),
    ],
    "市协作办2025-2026年信息化运维项目": [
        (1, "11", "备份频次", "每月不少于1次", SAME, ("≥", 1, "次", ""), SAME, []),
        (2, "12", "故障工单完成率", "高于95%", SAME, (">", 95, P, "a"), SAME, []),
        (3, "12", "设备平均无故障时间", "高于95%", SAME, (">", 95, P, "a"), SAME, []),
        (4, "13", "设备平均修复时间", "小于2小时", SAME, ("<", 2, "小时", ""), SAME, []),
        (5, "13", "项目报告", "12个月", SAME, ("=", 12, "个月", "ai"), SAME, []),
        (6, "31", "服务对象满意率", "高于90%", SAME, (">", 90, P, "a"), SAME, []),
    ],
    "市协作办2026-2027年信息化运维项目": [
        (1, "11", "待单位补充...", "待单位补充...", SAME, PLACEHOLDER, SAME, [PH]),
    ],
    "市协作办2026年“百千万工程”帮扶协作业务平台建设项目": [
        (1, "11", "待单位补充...", "待单位补充...", SAME, PLACEHOLDER, SAME, [PH]),
    ],
    "对口支援协作和帮扶合作工作经费": [
        (1, "11", "乡村振兴调研次数", "15次以上", SAME, ("≥", 15, "次", "a"), SAME, []),
        (2, "11", "到村检查指导帮扶村数量", "5个镇以上", SAME, ("≥", 5, "个镇", "a"), SAME, []),
        (
            3,
            "11",
            "参加双向赋能工作广州企业数量",
            "300家次",
            SAME,
            ("=", 300, "家次", "ai"),
            SAME,
            [],
        ),
        (4, "11", "广州对口帮扶省内镇数量", "78个", SAME, ("=", 78, "个", "ai"), SAME, []),
        (5, "11", "开展经贸推介活动次数", "10次", SAME, ("=", 10, "次", "ai"), SAME, []),
        (
            6,
            "11",
            "赴帮扶、支援、合作地区指导调研推进工作次数",
            "10次",
            SAME,
            ("=", 10, "次", "ai"),
            SAME,
            [],
        ),
        (7, "12", "资金支出合规性", HEGUI, SAME, QUAL, SAME, []),
        (
            8,
            "21",
            "国内省市企业达成经贸签约数额",
            "2亿元",
            SAME,
            ("=", 2, "亿元", "ai", 200000000, "元"),
            SAME,
            [],
        ),
        (
            9,
            "21",
            "对口帮扶地区新增引进广州企业数",
            "200家",
            SAME,
            ("=", 200, "家", "ai"),
            SAME,
            [],
        ),
        (
            10,
            "21",
            "广州企业达成经贸签约数额",
            "5亿元",
            SAME,
            ("=", 5, "亿元", "ai", 500000000, "元"),
            SAME,
            [],
        ),
        (
            11,
            "22",
            "协调全市完成好广州市与贵州三市(州)东西部协作工作任务",
            WANCHENG,
            SAME,
            QUAL,
            SAME,
            [],
        ),
        # the tail fragment (seed line 40) starts in the middle of this item: 效益指 | 标
        (12, "22", "媒体正面报道或转载次数", "30次", SAME, ("=", 30, "次", "ai"), SAME, []),
        (13, "22", "广州市对口帮扶对口支援工作社会影响力", WANCHENG, SAME, QUAL, SAME, []),
        (14, "22", "指导完成好广州市援疆、援藏工作任务", WANCHENG, SAME, QUAL, SAME, []),
        (
            15,
            "22",
            "推动广州市与龙岩市、齐齐哈尔市对口合作关系更加深化",
            WANCHENG,
            SAME,
            QUAL,
            SAME,
            [],
        ),
        (16, "22", "提升了广货知名度", "有所提升", SAME, QUAL, SAME, []),
    ],
    "机构运行辅助经费": [
        (1, "12", "工作任务量", "按时完成岗位工作任务", "按时完成", QUAL, QUAL, []),
    ],
    "办公(业务)用房租赁经费": [
        # the period value repeats the name (domain §2.7)
        (
            1,
            "13",
            "采购工作完成率",
            "采购工作完成率",
            "采购率大于80%即达标",
            QUAL,
            (">", 80, P, ""),
            [],
        ),
    ],
    "车辆租用经费": [
        # the annual value is a scoring rule, not a target: qualitative (flagged by the audit)
        (
            1,
            "31",
            "服务对象满意率(%)",
            "公务活动工作人员满意度",
            "满意度指标低于90%不得分，大于等于90%得满分",
            QUAL,
            QUAL,
            [],
        ),
    ],
    "广州博览会展览业务费": [
        (1, "11", "参会代表团个数", "20个", SAME, ("=", 20, "个", "ai"), SAME, []),
        (
            2,
            "11",
            "广博会展览面积",
            "10万平米",
            SAME,
            ("=", 10, "万平米", "ai", 100000, "平方米"),
            SAME,
            [],
        ),
        (
            3,
            "21",
            "广博会参观人次",
            "10万人次",
            SAME,
            ("=", 10, "万人次", "ai", 100000, "人次"),
            SAME,
            [],
        ),
        (4, "21", "广博会国内招商推介活动次数", "15次", SAME, ("=", 15, "次", "ai"), SAME, []),
        (
            5,
            "22",
            "广博会参展商人次",
            "1万人次",
            SAME,
            ("=", 1, "万人次", "ai", 10000, "人次"),
            SAME,
            [],
        ),
        (6, "31", "广博会参展商投诉率", "≤3%", SAME, ("≤", 3, P, ""), SAME, []),
    ],
}

CELLS_BY_PROJECT = {c["project"]: c for c in SEED_CELLS}


def test_expected_table_covers_the_whole_seed():
    assert len(SEED_CELLS) == 23
    assert set(EXPECTED) == set(CELLS_BY_PROJECT)
    assert sum(len(rows) for rows in EXPECTED.values()) == 156
    for rows in EXPECTED.values():
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1))


def test_seed_cells_are_the_committed_seed_fragments_joined():
    """Each fixture cell is column G of its seed rows, concatenated without any insertion."""
    lines = SEED_TSV.read_text(encoding="utf-8").split("\n")
    for cell in SEED_CELLS:
        fields = lines[cell["line"] - 1].split("\t")
        assert fields[0] == cell["project"]
        parts = [lines[r - 1].split("\t")[6] for r in cell["rows"]]
        assert cell["indicators"] == "".join(parts)
    joined = {c["line"]: c["rows"] for c in SEED_CELLS if len(c["rows"]) > 1}
    assert joined == {15: [13, 15], 27: [27, 29], 32: [32, 34], 38: [38, 40]}
    # the joins cut words in half: nothing may be inserted between the halves
    by_line = {c["line"]: c["indicators"] for c in SEED_CELLS}
    assert "新型农村集体经济" in by_line[15]
    assert "2-效益指</p>标; 22-社会效益" in by_line[32]
    assert "12、2-效益指标；22-社会效益；媒体正面报道" in by_line[38]


def _check_target(t, spec, where):
    if isinstance(spec, str):
        assert t.kind == spec, where
        assert t.op is None or spec == DEADLINE, where
        assert t.value is None, where
        return
    op, value, unit, flags, *base = spec
    assert t.kind == "quantitative", where
    assert (t.op, t.value, t.unit) == (op, value, unit), where
    assert t.ambiguous == ("a" in flags), where
    assert t.implicit_op == ("i" in flags), where
    if base:
        assert (t.base_value, t.base_unit) == tuple(base), where
    elif unit != "%":
        assert (t.base_value, t.base_unit) == (value, unit), where
    else:
        assert (t.base_value, t.base_unit) == (value, "%"), where


@pytest.mark.parametrize("project", list(EXPECTED))
def test_seed_project_indicators(project):
    parsed = parse_indicators(CELLS_BY_PROJECT[project]["indicators"])
    rows = EXPECTED[project]
    assert len(parsed) == len(rows)
    for ind, row in zip(parsed, rows, strict=True):
        seq, l2, name, pv, av, pt, at, warnings = row
        av = pv if av is SAME else av
        at = pt if at is SAME else at
        where = f"{project} #{seq}"
        assert ind.seq == seq, where
        assert (ind.level1_code, ind.level1) == (l2[0], LEVEL1[l2[0]]), where
        assert (ind.level2_code, ind.level2) == (l2, LEVEL2[l2]), where
        assert ind.legacy is False, where
        assert ind.name == name, where
        assert ind.period_value == pv, where
        assert ind.annual_value == av, where
        assert ind.warnings == warnings, where
        _check_target(ind.period_target, pt, where + " 实施周期")
        _check_target(ind.annual_target, at, where + " 年度")
        assert ind.period_target.raw == pv
        assert ind.annual_target.raw == av
        assert ind.raw.startswith(f"{seq}、"), where
        assert INTERNAL_ERROR not in ind.warnings


def test_seed_raw_items_cover_the_cell():
    """Every character of a cleaned cell is in exactly one item's raw text (nothing dropped)."""
    from perfsheet.core.text import clean_text

    for cell in SEED_CELLS:
        text = clean_text(cell["indicators"])
        parsed = parse_indicators(cell["indicators"])
        assert "".join(i.raw for i in parsed) == text.replace("\n", "")


def test_seed_indicators_are_valid_models():
    """model_construct skips validation: the output must validate anyway (JSON contract)."""
    from perfsheet.core.models import Indicator

    for cell in SEED_CELLS:
        for ind in parse_indicators(cell["indicators"]):
            again = Indicator.model_validate_json(ind.model_dump_json())
            assert again == ind
