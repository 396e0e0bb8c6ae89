"""The three score-sheet templates shipped with the product, from the seed policy documents.

Each row is (code, title, points, guidance, area, metric, finance). Codes give the hierarchy
("1" is an 一级指标, "1.2" its 二级指标); a parent's points are the sum of its children's.
"""

from __future__ import annotations

from app.models import InspectionKind

BANDS = [[90, "优秀"], [75, "良好"], [60, "合格"], [0, "不合格"]]

TERM_END = {
    "code": "term_end", "name": "学期末校本培训专项检查", "kind": InspectionKind.TERM_END,
    "source": "县教科所关于加强校本培训工作的指导意见（每学期末专项检查）",
    "description": "学期培训计划、培训过程资料、培训成果、经费使用四个方面；经费项目由财务人员检查。",
    "rows": [
        ("1", "学期培训计划", 25, "", "计划", None, False),
        ("1.1", "制订学期培训计划", 10, "有学期培训计划，目标、内容、时间、主讲人安排明确（无计划不得分）", "计划", None, False),
        ("1.2", "计划经校长签发并公示", 5, "计划经校长审定签发并在校内公示", "计划", None, False),
        ("1.3", "有立项的校本研修项目", 10, "本学期有经审核立项的校本研修项目（无立项项目不得分）", "计划", "approved_projects", False),
        ("2", "培训过程资料", 30, "", "过程", None, False),
        ("2.1", "按计划开展培训活动", 10, "开展次数达到本地区每学期最低要求，少一次扣 2 分", "过程", "activities_held", False),
        ("2.2", "考勤记录完整", 10, "每次活动有签到；出勤率 90% 以上得满分", "过程", "attendance_rate", False),
        ("2.3", "活动记录规范", 10, "时间、地点、主讲人、内容、效果、照片齐全", "过程", None, False),
        ("3", "培训成果", 25, "", "成果", None, False),
        ("3.1", "教师反思与作业", 10, "教师有反思、作业并经考核", "成果", None, False),
        ("3.2", "成果物化", 15, "形成课例、论文、课题等成果", "成果", None, False),
        ("4", "经费使用", 20, "", "经费", None, True),
        ("4.1", "经费投入达到规定比例", 10, "培训经费不低于本地区规定的公用经费比例", "经费", "funding_ratio", True),
        ("4.2", "支出合规并公告", 10, "支出符合培训费管理办法，实行经费公告", "经费", None, True),
    ],
}

VISITATION = {
    "code": "visitation", "name": "教学视导（五必听·七查看）", "kind": InspectionKind.VISITATION,
    "source": "清教党组〔2023〕2号 教学视导“五必听”“七查看”",
    "description": "推门听课覆盖五必听对象；七查看逐项查看；形成系统的调研反馈报告指导学校整改。",
    "rows": [
        ("1", "课堂教学（五必听）", 30, "", "五必听", None, False),
        ("1.1", "五必听对象全部听到", 10, "校级领导、教研组长、课题负责人、新教师及其指导教师、教学管理干部的常态课", "五必听", "lesson_categories", False),
        ("1.2", "常态课教学质量", 20, "目标明确、以学生为中心、课堂高效", "五必听", None, False),
        ("2", "组织管理", 10, "", "七查看", None, False),
        ("2.1", "教学管理机构与职责", 5, "", "七查看", None, False),
        ("2.2", "管理人员深入一线听评课", 5, "按目标管理要求完成听课、评课、教研活动节数", "七查看", None, False),
        ("3", "教学计划", 10, "", "七查看", None, False),
        ("3.1", "学校、学科教学计划", 10, "", "七查看", None, False),
        ("4", "教学常规", 10, "", "七查看", None, False),
        ("4.1", "备课、上课、作业、评价、辅导", 10, "查看教案与作业批改", "七查看", None, False),
        ("5", "教研集备", 10, "", "七查看", None, False),
        ("5.1", "集体备课五环节落实", 10, "个人主备—集体讨论—个人再备—个性化修改—教后反思", "七查看", None, False),
        ("6", "师资建设", 10, "", "七查看", None, False),
        ("6.1", "青年教师培养与校本研修", 10, "", "七查看", "approved_projects", False),
        ("7", "教学设施", 10, "", "七查看", None, False),
        ("7.1", "设施设备使用", 10, "", "七查看", None, False),
        ("8", "办学效益", 10, "", "七查看", None, False),
        ("8.1", "教学质量与特色", 10, "", "七查看", None, False),
    ],
}

LEDGER_SECTIONS = ("各级领导职责", "各项规章制度", "研修计划和实施方案", "研修教材", "研修记录", "考核成绩",
                   "科研成果", "研修总结")
_POINTS = (10, 15, 15, 10, 15, 10, 15, 10)

LEDGER = {
    "code": "ledger", "name": "校本研修台帐完整性检查", "kind": InspectionKind.LEDGER,
    "source": "余教〔2020〕14号 台帐档案制度（八类资料）",
    "description": "台帐档案须包括八类资料；每类先看有无材料（自动），再看是否规范完整。",
    "rows": [row for index, (section, points) in enumerate(zip(LEDGER_SECTIONS, _POINTS, strict=True), 1) for row in (
        (str(index), section, points, "", "台帐", None, False),
        (f"{index}.1", f"有{section}材料", points * 3 // 5, "自查时上传了本类材料", "台帐", "ledger_section", False),
        (f"{index}.2", f"{section}规范完整", points - points * 3 // 5, "材料齐全、归档规范", "台帐", None, False),
    )],
}

BUILTIN = (TERM_END, VISITATION, LEDGER)
