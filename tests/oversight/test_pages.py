"""The performance page, its exports (XLSX opened with openpyxl, CSV), the self-check page and the public page."""

import csv
import io

from openpyxl import load_workbook

from interaction.core.db import db
from interaction.oversight import figures
from tests.factories import make_user

NOVEMBER = "?period=month&year=2026&month=11"


def test_performance_page_for_an_administrator(client, login, world):
    login(world.admin)
    response = client.get("/oversight/performance" + NOVEMBER)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "统计期间：2026-11-01 至 2026-11-30" in html
    assert "教育厅" in html and "公安厅" in html and "长沙市" in html
    assert "66.7%" in html  # 教育厅's reply and on-time rates
    assert "—" in html  # 长沙市 has nothing to count
    assert html.count('<details class="formula">') >= len(figures.FIGURES)
    assert "2 个部门来信少于 5 件，未参与排名：教育厅、公安厅。" in html
    assert 'id="chart-trend"' in html and 'id="oversight-data"' in html
    assert "js/oversight.js" in html and "vendor/chartjs/chart.umd.min.js" in html
    assert "<caption>" in html and 'scope="col"' in html


def test_every_figure_says_its_formula(client, login, world):
    login(world.admin)
    html = client.get("/oversight/performance" + NOVEMBER).get_data(as_text=True)
    for figure in figures.FIGURES:
        assert str(figure.formula) in html


def test_period_kinds(client, login, world):
    login(world.admin)
    for query, line in [("?period=quarter&year=2026&quarter=4", "2026-10-01 至 2026-12-31"),
                        ("?period=year&year=2025", "2025-01-01 至 2025-12-31"),
                        ("?from=2026-11-02&to=2026-11-03", "2026-11-02 至 2026-11-03"),
                        ("", "2026-01-01 至 2026-12-31")]:
        html = client.get("/oversight/performance" + query).get_data(as_text=True)
        assert line in html, query


def test_bad_period_shows_a_clear_message(client, login, world):
    login(world.admin)
    html = client.get("/oversight/performance?from=2026-11-30&to=2026-11-01").get_data(as_text=True)
    assert "开始日期不能晚于结束日期。" in html
    html = client.get("/oversight/performance?department=nope").get_data(as_text=True)
    assert "没有这个部门。" in html
    assert client.get("/oversight/performance.xlsx?from=2026-11-30&to=2026-11-01").status_code == 422


def test_staff_see_their_own_department_only(client, login, world):
    login(world.police_staff)
    html = client.get("/oversight/performance" + NOVEMBER).get_data(as_text=True)
    assert "公安厅" in html and "教育厅" not in html and "未参与排名" not in html
    assert client.get("/oversight/performance?department=edu").status_code == 403
    assert client.get("/oversight/compliance").status_code == 403


def test_citizens_and_moderators_are_refused(client, login, world):
    login(world.moderator)
    assert client.get("/oversight/performance").status_code == 403
    login(make_user("citizen"))
    db.session.commit()
    assert client.get("/oversight/performance.csv").status_code == 403


def test_xlsx_export(client, login, world):
    login(world.admin)
    response = client.get("/oversight/performance.xlsx" + NOVEMBER)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "performance-2026-11-01-2026-11-30.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["部门绩效", "指标定义"]
    sheet = book["部门绩效"]
    assert sheet["B1"].value == "2026-11-01 – 2026-11-30"
    header = [c.value for c in sheet[2]]
    assert header[:3] == ["部门", "上级", "收到来信"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    edu = dict(zip(header, rows["教育厅"]))
    assert edu["上级"] == "湖南省人民政府" and edu["收到来信"] == 4 and edu["答复率"] == 0.6667
    assert rows["长沙市"][header.index("答复率")] is None
    assert rows["湖南省人民政府（含下级）"][header.index("收到来信")] == 5
    assert rows["全省合计"][header.index("收到来信")] == 5
    definitions = list(book["指标定义"].iter_rows(values_only=True))
    assert definitions[0] == ("指标", "字段", "计算方法", "Definition")
    assert len(definitions) == len(figures.FIGURES) + 1
    assert ("按时答复率", "on_time_rate") == definitions[5][:2] and "超期" in definitions[5][2]


def test_csv_export(client, login, world):
    login(world.admin)
    response = client.get("/oversight/performance.csv" + NOVEMBER)
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["部门", "上级", "收到来信"]
    city = next(r for r in rows if r[0] == "长沙市")
    assert city[rows[0].index("答复率")] == ""


def test_compliance_page(client, login, world):
    login(world.admin)
    html = client.get("/oversight/compliance").get_data(as_text=True)
    assert html.index("超过三个月未答复（单项否决）") < html.index("访谈结束后未公开文字实录")
    assert "通过" in html


def test_public_page_has_no_person(client, world):
    response = client.get("/oversight/public")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "2026-11" in html and "<caption" in html
    for private in ("张三", "13800138000", "admin@example.com", world.numbers["L1"]):
        assert private not in html
