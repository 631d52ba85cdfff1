"""About 150 demonstration letters for ``flask seed-demo``: every department's mailbox, every state, real dates.

A newcomer should see a desk in use: letters waiting to be accepted, accepted, assigned, some
overdue, some transferred or extended, rejected ones, replies rated (well and badly), closed ones
and published ones on the public list. Each letter's history is replayed through the services at
moments relative to today (the app's clock is set to each moment in turn and given back after), so
timelines, deadlines, on-time figures and the public list's dates look as they would in use.

Idempotent: a letter is recognised by its subject (each is unique: a place and a topic).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import select

from interaction.accounts.models import Department, User
from interaction.core import time as core_time
from interaction.core.db import db
from interaction.core.time import now_utc
from interaction.mailbox import services
from interaction.mailbox.models import Letter, Mailbox

PLACES = ["长沙市岳麓区", "长沙市开福区", "长沙市雨花区", "长沙市天心区", "长沙市望城区", "株洲市芦淞区",
          "湘潭市雨湖区", "衡阳市蒸湘区", "岳阳市岳阳楼区", "常德市武陵区", "益阳市赫山区", "郴州市北湖区",
          "娄底市娄星区", "怀化市鹤城区", "邵阳市大祥区"]

#: (mailbox code, category, topic (subject after the place), what the writer says, the reply)
TOPICS = [
    ("governor", "complaint", "工地夜间施工噪音扰民",
     "小区旁的工地连续多晚施工到凌晨一两点，老人孩子无法休息，多次向工地反映无果。",
     "经核查，该工地夜间施工未办理许可，已责令停止夜间作业并处罚款，城管部门将加强夜间巡查。"),
    ("governor", "suggestion", "建议增设公交线路",
     "新建小区入住已超过两千户，最近的公交站步行要二十多分钟，建议增设或延伸公交线路。",
     "交通运输部门已完成客流调查，拟于下月起将相邻线路延伸至小区门口，并增设站点。"),
    ("edu-head", "consultation", "随迁子女入学需要哪些材料",
     "我们一家从外省搬来，孩子今年上小学一年级，想了解需要准备的材料和报名时间。",
     "请在6月入学报名期间通过区教育局入学服务平台登记，准备户口簿、居住证、房产或租赁证明和出生证明。"),
    ("edu-head", "suggestion", "建议延长学校课后服务时间",
     "双职工家庭下班较晚，建议课后服务延长到18点，并增加兴趣类课程。",
     "已将建议转学校研究，下学期起课后服务时间统一延长至18点，并开设体育、艺术类课程。"),
    ("police-head", "help", "身份证异地补办咨询",
     "出差途中身份证丢失，想了解在本地能否补办、需要多长时间。",
     "居民身份证已实现全国异地受理，可到任一户政窗口补办，制证约20个工作日，可选择邮寄到家。"),
    ("police-head", "complaint", "路口违停严重影响通行",
     "学校门口路口每天早晚高峰违停车辆很多，孩子上下学很不安全。",
     "交警部门已在该路口增设违停抓拍设备，并在上下学时段安排警力值守。"),
    ("hrss-head", "consultation", "灵活就业人员养老保险缴费",
     "我是灵活就业人员，想了解养老保险的缴费基数和缴费方式。",
     "灵活就业人员可在当地社保经办机构或网上服务平台登记，按上年度社平工资60%至300%之间自选基数缴费。"),
    ("hrss-head", "complaint", "公司拖欠工资三个月",
     "我所在的公司已经拖欠工资三个月，找老板多次都说再等等。",
     "劳动保障监察部门已立案调查，责令企业限期支付拖欠工资，逾期将依法处理。"),
    ("housing-head", "complaint", "老旧小区加装电梯进展缓慢",
     "我们小区去年报名加装电梯，至今没有动工，想了解进展。",
     "该小区加装电梯项目已完成审批，施工单位将于本月进场，预计三个月内完工。"),
    ("housing-head", "consultation", "公积金贷款额度如何计算",
     "准备首次购房，想了解住房公积金贷款的额度计算方法。",
     "贷款额度按缴存余额、还款能力和房价比例综合计算，最高额度以公积金中心公布为准，可在线试算。"),
    ("transport-head", "suggestion", "建议优化高峰时段地铁班次",
     "早高峰地铁非常拥挤，经常要等两三趟才能上车，建议加密班次。",
     "运营单位已在早高峰时段将发车间隔由4分钟缩短至3分钟，后续将根据客流继续调整。"),
    ("transport-head", "complaint", "道路坑洼多处积水",
     "附近主干道路面坑洼多处，下雨后大面积积水，车辆和行人都难以通行。",
     "养护单位已对该路段坑槽进行修补，并疏通了排水管网，将纳入年度大修计划。"),
    ("health-head", "consultation", "异地就医备案办理流程",
     "父母随我在外地生活，想了解医保异地就医备案怎么办理。",
     "可通过国家医保服务平台或当地医保窗口办理异地就医备案，备案后在定点医院直接结算。"),
    ("health-head", "complaint", "社区卫生服务中心排队时间长",
     "社区卫生服务中心只有一个挂号窗口，每次排队要一个多小时。",
     "该中心已增设自助挂号机和线上预约，并在高峰时段增开窗口。"),
    ("env-head", "report", "河道有不明污水排放",
     "小区附近河道近期经常有黑色污水排入，气味很大。",
     "经现场检查，排污口为一家洗涤企业违规排放，已责令停产整改并立案处罚。"),
    ("env-head", "complaint", "餐馆油烟扰民",
     "楼下餐馆油烟直排，家里窗户都不敢开。",
     "执法人员已责令该餐馆安装油烟净化设施，整改后经检测达标。"),
    ("fgw-head", "suggestion", "建议增设新能源汽车充电桩",
     "小区和周边停车场充电桩太少，新能源车主充电困难。",
     "已将该区域纳入年度充电基础设施建设计划，年内新增公共充电桩50个。"),
    ("changsha-mayor", "suggestion", "建议增加口袋公园",
     "周边居民区密集，缺少散步休闲的地方，建议利用边角地建设口袋公园。",
     "已将该地块纳入口袋公园建设计划，预计明年上半年建成开放。"),
    ("changsha-mayor", "help", "申请困难家庭临时救助",
     "家中老人重病住院，医疗费用负担很重，想了解临时救助如何申请。",
     "可向户籍所在地街道（乡镇）提出临时救助申请，民政部门将在审核后及时发放救助金。"),
    ("governor", "other", "对政务服务中心的表扬",
     "前几天到政务服务中心办事，窗口工作人员耐心细致，一次就办好了，特此表扬。",
     "感谢您的肯定，我们会继续提升服务质量。"),
]

NAMES = ["王小明", "李华", "张伟", "刘洋", "陈静", "杨帆", "赵强", "黄丽", "周杰", "吴敏", "徐磊", "孙悦",
         "胡军", "朱婷", "高峰", "林娜", "何勇", "郭佳", "马超", "罗琳"]

#: The path each letter takes, chosen by its index (ten kinds, in turn, shifted per round of topics).
PATHS = ["submitted", "rejected", "accepted", "assigned", "overdue", "transferred", "replied", "published",
         "rated_low", "extended"]
COUNT = 150


@contextmanager
def replaying(moment: datetime) -> Iterator[None]:
    """Run a step of a letter's history as if at *moment* (the app's clock, given back afterwards)."""
    before = core_time.clock.frozen
    core_time.clock.frozen = moment
    try:
        yield
    finally:
        core_time.clock.frozen = before


def plan(index: int, now: datetime) -> tuple[str, datetime]:
    """The path of letter *index* and when it was received (days ago fit its path)."""
    path = PATHS[(index + index // len(TOPICS)) % len(PATHS)]  # each mailbox's letters take every path
    spread = (index * 37) % 11
    days_ago = {"submitted": index % 3, "rejected": 5 + spread, "accepted": 2 + index % 2, "assigned": 4 + spread,
                "overdue": 35 + spread * 3, "transferred": 6 + spread,
                "extended": 12 + spread}.get(path, 20 + spread * 8)
    return path, now - timedelta(days=days_ago, hours=(index * 5) % 9)


def seed(admin: User) -> int:
    """Add the letters that do not exist yet; return how many were added."""
    mailboxes = {m.code: m for m in db.session.scalars(select(Mailbox))}
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    existing = set(db.session.scalars(select(Letter.subject)))
    now, added = now_utc(), 0
    for index in range(COUNT):
        mailbox_code, category, topic, body, reply = TOPICS[index % len(TOPICS)]
        place = PLACES[(index % len(TOPICS) + index // len(TOPICS)) % len(PLACES)]  # a topic never twice in a place
        subject = f"{place}{topic}"
        mailbox = mailboxes.get(mailbox_code)
        if subject in existing or mailbox is None:
            continue
        path, received = plan(index, now)
        name = NAMES[index % len(NAMES)]
        data = {"category": category, "subject": subject, "body": f"我是{place}居民。{body}", "name": name,
                "phone": f"1{3 + index % 6}{(index * 7919) % 10**9:09d}",
                "public_consent": path == "published" or index % 3 == 0,
                "email": None}
        _replay(admin, mailbox, departments, data, path, received, reply, index)
        existing.add(subject)
        added += 1
    return added


def _replay(admin: User, mailbox: Mailbox, departments: dict, data: dict, path: str, received: datetime,
            reply: str, index: int) -> None:
    channel = ("post", "phone", "visit")[index % 3] if index % 4 == 0 else "web"
    with replaying(received):
        if channel == "web":
            letter, _code, _created = services.submit_letter(mailbox, data, actor=None)
        else:
            letter, _code, _created = services.submit_letter(mailbox, data, actor=admin, channel=channel,
                                                             received_dt=received)
    if path == "submitted":
        return
    step = received + timedelta(hours=20)
    with replaying(step):
        if path == "rejected":
            services.reject_letter(letter, "来信反映的事项属于司法诉讼程序，请通过法定途径解决。", actor=admin)
            return
        services.accept_letter(letter, actor=admin)
    if path == "accepted":
        return
    handling = departments.get(mailbox.department.code)
    with replaying(step + timedelta(hours=3)):
        services.assign_letter(letter, handling, actor=admin)
    if path in ("assigned", "overdue"):
        return
    if path == "transferred":
        other = next((d for code, d in sorted(departments.items(), key=lambda item: item[0] != "changsha")
                      if d.id != handling.id and d.is_active), None)
        if other is None:  # a desk with one department: the letter stays assigned
            return
        with replaying(step + timedelta(days=1)):
            services.transfer_letter(letter, other, "该事项属地管理，转属地政府办理。", actor=admin)
        return
    if path == "extended":
        with replaying(step + timedelta(days=2)):
            services.extend_letter(letter, 10, "需要多个部门联合现场核查。", actor=admin)
        return
    replied = min(step + timedelta(days=4 + index % 9), now_utc() - timedelta(hours=2))
    with replaying(replied):
        services.reply_letter(letter, f"{data['name']}您好！{reply}感谢您对我们工作的关心和支持。", actor=admin)
    if path == "replied":
        return
    with replaying(replied + timedelta(hours=6)):
        if path == "published":
            services.rate_letter(letter, None, resolution=5, attitude=5, speed=4 + index % 2,
                                 comment="答复及时，问题已解决。")
            _approve_publication(letter, admin)
        else:  # rated_low: an unhappy writer, then the letter is closed
            services.rate_letter(letter, None, resolution=2, attitude=3, speed=2, comment="问题还没有彻底解决。")
    if path == "rated_low":
        with replaying(replied + timedelta(days=1)):
            services.close_letter(letter, actor=admin)


def _approve_publication(letter: Letter, admin: User) -> None:
    from interaction.moderation.models import ModerationCase
    from interaction.moderation.services import decide_case

    case = db.session.scalar(select(ModerationCase).where(ModerationCase.kind == services.MODERATION_KIND,
                                                          ModerationCase.target_id == str(letter.id),
                                                          ModerationCase.state == "pending"))
    if case is not None:
        decide_case(case, "approve", actor=admin)
