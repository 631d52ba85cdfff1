"""``flask seed-demo``: demonstration data modelled on Hunan province.

Idempotent: what exists (by code or e-mail) is left as it is, so running it twice
changes nothing. ``--first-start`` (used by ``make run``) does nothing when any
account exists, except printing the demo accounts.

Other features add their demo content (letters, questions, polls...) after the base
data by appending a callable to ``app.extensions["interaction.demo_seeders"]``
(see :func:`register_demo_seeder`); each is called with the demo administrator,
must be idempotent itself and must not commit.
"""

from collections.abc import Callable

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from interaction.accounts import services
from interaction.accounts.models import Department, DepartmentKind, User
from interaction.core.db import db
from interaction.mailbox.models import Mailbox

DEMO_PASSWORD = "demo-password-2026"

PROVINCE = ("hunan", "湖南省人民政府", DepartmentKind.province, None)

#: (code, name, kind, parent code), parents before children.
DEPARTMENTS: list[tuple[str, str, str, str | None]] = [
    PROVINCE,
    ("office", "省政府办公厅", DepartmentKind.department, "hunan"),
    ("fgw", "发展改革委", DepartmentKind.department, "hunan"),
    ("edu", "教育厅", DepartmentKind.department, "hunan"),
    ("police", "公安厅", DepartmentKind.department, "hunan"),
    ("hrss", "人力资源社会保障厅", DepartmentKind.department, "hunan"),
    ("housing", "住房城乡建设厅", DepartmentKind.department, "hunan"),
    ("transport", "交通运输厅", DepartmentKind.department, "hunan"),
    ("health", "卫生健康委", DepartmentKind.department, "hunan"),
    ("env", "生态环境厅", DepartmentKind.department, "hunan"),
    ("changsha", "长沙市", DepartmentKind.city, "hunan"),
    ("zhuzhou", "株洲市", DepartmentKind.city, "hunan"),
    ("xiangtan", "湘潭市", DepartmentKind.city, "hunan"),
    ("hengyang", "衡阳市", DepartmentKind.city, "hunan"),
    ("shaoyang", "邵阳市", DepartmentKind.city, "hunan"),
    ("yueyang", "岳阳市", DepartmentKind.city, "hunan"),
    ("changde", "常德市", DepartmentKind.city, "hunan"),
    ("zhangjiajie", "张家界市", DepartmentKind.city, "hunan"),
    ("yiyang", "益阳市", DepartmentKind.city, "hunan"),
    ("chenzhou", "郴州市", DepartmentKind.city, "hunan"),
    ("yongzhou", "永州市", DepartmentKind.city, "hunan"),
    ("huaihua", "怀化市", DepartmentKind.city, "hunan"),
    ("loudi", "娄底市", DepartmentKind.city, "hunan"),
    ("xiangxi", "湘西土家族苗族自治州", DepartmentKind.city, "hunan"),
    ("changsha-county", "长沙县", DepartmentKind.county, "changsha"),
    ("liuyang", "浏阳市", DepartmentKind.county, "changsha"),
    ("ningxiang", "宁乡市", DepartmentKind.county, "changsha"),
]

#: (code, name, department code, reply_days, description)
MAILBOXES: list[tuple[str, str, str, int, str]] = [
    ("governor", "省长信箱", "office", 15, "向省长反映问题、提出意见建议。"),
    ("fgw-head", "发展改革委主任信箱", "fgw", 15, ""),
    ("edu-head", "教育厅厅长信箱", "edu", 15, ""),
    ("police-head", "公安厅厅长信箱", "police", 15, ""),
    ("hrss-head", "人力资源社会保障厅厅长信箱", "hrss", 15, ""),
    ("housing-head", "住房城乡建设厅厅长信箱", "housing", 15, ""),
    ("transport-head", "交通运输厅厅长信箱", "transport", 15, ""),
    ("health-head", "卫生健康委主任信箱", "health", 15, ""),
    ("env-head", "生态环境厅厅长信箱", "env", 15, ""),
    ("changsha-mayor", "长沙市市长信箱", "changsha", 15, ""),
]

#: (e-mail, role, department code, name, phone); every demo account's password is DEMO_PASSWORD.
ACCOUNTS: list[tuple[str, str, str | None, str, str | None]] = [
    ("citizen@demo.gov.cn", "citizen", None, "张三", "13800138000"),
    ("staff@demo.gov.cn", "staff", "edu", "李老师（教育厅）", "0731-84715000"),
    ("staff2@demo.gov.cn", "staff", "police", "王警官（公安厅）", "0731-82587000"),
    ("moderator@demo.gov.cn", "moderator", None, "审核员", None),
    ("admin@demo.gov.cn", "admin", None, "管理员", None),
]

SEEDERS_KEY = "interaction.demo_seeders"


def register_demo_seeder(app: Flask, seeder: Callable[[User], None]) -> None:
    """Have ``seed-demo`` call *seeder(admin)* after the base data (features may also append directly)."""
    app.extensions.setdefault(SEEDERS_KEY, []).append(seeder)


def _by_code(model, code):
    return db.session.scalar(select(model).filter_by(code=code))


def seed_base() -> User:
    """Create whatever of the base data is missing; return the demo administrator."""
    for order, (code, name, kind, parent_code) in enumerate(DEPARTMENTS):
        if _by_code(Department, code) is None:
            parent = _by_code(Department, parent_code) if parent_code else None
            services.create_department(code, name, kind, parent, actor=None, sort_order=order)
    for order, (code, name, department_code, reply_days, description) in enumerate(MAILBOXES):
        if _by_code(Mailbox, code) is None:
            db.session.add(Mailbox(code=code, name=name, department=_by_code(Department, department_code),
                                   reply_days=reply_days, description=description, sort_order=order))
    for email, role, department_code, name, phone in ACCOUNTS:
        if db.session.scalar(select(User).filter_by(email=email)) is None:
            department = _by_code(Department, department_code) if department_code else None
            services.create_user(email, DEMO_PASSWORD, role, department, name, phone, actor=None)
    db.session.flush()
    return db.session.scalar(select(User).filter_by(email="admin@demo.gov.cn"))


def print_accounts() -> None:
    width = max(len(email) for email, *_rest in ACCOUNTS)
    click.echo(f"{'e-mail':<{width}}  {'role':<9}  {'department':<10}  password")
    click.echo(f"{'-' * width}  {'-' * 9}  {'-' * 10}  {'-' * len(DEMO_PASSWORD)}")
    for email, role, department_code, _name, _phone in ACCOUNTS:
        click.echo(f"{email:<{width}}  {role:<9}  {department_code or '-':<10}  {DEMO_PASSWORD}")


@click.command("seed-demo")
@click.option("--first-start", is_flag=True, help="Do nothing if any account exists (for `make run`).")
def seed_demo(first_start):
    """Load demonstration data (a province modelled on Hunan); idempotent."""
    if first_start and db.session.scalar(select(func.count()).select_from(User)):
        click.echo("Accounts exist already: demo data not loaded. Demo accounts (if loaded before):")
        print_accounts()
        return
    admin = seed_base()
    for seeder in current_app.extensions.get(SEEDERS_KEY, []):
        seeder(admin)
    db.session.commit()
    click.echo("Demo data loaded. Accounts:")
    print_accounts()


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)
