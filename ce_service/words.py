"""The one catalogue of words for statuses, sources, roles, offices and categories: pages, PDF, XLSX and reports."""

from __future__ import annotations

CATEGORY = {"public": "公需科目", "professional": "专业科目"}

# Who checks a record at each step of its route (the verifier kinds of the routing table).
OFFICE = {"unit": "用人单位", "agency": "人事代理机构", "industry": "行业主管部门", "hr": "人社部门",
          "health": "卫生健康部门"}

# A record waiting is said by the office it waits for, never by a guess: the nurse must know whom to call.
WAITING_AT = {"unit": "待单位审核", "agency": "待人事代理机构审核", "industry": "待行业主管部门审核",
              "hr": "待人社部门审核", "health": "待卫生健康部门审核"}

STATUS = {"draft": "草稿", "submitted": "审核中", "unit_approved": "审核中", "registered": "已登记",
          "returned": "已退回", "withdrawn": "已撤回", "revoked": "已撤销", "superseded": "已由官方记录代替"}

SOURCE = {"self": "本人登记", "provider": "培训机构推送", "platform": "继续教育平台", "hr": "人社部门登记",
          "import": "批量导入", "recognised": "外地认可"}

ROLE = {"professional": "专业技术人员", "unit_reviewer": "用人单位", "hr_reviewer": "人社部门",
        "health_reviewer": "卫生健康部门", "agency_reviewer": "人事代理机构", "industry_reviewer": "行业主管部门",
        "admin": "管理员", "system": "系统", "provider": "培训机构", "hr_system": "人事信息系统",
        "platform": "继续教育平台", "importer": "批量导入", "review_system": "评审系统"}

ACTION = {"create": "创建", "edit": "修改", "submit": "提交", "withdraw": "撤回", "approve": "审核通过",
          "return": "退回", "register": "审核登记", "revoke": "撤销", "supersede": "被官方记录取代",
          "restore": "恢复（官方记录被退回或撤销）", "seal": "校验值补录", "import": "导入", "push": "推送",
          "pull": "拉取"}

LEVEL = {"senior_full": "正高级", "senior_associate": "副高级", "intermediate": "中级", "junior": "初级"}

VERDICT = {"met": "达标", "short": "未达标", "in_progress": "年度进行中", "exempt": "免修",
           "not_applicable": "不适用", "no_rule": "无适用规则"}

WAITING = ("submitted", "unit_approved")


def status_words(status: str, next_step: str | None = None) -> str:
    """A record's status as people say it: a waiting record by the office it waits for."""
    if status in WAITING and next_step in WAITING_AT:
        return WAITING_AT[next_step]
    return STATUS.get(status, status)
