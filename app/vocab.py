"""Controlled vocabularies from the seed documents (余教〔2020〕14号, domain.md §1.1)."""

from __future__ import annotations

#: 四大研修领域 and their modules.
RESEARCH_DOMAINS: dict[str, tuple[str, ...]] = {
    "师德修养": ("教育政策法规", "教育价值观", "师德修养", "教师行为准则"),
    "教师发展": ("课程开发与实施", "教学基本功与技能提升", "班主任工作与班级管理", "现代信息技术运用",
             "职业生涯规划", "教师心理健康"),
    "学生成长": ("学业指导", "成长评估", "情绪管理", "学业评价"),
    "学校提升": ("学校文化", "教科研共同体", "精品学科", "特色课程", "品牌活动", "家校沟通"),
}

#: 五种研修方式 with their typical activities.
RESEARCH_FORMS: dict[str, tuple[str, ...]] = {
    "自我反思": ("反思日记", "教育叙事", "案例分析", "小课题研究"),
    "同伴互助": ("集体备课", "同课异构", "观课议课", "小组研讨", "习明纳", "工作坊"),
    "专家引领": ("专家讲座", "师徒结对", "教学诊断", "课题指导", "名师工作室"),
    "网络协作": ("云课程资源", "异地同步课堂", "网络课堂"),
    "区域联动": ("研训共同体",),
}

TARGET_GROUPS: tuple[str, ...] = ("全体教师", "学科教研组", "新教师", "青年教师", "班主任", "骨干教师", "管理干部")

ALL_MODULES: frozenset[str] = frozenset(m for mods in RESEARCH_DOMAINS.values() for m in mods)
