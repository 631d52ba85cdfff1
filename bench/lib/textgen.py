"""Realistic letters for the leader mailbox benchmark: Chinese text, departments, states, dates.

A letter's text is put together from a bank of sentences about what people write to a
provincial government about (roads, schools, medical insurance, housing, pensions, wages,
pollution...), with the writer's name, mobile numbers, landlines, ID-card numbers and e-mail
addresses embedded so that masking has real work. Every piece that holds personal data comes as a
pair ``(original, masked)``, so the published (masked) texts are produced together with the
originals without calling the masking code a million times.

Rows are deterministic: row *i* depends only on the seed and *i*, so loading 10,000, then
100,000, then 1,000,000 letters adds rows to the same data set.
"""

from __future__ import annotations

import html
import json
import random
from functools import lru_cache
from datetime import UTC, date, datetime, time, timedelta

SHANGHAI_OFFSET = timedelta(hours=8)
YEARS = 3

# (code, name, kind, weight): how letters spread over the handling departments.
DEPARTMENTS = [
    ("gov-office", "省人民政府办公厅", "province", 10),
    ("hrss", "省人力资源和社会保障厅", "department", 11),
    ("housing", "省住房和城乡建设厅", "department", 10),
    ("education", "省教育厅", "department", 8),
    ("public-security", "省公安厅", "department", 7),
    ("health", "省卫生健康委员会", "department", 6),
    ("medical-insurance", "省医疗保障局", "department", 6),
    ("transport", "省交通运输厅", "department", 5),
    ("natural-resources", "省自然资源厅", "department", 4),
    ("ecology", "省生态环境厅", "department", 4),
    ("civil-affairs", "省民政厅", "department", 4),
    ("market", "省市场监督管理局", "department", 4),
    ("agriculture", "省农业农村厅", "department", 3),
    ("water", "省水利厅", "department", 2),
    ("commerce", "省商务厅", "department", 2),
    ("culture", "省文化和旅游厅", "department", 1),
    ("emergency", "省应急管理厅", "department", 1),
    ("tax", "国家税务总局某省税务局", "department", 2),
    ("petition", "省信访局", "department", 1),
    ("veterans", "省退役军人事务厅", "department", 1),
    ("city-cs", "长沙市人民政府", "city", 3),
    ("city-zz", "株洲市人民政府", "city", 2),
    ("city-xt", "湘潭市人民政府", "city", 1),
    ("city-hy", "衡阳市人民政府", "city", 1),
    ("city-yy", "岳阳市人民政府", "city", 1),
]

CATEGORIES = [("consultation", 30), ("suggestion", 15), ("complaint", 30), ("help", 15), ("report", 5),
              ("other", 5)]
CHANNELS = [("web", 85), ("phone", 8), ("post", 4), ("visit", 3)]

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
                "吕丁任沈") + [
    "欧阳", "司马", "诸葛", "上官"]
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅玉兰志强海燕文斌俊杰晓东建华丽娟国庆")
PLACES = ["岳麓区", "芙蓉区", "天心区", "开福区", "雨花区", "望城区", "浏阳市", "宁乡市", "荷塘区", "芦淞区",
          "石峰区", "雨湖区", "岳塘区", "湘乡市", "蒸湘区", "珠晖区", "岳阳楼区", "君山区"]
STREETS = ["人民路", "解放西路", "五一大道", "芙蓉中路", "韶山北路", "麓山南路", "建设路", "新华路", "劳动东路",
           "车站北路", "湘江中路", "万家丽路"]
ESTATES = ["阳光花园", "金色家园", "翡翠湾", "幸福里小区", "锦绣华城", "东方明珠苑", "滨江新城", "书香名邸",
           "和谐家园", "世纪城"]
SCHOOLS = ["实验小学", "第一中学", "育才学校", "城南小学", "第三中学", "外国语学校"]

# Topic -> (subjects, sentences of the letter, sentences of the reply). {place} {street} {estate}
# {school} {year} {month} {n} {amount} are filled in; personal data is added separately.
TOPICS = {
    "roads": (
        ["关于{street}路面破损严重的反映", "{place}{street}施工长期未完工", "建议在{street}路口增设红绿灯",
         "{estate}门前道路积水问题", "关于修缮{place}乡村公路的建议"],
        ["{street}从{year}年{month}月开始施工，至今已经{n}个多月，路面坑洼不平，雨天积水严重。",
         "每天早晚高峰时段车辆拥堵，行人只能从机动车道绕行，存在很大的安全隐患。",
         "附近有{school}，学生上下学必须经过这段路，家长们都非常担心孩子的安全。",
         "我们多次向街道反映，工作人员说已经上报，但一直没有下文。",
         "晚上路灯也不亮，已经发生过好几起电动车摔倒的事故。",
         "希望有关部门尽快安排维修，并在施工路段设置明显的警示标志。",
         "路口没有红绿灯，车辆和行人抢行，去年还发生过一起交通事故。"],
        ["经核实，{street}改造工程因地下管网迁改延误了工期，目前已督促施工单位加快进度，预计{month}月底前完工。",
         "我们已安排养护单位对破损路面进行临时修补，并增设了警示标志和夜间照明。",
         "关于增设信号灯的建议，交警部门已经现场勘查，将纳入今年的交通设施建设计划。"]),
    "schools": (
        ["孩子入学报名遇到的困难", "关于{school}学位紧张的问题", "{estate}配套学校何时开学",
         "反映{school}课后服务收费问题", "关于随迁子女就近入学的咨询"],
        ["我家孩子今年满六岁，按片区划分应该在{school}就读，但报名时被告知学位已满。",
         "我们是外地来{place}务工人员，在这里缴纳社保已经{n}年，孩子的入学问题一直解决不了。",
         "{estate}交房时开发商承诺配套建设一所小学，现在已经过去{n}年，学校还没有动工。",
         "学校要求每个学生缴纳课后服务费{amount}元，但没有公示收费依据。",
         "请问随迁子女入学需要准备哪些材料，居住证不满一年是否可以报名？",
         "希望教育部门能够统筹安排，让孩子们能够就近入学。"],
        ["根据{year}年义务教育招生政策，随迁子女凭居住证和社保缴纳证明即可申请入学，具体材料请见区教育局官网。",
         "经调查，{school}今年学位确实紧张，区教育局已统筹安排到邻近学校就读，并提供校车接送。",
         "课后服务收费标准已经物价部门核定，学校已在校门口公示，家长自愿参加。"]),
    "medical": (
        ["医保异地报销比例的咨询", "关于门诊慢性病待遇认定的问题", "反映{place}某医院乱收费",
         "城乡居民医保缴费的疑问", "关于跨省就医备案的求助"],
        ["我母亲患有高血压和糖尿病，去年在{place}办理了门诊慢特病，今年续办时被告知材料不全。",
         "我在外省住院花费了{amount}元，回来报销时比例比本地低很多，想问一下是否合理。",
         "住院期间医院收取了多项检查费用，有些检查并没有做，清单上却有记录。",
         "城乡居民医保今年的缴费标准又提高了，农村老人负担比较重。",
         "网上办理跨省就医备案一直提示失败，打电话咨询也没有人接听。",
         "希望医保部门能简化办事流程，方便老年人办理。"],
        ["跨省异地就医备案可通过国家医保服务平台或当地医保经办窗口办理，备案后按就医地目录、参保地政策报销。",
         "经核查，该医院存在重复收费问题，已责令退还多收费用{amount}元，并依法予以处理。",
         "门诊慢特病认定需提供近一年的病历和检查报告，您可到参保地医保经办机构补交材料。"]),
    "housing": (
        ["{estate}延期交房问题", "关于公租房申请进度的咨询", "{estate}房产证迟迟办不下来",
         "反映{estate}物业乱收费", "老旧小区加装电梯的申请"],
        ["我于{year}年购买了{estate}的商品房，合同约定去年{month}月交房，至今没有交付。",
         "开发商以各种理由拖延，业主多次到售楼部协商都没有结果，已经有{n}百多户业主受到影响。",
         "我们申请公租房已经{n}年，一直处于轮候状态，想问一下还要等多久。",
         "收房已经三年，房产证一直办不下来，孩子上学需要房产证明，非常着急。",
         "物业公司每月收取公摊电费{amount}元，但从来没有公示明细。",
         "小区建成已经{n}十年，住着很多老人，上下楼非常困难，希望能加装电梯。"],
        ["住建部门已约谈开发企业，要求其制定交付方案，并对项目预售资金实施重点监管。",
         "{estate}不动产权证办理涉及土地出让金补缴问题，目前正在协调，预计年内可以办理。",
         "老旧小区加装电梯需经本单元业主表决同意，街道可提供政策指导和财政补贴。"]),
    "pension": (
        ["退休金计算方式的咨询", "关于养老保险转移接续的问题", "高龄津贴何时发放",
         "灵活就业人员养老保险缴费咨询", "反映养老院服务质量问题"],
        ["我今年{month}月退休，领到的养老金比同事少了{amount}元，不知道是怎么计算的。",
         "我在外省工作了{n}年，养老保险关系转回本省时一直办不下来。",
         "我父亲已经八十多岁，按规定应该领取高龄津贴，但今年一直没有到账。",
         "灵活就业人员缴费基数可以自己选择吗？中间断缴了几个月能否补缴？",
         "养老院的饭菜质量很差，护理人员也不够，老人经常无人照看。"],
        ["基本养老金由基础养老金和个人账户养老金组成，与缴费年限和缴费基数相关，您可携带身份证到社保窗口查询明细。",
         "养老保险关系转移已可通过国家社会保险公共服务平台网上申请，经办时限为十五个工作日。",
         "经核查，高龄津贴因银行账户信息有误未能发放，现已更正并补发。"]),
    "wages": (
        ["农民工工资被拖欠的求助", "关于劳动合同纠纷的咨询", "公司不给缴纳社保",
         "反映某工地拖欠工资", "失业保险金申领问题"],
        ["我们在{place}一个工地干活，老板拖欠了{n}十多个工人的工资，共计{amount}元。",
         "已经到劳动监察大队投诉过，对方说会处理，但两个月过去了还没有拿到钱。",
         "公司入职时没有签劳动合同，也没有缴纳社保，现在被辞退了一分钱补偿都没有。",
         "马上就要过年了，大家都等着这笔钱回家，希望政府帮帮我们。",
         "失业保险金申领需要哪些材料，网上申请一直审核不通过。"],
        ["人社部门已立案调查，责令施工企业在十个工作日内支付拖欠的工资，并将其列入欠薪重点监控名单。",
         "用人单位未依法签订劳动合同的，劳动者可申请劳动仲裁，要求支付二倍工资差额。",
         "失业保险金可通过人社厅网上服务大厅申领，审核不通过的原因会以短信告知。"]),
    "environment": (
        ["{place}某工厂夜间排放废气", "关于{estate}附近噪声扰民的投诉", "河道污染问题的反映",
         "建议增加{place}垃圾分类设施", "餐饮油烟扰民问题"],
        ["每天晚上十点以后，{place}的一家工厂就开始排放刺鼻的气体，附近居民根本不敢开窗。",
         "{estate}旁边的工地经常夜间施工，噪声很大，严重影响居民休息。",
         "小区附近的河道近期出现大量死鱼，水面发黑发臭。",
         "楼下的餐馆油烟直接排放，我们家的窗户和阳台都是油污。",
         "希望环保部门能够夜间突击检查，依法处理。"],
        ["生态环境部门已对该企业进行现场检查，发现其废气处理设施未正常运行，已依法立案处罚并责令整改。",
         "经核查，该工地夜间施工未办理许可，城管部门已责令停止并处以罚款。",
         "我们已组织对河道进行水质监测和清淤，并排查沿线排污口。"]),
    "public_safety": (
        ["{estate}电动车充电安全隐患", "关于户口迁移的咨询", "反映{place}网吧接纳未成年人",
         "身份证补办流程咨询", "建议加强{street}夜间治安巡逻"],
        ["小区楼道里经常有人给电动车充电，存在很大的火灾隐患，物业劝阻也没有用。",
         "我想把户口从{place}迁到爱人户口所在地，请问需要准备哪些材料？",
         "我的身份证在外地丢失了，可以在本地补办吗，需要多长时间？",
         "{street}一带晚上经常有人聚集喝酒闹事，希望加强巡逻。"],
        ["户口迁移可通过“跨省通办”办理，携带身份证、户口簿和结婚证到迁入地派出所申请即可。",
         "居民身份证可在全国任一公安机关户籍窗口异地补办，一般二十个工作日内办结。",
         "辖区派出所已加强{street}夜间巡逻，并与街道共同开展电动车充电安全整治。"]),
}
TOPIC_NAMES = list(TOPICS)

GREETINGS = ["尊敬的领导：您好！", "省长您好！", "尊敬的领导：", "您好！", "各位领导好，"]
CLOSINGS = ["恳请领导重视，尽快解决。", "谢谢！", "盼复。", "希望能得到答复，谢谢！",
            "麻烦领导在百忙之中关注一下，感谢！"]
REPLY_OPEN = ["{name}您好：您反映的问题收悉。现答复如下：", "来信人：您好！来信收悉，经研究，现答复如下：",
              "您好！感谢您对我们工作的关注。"]
REPLY_CLOSE = ["如有疑问，请拨打咨询电话{landline}。感谢您的理解与支持！",
               "如仍有问题，可与我单位联系（电话{landline}）。",
               "感谢您的来信。"]
REJECT_REASONS = ["来信内容属于诉讼程序处理范围，请依法通过司法途径解决。", "来信反映的问题不属于本信箱受理范围。",
                  "来信内容不完整，无法核实，请补充具体情况后重新来信。"]


# -- personal data, as (original, masked) pairs ---------------------------------------------------------

def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def masked_name(name: str) -> str:
    return name[0] + "*" * (len(name) - 1)


def mobile(rng: random.Random) -> tuple[str, str]:
    number = rng.choice(("13", "15", "18", "17", "19")) + f"{rng.randrange(10**9):09d}"
    return number, number[:3] + "****" + number[-4:]


def landline(rng: random.Random) -> tuple[str, str]:
    area = rng.choice(("0731", "0733", "0732", "0734", "0730"))
    local = f"{rng.randrange(8 * 10**7) + 10**7:08d}"
    return f"{area}-{local}", f"{area[:3]}*-****{local[-4:]}"


def id_number(rng: random.Random) -> tuple[str, str]:
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(50 * 365))
    number = f"43{rng.randrange(10**4):04d}{birth:%Y%m%d}{rng.randrange(1000):03d}{rng.choice('0123456789X')}"
    return number, number[:3] + "*" * 11 + number[-4:]


def email(rng: random.Random) -> tuple[str, str]:
    local = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(5, 10)))
    if rng.random() < 0.4:
        local += str(rng.randrange(1000))
    domain = rng.choice(("qq.com", "163.com", "126.com", "sina.com", "foxmail.com"))
    return f"{local}@{domain}", f"{local[0]}***@{domain}"


# -- dates ----------------------------------------------------------------------------------------------

@lru_cache(maxsize=100_000)
def add_workdays(day: date, n: int) -> date:
    """The *n*-th weekday after *day* (holidays ignored: close enough for generated data)."""
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


@lru_cache(maxsize=100_000)
def end_of_day_utc(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC) - SHANGHAI_OFFSET


def local_date(moment: datetime) -> date:
    return (moment + SHANGHAI_OFFSET).date()


# -- letters --------------------------------------------------------------------------------------------

def _weighted(rng: random.Random, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[-1] for p in pairs])[0]


def _fill(template: str, rng: random.Random, ctx: dict) -> str:
    return template.format(**ctx) if "{" in template else template


CHUNK = 1000
NUMBER_SPACE = 31 ** 5
NUMBER_STEP = 7_368_787  # coprime with 31: i -> i * STEP mod 31^5 is a bijection, so numbers never collide
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def letter_number(index: int, received: datetime) -> str:
    value = (index * NUMBER_STEP + 12345) % NUMBER_SPACE
    chars = []
    for _ in range(5):
        value, rest = divmod(value, 31)
        chars.append(ALPHABET[rest])
    return (received + SHANGHAI_OFFSET).strftime("%y%m") + "-" + "".join(chars)


class LetterFactory:
    """Makes letter *i* (a dict of column values) and its timeline events, deterministically."""

    def __init__(self, now: datetime, departments: dict[str, int], mailboxes: dict[str, tuple[int, int, int]],
                 query_code_hash: str, seed: int = 2026):
        # departments: code -> id; mailboxes: department code -> (mailbox id, department id, reply_days)
        self.now = now
        self.start = now - timedelta(days=365 * YEARS)
        self.span = (now - self.start).total_seconds()
        self.seed = seed
        self.query_code_hash = query_code_hash
        self.codes = [d[0] for d in DEPARTMENTS]
        self.weights = [d[3] for d in DEPARTMENTS]
        self.departments = departments
        self.mailboxes = mailboxes
        self.department_ids = list(departments.values())

    def chunk(self, start: int, stop: int) -> list[tuple[dict, list[dict]]]:
        """Letters ``start`` to ``stop - 1``; *start* must be a multiple of :data:`CHUNK` (each chunk has its own
        random stream, so the rows do not depend on how a load is split)."""
        assert start % CHUNK == 0, start
        rows = []
        for base in range(start, stop, CHUNK):
            rng = random.Random(self.seed * 1_000_003 + base // CHUNK)
            rows.extend(self.make(index, rng) for index in range(base, min(base + CHUNK, stop)))
        return rows

    def make(self, index: int, rng: random.Random) -> tuple[dict, list[dict]]:
        code = rng.choices(self.codes, weights=self.weights)[0]
        mailbox_id, department_id, reply_days = self.mailboxes[code]
        received = self.start + timedelta(seconds=rng.random() * self.span)
        received = received.replace(microsecond=0)
        age_days = (self.now - received).total_seconds() / 86400
        topic = TOPICS[rng.choice(TOPIC_NAMES)]
        ctx = {"place": rng.choice(PLACES), "street": rng.choice(STREETS), "estate": rng.choice(ESTATES),
               "school": rng.choice(SCHOOLS), "year": rng.randint(2019, 2025), "month": rng.randint(1, 12),
               "n": rng.randint(2, 9), "amount": rng.choice((120, 350, 800, 1500, 2600, 4800, 12000, 36000))}
        name = person_name(rng)
        phone, phone_masked = mobile(rng)
        subject = _fill(rng.choice(topic[0]), rng, ctx)
        # The body: greeting, who I am (personal data), the matter, contact details, closing.
        raw, masked = [rng.choice(GREETINGS)], [None]
        masked[0] = raw[0]
        intro = f"我是{ctx['place']}{rng.choice(ESTATES)}的居民{name}，"
        intro_m = intro.replace(name, masked_name(name))
        raw.append(intro)
        masked.append(intro_m)
        for sentence in rng.sample(topic[1], k=min(len(topic[1]), rng.randint(4, 7))):
            text = _fill(sentence, rng, ctx)
            raw.append(text)
            masked.append(text)
        if rng.random() < 0.25:
            idn, idn_m = id_number(rng)
            raw.append(f"我的身份证号码是{idn}。")
            masked.append(f"我的身份证号码是{idn_m}。")
        mail = mail_m = None
        contact, contact_m = f"联系电话：{phone}", f"联系电话：{phone_masked}"
        if rng.random() < 0.4:
            mail, mail_m = email(rng)
            contact += f"，邮箱：{mail}"
            contact_m += f"，邮箱：{mail_m}"
        if rng.random() < 0.2:
            tel, tel_m = landline(rng)
            contact += f"，家里电话{tel}"
            contact_m += f"，家里电话{tel_m}"
        raw.append(contact + "。")
        masked.append(contact_m + "。")
        closing = rng.choice(CLOSINGS)
        raw.append(closing)
        masked.append(closing)
        # A paragraph break every few sentences, as people write.
        breaks = [rng.random() < 0.4 for _ in raw]
        body_masked = _paragraphs(masked, breaks)
        body = _paragraphs(raw, breaks)

        category = _weighted(rng, CATEGORIES)
        channel = _weighted(rng, CHANNELS)
        received_day = local_date(received)
        accept_due = end_of_day_utc(add_workdays(received_day, 2))
        due = end_of_day_utc(add_workdays(received_day, reply_days))
        status = self._status(rng, age_days)
        row = {
            "id": index + 1, "number": letter_number(index, received), "query_code_hash": self.query_code_hash,
            "submission_token": None, "sealed_code": None, "mailbox_id": mailbox_id, "department_id": department_id,
            "category": category, "subject": subject, "body": body, "name": name, "phone": phone, "email": mail,
            "public_consent": rng.random() < 0.6, "channel": channel, "status": status, "author_id": None,
            "registered_by_id": None, "received_dt": received, "created_dt": received, "accept_due_dt": accept_due,
            "due_dt": due, "accepted_dt": None, "assigned_dt": None, "rejection_reason": None,
            "extended_workdays": 0, "extension_reason": None, "transfer_count": 0, "replied_dt": None,
            "reply_body": None, "reply_html": None, "reply_department_id": None, "replied_on_time": None,
            "rating_score": None, "rating_resolution": None, "rating_attitude": None, "rating_speed": None,
            "rating_comment": None, "rated_dt": None, "is_rehandled": False, "closed_dt": None,
            "publication_state": None, "is_published": False, "published_dt": None, "published_subject": None,
            "published_body": None, "published_reply": None, "reminded_due_soon_dt": None,
            "reminded_due_dt": None, "supervised_dt": None, "due_basis": None,
        }
        events = [{"letter_id": index + 1, "at_dt": received, "action": "submitted" if channel == "web" else
                   "registered", "note": None, "department_id": department_id, "is_internal": False,
                   "data": json.dumps({"channel": channel})}]
        if status == "rejected":
            row["rejection_reason"] = rng.choice(REJECT_REASONS)
            row["closed_dt"] = min(self.now, received + timedelta(days=rng.uniform(0.2, 2)))
            return row, events
        if status == "submitted":
            return row, events
        row["accepted_dt"] = min(self.now, received + timedelta(days=rng.uniform(0.1, 2)))
        if status == "accepted":
            return row, events
        row["assigned_dt"] = min(self.now, row["accepted_dt"] + timedelta(days=rng.uniform(0.1, 1)))
        roll = rng.random()
        if roll < 0.004:
            row["transfer_count"] = 3  # flagged to administrators
        elif roll < 0.06:
            row["transfer_count"] = 1 if roll < 0.05 else 2
        if rng.random() < 0.03:
            row["extended_workdays"] = rng.randint(3, 15)
            row["extension_reason"] = "案情复杂，需要多部门联合调查核实。"
            row["due_dt"] = end_of_day_utc(add_workdays(local_date(due), row["extended_workdays"]))
        if status == "assigned":
            if rng.random() < 0.02:
                row["supervised_dt"] = min(self.now, row["due_dt"] + timedelta(days=1))
            return row, events
        # Answered: replied, rated, closed.
        replied = received + timedelta(days=rng.uniform(2, min(age_days, reply_days * 1.6 + 3)))
        replied = min(replied, self.now - timedelta(minutes=5)).replace(microsecond=0)
        reply_ctx = ctx
        tel, tel_m = landline(rng)
        reply_raw = [_fill(rng.choice(REPLY_OPEN), rng, {"name": name})]
        reply_m = [reply_raw[0].replace(name, masked_name(name))]
        for sentence in rng.sample(topic[2], k=rng.randint(1, len(topic[2]))):
            text = _fill(sentence, rng, reply_ctx)
            reply_raw.append(text)
            reply_m.append(text)
        close = rng.choice(REPLY_CLOSE)
        reply_raw.append(close.format(landline=tel))
        reply_m.append(close.format(landline=tel_m))
        reply_body = "\n".join(reply_raw)
        row.update(replied_dt=replied, reply_body=reply_body,
                   reply_html="".join(f"<p>{html.escape(p)}</p>" for p in reply_raw),
                   reply_department_id=department_id, replied_on_time=replied <= row["due_dt"])
        events.append({"letter_id": index + 1, "at_dt": replied, "action": "replied", "note": None,
                       "department_id": department_id, "is_internal": False, "data": None})
        if status in ("rated", "closed") and rng.random() < 0.7:
            score = _weighted(rng, [(5, 45), (4, 25), (3, 15), (2, 8), (1, 7)])
            row.update(rating_score=score, rating_resolution=score, rating_attitude=min(5, score + 1),
                       rating_speed=score, rated_dt=min(self.now, replied + timedelta(days=rng.uniform(0.5, 5))),
                       rating_comment="答复及时，问题已解决，谢谢。" if score >= 4 else
                       ("问题没有得到实质解决。" if score <= 2 else None))
        elif status == "rated":
            row["status"] = status = "replied"
        if status == "closed":
            row["closed_dt"] = min(self.now, (row["rated_dt"] or replied) + timedelta(days=rng.uniform(5, 9)))
        if row["public_consent"]:
            roll = rng.random()
            if age_days < 5 and roll < 0.5:
                row["publication_state"] = "pending"
            elif roll < 0.78:
                row["publication_state"] = "approved"
            else:
                row["publication_state"] = "rejected"
            row["published_subject"] = subject
            row["published_body"] = body_masked
            row["published_reply"] = "\n".join(reply_m)
            if row["publication_state"] == "approved":
                row["is_published"] = True
                row["published_dt"] = min(self.now, replied + timedelta(days=rng.uniform(0.2, 3)))
        return row, events

    @staticmethod
    def _status(rng: random.Random, age_days: float) -> str:
        roll = rng.random()
        if age_days < 2:
            table = [("submitted", 0.70), ("accepted", 0.90), ("rejected", 0.95), ("assigned", 1.0)]
        elif age_days < 25:
            table = [("submitted", 0.03), ("accepted", 0.10), ("rejected", 0.17), ("assigned", 0.55),
                     ("replied", 0.80), ("rated", 1.0)]
        elif age_days < 60:
            table = [("assigned", 0.08), ("rejected", 0.15), ("replied", 0.35), ("rated", 0.60), ("closed", 1.0)]
        else:
            table = [("assigned", 0.01), ("rejected", 0.08), ("replied", 0.12), ("rated", 0.16), ("closed", 1.0)]
        for status, upper in table:
            if roll < upper:
                return status
        return table[-1][0]


def _paragraphs(sentences: list[str], breaks: list[bool]) -> str:
    out, run = [], 0
    for sentence, brk in zip(sentences, breaks):
        out.append(sentence)
        run += 1
        if run >= 3 and brk:
            out.append("\n")
            run = 0
    return "".join(out).strip()


def submission_payloads(mailbox_codes: list[str], count: int = 16, seed: int = 7) -> list[dict]:
    """Bodies for ``POST /api/v1/letters`` (anonymous, as from a phone app)."""
    rng = random.Random(seed)
    payloads = []
    for i in range(count):
        topic = TOPICS[TOPIC_NAMES[i % len(TOPIC_NAMES)]]
        ctx = {"place": rng.choice(PLACES), "street": rng.choice(STREETS), "estate": rng.choice(ESTATES),
               "school": rng.choice(SCHOOLS), "year": 2025, "month": rng.randint(1, 12), "n": rng.randint(2, 9),
               "amount": 1500}
        name = person_name(rng)
        phone, _masked = mobile(rng)
        sentences = [_fill(s, rng, ctx) for s in rng.sample(topic[1], k=4)]
        payload = {"mailbox": rng.choice(mailbox_codes), "category": _weighted(rng, CATEGORIES),
                   "subject": _fill(rng.choice(topic[0]), rng, ctx),
                   "body": rng.choice(GREETINGS) + f"我是{ctx['place']}的居民{name}，" + "".join(sentences)
                   + f"联系电话：{phone}。" + rng.choice(CLOSINGS),
                   "name": name, "phone": phone, "public_consent": rng.random() < 0.6}
        if i % 2:
            payload["email"] = email(rng)[0]
        payloads.append(payload)
    return payloads
