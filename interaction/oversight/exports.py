"""The performance table as XLSX (openpyxl; the figures' definitions on a second sheet) and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from interaction.oversight.figures import FIGURES, Performance


def header() -> list[str]:
    return [_("部门"), _("上级"), *[str(f.label) for f in FIGURES]]


def table(perf: Performance) -> list[list]:
    """One row per department (its own figures), then the roll-ups, then the province; None stays empty."""
    rows = []
    names = {row.department.id: row.department.name for row in perf.rows}
    for row in perf.rows:
        parent = names.get(row.department.parent_id, "")
        rows.append([row.department.name, parent, *[row.own[f.key] for f in FIGURES]])
    for row in perf.rows:
        if row.rollup is not None:
            rows.append([_("%(name)s（含下级）", name=row.department.name), "", *[row.rollup[f.key] for f in FIGURES]])
    rows.append([_("全省合计"), "", *[perf.province[f.key] for f in FIGURES]])
    return rows


def period_text(perf: Performance) -> str:
    return f"{perf.first.isoformat()} – {(perf.end - timedelta(days=1)).isoformat()}"


def to_xlsx(perf: Performance) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("部门绩效")
    sheet.append([_("统计期间"), period_text(perf)])
    sheet.append(header())
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for values in table(perf):
        sheet.append(values)
    for n, figure in enumerate(FIGURES, start=3):
        if figure.kind == "rate":
            for (cell,) in sheet.iter_rows(min_row=3, min_col=n, max_col=n):
                cell.number_format = "0.0%"
    definitions = book.create_sheet(_("指标定义"))
    definitions.append([_("指标"), _("字段"), _("计算方法"), "Definition"])
    for cell in definitions[1]:
        cell.font = Font(bold=True)
    for figure in FIGURES:
        definitions.append([str(figure.label), figure.key, str(figure.formula), figure.formula_en])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(perf: Performance) -> bytes:
    """UTF-8 with a byte-order mark (so that spreadsheet programs read the Chinese right)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header())
    for values in table(perf):
        writer.writerow(["" if v is None else v for v in values])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
