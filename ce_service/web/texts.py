"""Every word the web app shows, in Simplified Chinese; another language is another dict of the same keys."""

from __future__ import annotations

ZH: dict[str, str] = {
    "app_name": "继续教育学时登记",
    "app_short": "学时登记",
    "app_intro": "登记公需科目与专业科目学时，经单位审核、人社部门登记后计入职称申报要求。",
    # signing in and out
    "login_title": "登录",
    "username": "身份证号或用户名",
    "password": "密码",
    "login": "登录",
    "logout": "退出登录",
    "login_failed": "身份证号（用户名）或密码不正确。",
    "login_throttled": "登录失败次数过多，请 {minutes} 分钟后再试。",
    "login_expired": "页面已过期，请重新登录。",
    "api_docs": "接口文档（OpenAPI）",
    # professional: home and years
    "home": "首页",
    "main_nav": "主导航",
    "pages": "分页",
    "my_hours": "我的学时",
    "add_hours": "登记学时",
    "year_suffix": "年度",
    "registered": "已登记",
    "pending": "审核中",
    "required": "要求",
    "total": "合计",
    "public": "公需科目",
    "professional": "专业科目",
    "hours_unit": "学时",
    "rule": "依据",
    "no_rule_hint": "该年度没有适用的学时规定。",
    "exempt_hint": "该年度免修",
    "shortfall": "尚差",
    "view_records": "查看本年度记录",
    "no_records": "本年度还没有记录。",
    "not_counted": "不计入",
    "not_applicable_hint": "该年度早于您在登记系统中的首个任职时段，不作要求。",
    "outbox_title": "待同步",
    "outbox_hint": "以下记录保存在本机，联网后自动提交。",
    "outbox_failed": "未能提交",
    "outbox_remove": "删除",
    "outbox_fix": "修改后重新提交",
    "outbox_sign_in": "请登录后同步待提交的记录。",
    "offline_banner": "当前离线：显示的是上次联网时的数据，新登记的学时会保存在本机。",
    # the record form
    "course_title": "课程名称",
    "category": "科目类别",
    "hours": "学时数",
    "completed_on": "完成日期",
    "provider": "培训机构",
    "course_code": "课程编号（选填）",
    "course_code_label": "课程编号",
    "certificate": "结业证书照片或 PDF（选填）",
    "certificate_file": "或选择文件（JPG、PNG、PDF）",
    "certificate_hint": "可直接用手机拍照；JPG、PNG 或 PDF，不超过 {mb} MB。",
    "save_and_submit": "保存并提交审核",
    "save_changes": "保存修改并重新提交",
    "saving": "正在提交…",
    "saved_offline": "已保存在本机（待同步），联网后自动提交。",
    "synced": "已提交审核。",
    "edit": "修改",
    "edit_title": "修改学时记录",
    "submit": "提交审核",
    "withdraw": "撤回",
    "withdraw_confirm": "确定撤回这条记录吗？",
    "returned_reason": "退回原因",
    "history": "处理记录",
    "evidence": "证书",
    "no_evidence": "未上传证书。",
    "open_pdf": "打开 PDF 证书",
    "superseded_by": "已由官方记录代替计入",
    "back": "返回",
    "my_form": "下载审核登记表",
    # reviewers
    "queue": "待审核",
    "queue_empty": "没有待审核的记录。",
    "queue_total": "共 {n} 条",
    "select_all": "全选",
    "approve": "通过",
    "approve_selected": "批量通过所选",
    "approved_n": "已通过 {n} 条。",
    "failed_n": "{n} 条未能通过：",
    "return": "退回",
    "return_reason_needed": "写明退回原因（1 至 1000 字）",
    "pick_records": "勾选 1 至 200 条记录",
    "return_reason": "退回原因（将告知本人）",
    "decided": "已处理。",
    "person": "人员",
    "national_id": "身份证号",
    "unit": "单位",
    "region": "地区",
    "source": "来源",
    "status": "状态",
    "submitted_at": "提交时间",
    "next_step": "待审核环节",
    "download_form": "下载审核登记表（PDF）",
    "form_year": "年度",
    "filter": "筛选",
    "all_years": "全部年度",
    "prev_page": "上一页",
    "next_page": "下一页",
    # the integrity file
    "integrity_file": "诚信档案",
    "integrity_open": "查看诚信档案",
    "integrity_empty": "诚信档案中没有记录。",
    "integrity_add": "记入诚信档案",
    "integrity_kind": "类别",
    "integrity_reason": "事由",
    "integrity_date": "发生日期",
    "integrity_document": "依据文件（文号，选填）",
    "integrity_document_label": "依据文件",
    "integrity_bars": "情节严重，取消职称申报资格（期限按规定）",
    "integrity_bars_short": "取消申报资格",
    "integrity_record": "查看被撤销的学时记录",
    "integrity_recorded": "已记入诚信档案。",
    "recorded_by": "记录人",
    # administrator
    "admin": "运行状况",
    "platforms": "培训平台数据拉取",
    "no_platforms": "尚未配置培训平台。",
    "last_success": "最近成功",
    "last_error": "最近错误",
    "cursor": "游标",
    "items_stored": "已入库",
    "items_set_aside": "已搁置",
    "imports": "批量导入",
    "no_imports": "还没有导入任务。",
    "rows_done": "进度",
    "import_accepted": "接收",
    "import_duplicates": "重复",
    "import_held": "暂存",
    "import_rejected": "未通过",
    "report": "结果报告",
    "never": "从未",
    # generic
    "offline_title": "网络未连接",
    "offline_text": "当前无法连接服务器。已打开过的页面可离线查看；新登记的学时会保存在本机，联网后自动提交。",
    "retry": "重试",
    "error": "出错了",
    "network_error": "网络不可用，请稍后再试。",
    "not_found": "没有找到该页面或记录。",
    "forbidden": "您没有权限查看此页面。",
    "field_errors": "请修改以下内容：",
    "value_missing": "必须填写",
    "range_overflow": "不能大于 {max}",
    "range_underflow": "不能小于 {min}",
    "step_mismatch": "须为 0.5 的整数倍",
    "too_long": "太长（最多 {max} 字）",
    "bad_input": "格式不正确",
}

STATUS_ZH = {
    "draft": "草稿", "submitted": "待单位审核", "unit_approved": "待人社部门登记", "registered": "已登记",
    "returned": "已退回", "withdrawn": "已撤回", "revoked": "已撤销", "superseded": "已由官方记录代替",
}
# The verdict of a year, as the card shows it.
VERDICT_ZH = {"met": "达标", "short": "未达标", "in_progress": "进行中", "exempt": "免修",
              "not_applicable": "不适用", "no_rule": "无规则"}
# Why hours a person has do not count in a year (rules/evaluate.py names the reasons).
NOT_COUNTED_ZH = {"not_recognised": "申报地规定不予认可的外地学时", "repeated_course": "同一课程重复学习，只计一次",
                  "test_credit": "公需科目考试按规定学时计入，超出部分不计"}
CATEGORY_ZH = {"public": "公需科目", "professional": "专业科目"}
SOURCE_ZH = {"self": "本人登记", "provider": "培训机构推送", "platform": "培训平台", "hr": "人社部门登记",
             "import": "批量导入", "recognised": "外地认可"}
ROLE_ZH = {"professional": "专业技术人员", "unit_reviewer": "单位审核", "hr_reviewer": "人社部门",
           "health_reviewer": "卫生健康部门", "agency_reviewer": "人事代理机构", "industry_reviewer": "行业主管部门",
           "admin": "管理员", "system": "系统", "provider": "培训机构",
           "hr_system": "人事信息系统", "platform": "培训平台", "importer": "批量导入", "review_system": "评审系统"}
ACTION_ZH = {"create": "创建", "edit": "修改", "submit": "提交", "withdraw": "撤回", "approve": "通过",
             "return": "退回", "register": "登记", "revoke": "撤销", "supersede": "被官方记录取代", "restore": "恢复（官方记录被退回或撤销）",
             "seal": "校验值补录",
             "import": "导入", "push": "推送", "pull": "拉取"}
IMPORT_STATUS_ZH = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}
INTEGRITY_KIND_ZH = {"falsification": "弄虚作假", "misconduct": "学术不端", "blacklist": "职称失信黑名单",
                     "revocation": "学时被撤销"}
NEXT_STEP_ZH = {"unit": "用人单位", "agency": "人事代理机构", "industry": "行业主管部门", "hr": "人社部门",
                "health": "卫生健康部门"}

# Field names of the API, as the page calls them (where no label of the page names the field).
FIELD_ZH = {"year": "年度", "category": "科目类别", "hours": "学时数", "course_title": "课程名称",
            "completed_on": "完成日期", "provider": "培训机构", "course_code": "课程编号",
            "evidence": "结业证书", "evidence_ref": "结业证书", "file": "结业证书", "region_earned": "学时取得地区"}
# The API's field messages (English, for machines) in the page's words: [pattern, text], tried in order.
# Patterns are regular expressions read by the page script; a message none matches is shown as it is.
MESSAGE_ZH = [
    ["^must be greater than 0$", "须大于 0"],
    ["^must be at most (\\d+)$", "不能大于 $1"],
    ["^must be a multiple of 0\\.5$", "须为 0.5 的整数倍"],
    ["^must not be in the future.*$", "不能晚于今天"],
    ["^must be inside the record's year (\\d+)$", "须在 $1 年内"],
    ["^must be (\\d+) or later$", "不能早于 $1 年"],
    ["^must not be blank$", "必须填写"],
    ["^must be at most (\\d+) characters$", "太长（最多 $1 字）"],
    ["^must be a JPEG or PNG photo or a PDF file$", "须为 JPG、PNG 照片或 PDF 文件"],
    ["^is empty$", "文件是空的"],
    ["^no file with this reference was uploaded.*$", "证书文件未上传成功，请重新选择"],
    ["^must not contain the NUL character.*$", "含有不允许的字符"],
    ["^must be one of .*$", "请从列表中选择"],
    ["^must be a date YYYY-MM-DD$", "须为日期（年-月-日）"],
]

# What a refusal without field errors means, by HTTP status (the API's `detail` is English, for machines).
STATUS_TEXT_ZH = {
    "400": "提交的内容无法识别，请检查后重试。",
    "403": "没有权限进行此操作，或页面已过期，请刷新页面。",
    "404": "没有找到该记录，可能已被删除或不在您的范围内。",
    "409": "记录状态已发生变化，请刷新页面后再试。",
    "413": "文件或内容太大。",
    "429": "操作太频繁，请稍后再试。",
    "503": "服务暂时不可用，请稍后再试。",
}

# What the browser script shows (sent to the page as JSON, so these stay in this one place).
SCRIPT_KEYS = ("outbox_title", "outbox_failed", "outbox_remove", "outbox_fix", "outbox_sign_in", "saving", "saved_offline",
               "synced", "network_error", "field_errors", "error", "withdraw_confirm", "hours_unit",
               "value_missing", "range_overflow", "range_underflow", "step_mismatch", "too_long", "bad_input")


def labels() -> dict[str, dict[str, str]]:
    """Everything templates need, by name."""
    return {"t": ZH, "status_zh": STATUS_ZH, "verdict_zh": VERDICT_ZH, "not_counted_zh": NOT_COUNTED_ZH, "category_zh": CATEGORY_ZH,
            "source_zh": SOURCE_ZH, "role_zh": ROLE_ZH, "action_zh": ACTION_ZH,
            "import_status_zh": IMPORT_STATUS_ZH, "next_step_zh": NEXT_STEP_ZH, "integrity_kind_zh": INTEGRITY_KIND_ZH,
            "script_texts": {**{k: ZH[k] for k in SCRIPT_KEYS}, "fields": FIELD_ZH, "messages": MESSAGE_ZH,
                             "statuses": STATUS_TEXT_ZH}}
