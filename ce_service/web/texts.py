"""Every word the web app shows, in Simplified Chinese; another language is another dict of the same keys."""

from __future__ import annotations

from ce_service import words

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
    "certificate": "结业证书（建议上传，无证书的记录常被退回）",
    "certificate_hint": "可拍照，或从相册、文件中选择；照片会在手机上自动压缩后上传。PDF 不超过 {mb} MB。",
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

# Statuses, categories, sources, roles, actions and offices come from the one catalogue (ce_service/words.py),
# so a page, the PDF and an import report never name the same thing two ways.
STATUS_ZH = words.STATUS
# The verdict of a year, as the card shows it.
VERDICT_ZH = {"met": "达标", "short": "未达标", "in_progress": "进行中", "exempt": "免修",
              "not_applicable": "不适用", "no_rule": "无规则"}
# Why hours a person has do not count in a year (rules/evaluate.py names the reasons).
NOT_COUNTED_ZH = {"not_recognised": "申报地规定不予认可的外地学时", "repeated_course": "同一课程重复学习，只计一次",
                  "test_credit": "公需科目考试按规定学时计入，超出部分不计"}
CATEGORY_ZH = words.CATEGORY
SOURCE_ZH = words.SOURCE
ROLE_ZH = words.ROLE
ACTION_ZH = words.ACTION
IMPORT_STATUS_ZH = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}
INTEGRITY_KIND_ZH = {"falsification": "弄虚作假", "misconduct": "学术不端", "blacklist": "职称失信黑名单",
                     "revocation": "学时被撤销"}
NEXT_STEP_ZH = words.OFFICE

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
            "status_words": words.status_words,
            "script_texts": {**{k: ZH[k] for k in SCRIPT_KEYS}, "fields": FIELD_ZH, "messages": MESSAGE_ZH, "codes": CODE_ZH,
                             "statuses": STATUS_TEXT_ZH}}


# ---- the record form on the phone (issue 15, W2a): photos shrunk and uploaded with progress, errors at each
# field, a lapsed session keeping the form, syncing said out loud ----
ZH.update({
    "category_hint": "公需科目：各专业都要学的政策法规、职业道德等；专业科目：本专业的知识和技能。",
    "certificate_kept": "已上传证书；如需更换，请重新选择。",
    "certificate_choose": "拍照或选择文件",
    "certificate_restored": "已保留之前选择的证书：{name}（{size}）；如需更换，请重新选择。",
    "choose_one": "请选择一项",
    "shrinking": "正在压缩照片…",
    "shrunk": "照片已压缩：{from} → {to}，可以提交。",
    "photo_ready": "已选择：{name}（{size}）",
    "certificate_uploading": "正在上传证书 {percent}%",
    "evidence_too_large": "证书文件太大：{size} MB，最大 {max} MB。请拍照上传或压缩后再试。",
    "evidence_too_large_nomax": "证书文件太大：{size} MB。请拍照上传或压缩后再试。",
    "session_expired": "登录已过期，您填写的内容已保存在本机，请重新登录",
    "form_restored": "已恢复您上次填写的内容，请核对后提交。",
    "unchanged_return": "请先按退回原因修改后再提交",
    "synced_n": "已同步 {n} 条记录",
    "sync_failed_n": "{n} 条未能提交，请查看",
    "title_left": "还可输入 {n} 字",
    "title_cut": "粘贴的名称超过 {max} 字，多出的 {n} 字没有填入，请核对课程名称。",
})
SCRIPT_KEYS += ("choose_one", "shrinking", "shrunk", "photo_ready", "certificate_uploading", "evidence_too_large",
                "evidence_too_large_nomax", "session_expired", "certificate_restored", "unchanged_return", "synced_n",
                "sync_failed_n", "title_left", "title_cut", "form_restored")


# ---- sign-in and the administrator's pages (issue 15, W4): tries left and the wait, a way out for a forgotten
# password, Chinese names for platforms, regions and pull errors, uploading imports and pulling now ----
ZH.update({
    "login_failed_left": "身份证号（用户名）或密码不正确，还可尝试 {n} 次。",
    "login_failed_wait": "身份证号（用户名）或密码不正确。失败次数已达上限，请 {minutes} 分钟后再试。",
    "login_paused_account": "该账号近期在其他设备上登录失败次数过多，为保护账号，暂停从新设备登录，请 {minutes} 分钟后再试；"
                            "曾在本设备或本网络成功登录过的可照常登录。",
    "login_missing": "请填写身份证号（用户名）和密码。",
    "forgot_password": "忘记密码？",
    "forgot_password_hint": "为保护您的账号，密码只能在核实身份后由管理员重置。",
    "platform_region": "数据所属地区",
    "pulled_to": "已拉取到",
    "pulled_latest": "最新（{when}）",
    "pulled_partly": "部分数据，下次从中断处继续",
    "pulled_nothing": "尚未拉取到数据",
    "last_attempt": "最近一次拉取",
    "pull_schedule": "自动拉取",
    "pull_every": "每 {minutes} 分钟",
    "pull_paused": "已暂停",
    "pull_now": "立即拉取",
    "pull_queued": "已安排立即拉取「{name}」，完成后本页会显示结果。",
    "pull_busy": "「{name}」的拉取已在排队或正在进行，请稍后刷新查看。",
    "items_duplicate": "重复",
    "items_held": "待人员登记",
    "tech_details": "技术细节",
    # A failed import's reason is stored as the reader said it (for the operator); people read this first.
    "import_failed_text": "导入未能完成：文件无法读取或读取超时。请检查文件是否为模板格式的 XLSX 或 CSV，再重新上传；如仍失败，请把技术细节发给系统管理员。",
    "progress_mark": "平台进度标记",
    "pulling": "正在拉取",
    "config_name": "配置名称",
    "base_url": "平台地址",
    "region_code": "地区代码",
    "error_text": "错误原文",
    "import_upload": "上传导入文件",
    "import_kind": "导入内容",
    "import_kind_records": "学时记录",
    "import_kind_people": "人员信息",
    "import_file": "选择文件（Excel 或 CSV）",
    "import_file_hint": "按模板填写，支持 .xlsx 和 .csv，不超过 {size}；上传后在下方查看进度和结果报告。",
    "import_start": "上传并导入",
    "uploading": "正在上传…",
    "import_queued": "已收到「{name}」，正在排队导入。",
    "import_no_file": "请选择要导入的文件。",
    "import_too_large": "文件太大：不能超过 {size}，请拆分后分别上传。",
    "import_empty": "文件是空的，请选择填好的导入文件。",
    "import_unreadable": "无法读取该文件，请按模板另存为 .xlsx 或 .csv 后重新上传。",
    "import_busy": "当前上传较多，请稍后再试。",
    "templates": "下载导入模板",
    "templates_hint": "模板的列名与导入时识别的列名一致。",
    "template_records_xlsx": "学时记录模板（Excel）",
    "template_records_csv": "学时记录模板（CSV）",
    "template_people_xlsx": "人员信息模板（Excel）",
    "template_people_csv": "人员信息模板（CSV）",
    "report_xlsx": "结果报告（Excel）",
    "report_csv": "结果报告（CSV）",
    "report_rejected": "未通过的行（修改后可重新上传）",
})
# A failed pull, by what went wrong (platforms/fetch.py FetchFailed.kind); the platform's own words stay in 技术细节.
PULL_ERROR_ZH = {
    "timeout": "平台长时间没有响应（已重试 {tries} 次），下次定时拉取时会自动继续。",
    "connection": "无法连接平台服务器（已重试 {tries} 次），请检查网络或平台地址。",
    "busy": "平台繁忙，限制了访问频率（已重试 {tries} 次），下次定时拉取时会自动继续。",
    "server": "平台服务器出错（已重试 {tries} 次），下次定时拉取时会自动继续。",
    "malformed": "平台返回的数据无法识别（已重试 {tries} 次），请联系平台核对接口。",
    "too_large": "平台一次返回的数据过多，请联系平台减小每页的数量。",
    "token": "平台拒绝了访问令牌，请核对为该平台配置的令牌是否有效。",
    "refused": "平台拒绝了拉取请求，请联系平台核对接口。",
    "unknown": "拉取失败，详见技术细节。",
}
# Why a platform's result was set aside, by the platform field it names (platforms/results.py).
SET_ASIDE_ZH = {
    "not passed": "考试未通过", "not a JSON object": "数据格式不正确", "passed": "是否通过标记无效",
    "finished_at": "完成时间无效", "result_id": "成绩编号无效", "national_id": "身份证号有误",
    "name": "姓名有误或与登记信息不符", "exam_year": "考试年度无效", "credited_hours": "学时数无效",
    "course_title": "课程名称无效", "course_code": "课程编号无效", "region_earned": "学时取得地区无效",
}


# ---- the professional's home, the help page, years, duplicates (issue 15, W2b) ----
ZH.update({
    "help": "帮助",
    "help_title": "使用帮助",
    "help_intro": "每年需要的继续教育学时由各地规定。下面是本系统使用的规定，以及把本应用添加到手机主屏幕的方法。",
    "help_rules": "学时要求",
    "help_rules_hint": "本人适用哪条规定，由您所在地区、职称级别和单位类型决定；首页每个年度的卡片上写明了按哪条规定计算。",
    "help_source": "依据",
    "help_every_year": "各年度",
    "help_whole_country": "全国（本省没有另行规定时适用）",
    "help_recognised_all": "在各地取得的学时均予认可",
    "help_recognised_some": "认可在以下地区取得的学时：{regions}",
    "help_recognised_own": "只认可在本地区取得的学时",
    "help_install": "添加到手机主屏幕",
    "help_install_hint": "添加后可以像手机应用一样从桌面打开，没有网络时也能查看和登记（联网后自动提交）。",
    "help_health": "卫生系列人员",
    "help_home": "返回首页",
    "health_credits": "卫生系列的继续教育学分在本系统中按学时登记，由卫生健康部门审核验印。"
                      "学分与学时如何折算以本省规定为准，不清楚时请咨询所在单位。",
    "needs_action": "需要处理",
    "returned_title": "被退回的记录",
    "returned_hint": "请按退回原因修改后重新提交。",
    "fix_returned": "去修改",
    "drafts_title": "未提交的草稿",
    "drafts_hint": "草稿不会被审核，也不计入学时，请核对后提交。",
    "open_draft": "去提交",
    "more_n": "另有 {n} 条，请在各年度记录中查看。",
    "public_hours": "公需科目",
    "public_no_minimum": "不单列要求",
    "requirement": "要求",
    "basis": "计算依据",
    "deadline": "登记截止",
    "duplicate_warning": "您还有 {n} 条课程名称、完成日期和学时都相同的记录，这条记录已保存。请确认不是同一课程登记了两次；"
                         "如是重复，请撤回或不要提交其中一条。",
    "duplicate_other": "相同的记录",
})
# The level and workplace kind a requirement is worked out for (rules/model.py LEVELS, WORKPLACES).
LEVEL_ZH = words.LEVEL
WORKPLACE_ZH = {"standard": "一般单位", "grassroots": "基层单位", "private": "民营经济组织"}
# How to add the app to the home screen, by browser: (browser, steps).
INSTALL_STEPS = [
    ("微信内置浏览器", "微信里不能直接添加到桌面：点右上角“…”→“在浏览器打开”，再按下面所用浏览器的方法添加到主屏幕。"),
    ("iPhone / iPad 的 Safari", "点底部的分享按钮（方框加向上箭头）→“添加到主屏幕”→“添加”。"),
    ("华为浏览器", "点底部或右上角的菜单“≡”或“⋮”→“添加到桌面”（或“添加快捷方式”）。"),
    ("小米浏览器", "点底部菜单“≡”→“添加到桌面”；如提示权限，请在手机设置中允许浏览器创建桌面快捷方式。"),
    ("vivo / OPPO 浏览器", "点底部菜单“≡”→“添加到桌面”（或“添加到主屏幕”）。"),
    ("Chrome 或其他浏览器", "点右上角菜单“⋮”→“添加到主屏幕”或“安装应用”。"),
]


# ---- the reviewers' pages (issue 15, W3): the certificate before the decision, units by name, ready-made return
# reasons, the desk queue with search and export, bulk approval with a count, shortcuts, duplicate flags ----
ZH.update({
    "pick_records": "请先勾选要通过的记录",
    "too_many_records": "一次最多通过 200 条记录，请分批处理",
    "approve_selected_n": "批量通过所选（{n} 条）",
    "approve_confirm": "确定通过所选的 {n} 条记录吗？",
    "failed_conflict": "{n} 条已由他人处理或状态已变化",
    "failed_not_found": "{n} 条不存在或不在您的审核范围内",
    "failed_other": "{n} 条未能通过，请稍后再试",
    "search_label": "姓名或身份证号",
    "search_placeholder": "姓名或完整身份证号",
    "search": "查询",
    "clear_filters": "清除条件",
    "searched_for": "检索：{q}",
    "queue_none_match": "没有符合条件的待审核记录。",
    "export_xlsx": "导出 Excel",
    "export_note": "导出当前筛选的记录，每次最多 {cap} 条。",
    "export_capped": "共 {n} 条，导出文件只含最早提交的 {cap} 条，请按年度或姓名缩小范围后分批导出。",
    "col_name": "姓名",
    "col_id": "身份证号",
    "col_unit": "单位",
    "col_course": "课程名称",
    "col_category": "科目类别",
    "col_hours": "学时",
    "col_submitted": "提交时间",
    "col_status": "状态",
    "col_pick": "勾选",
    "queue_keys": "快捷键：J 或 ↓ 下一行 · K 或 ↑ 上一行 · X 勾选 · Enter 打开",
    "record_keys": "快捷键：Alt+A 通过并打开下一条 · R 填写退回原因 · J 跳过，看下一条 · Esc 返回列表",
    "last_return_reason": "上次退回原因：",
    "return_reason_now": "退回原因：",
    "revoke_reason_now": "撤销原因：",
    "status_note": "说明：",
    "ready_reasons": "常用退回原因（点选后可修改）",
    "decide": "审核意见",
    "skip_next": "跳过，看下一条",
    "prev_approved": "上一条记录已通过。",
    "prev_returned": "上一条记录已退回。",
    "duplicates": "疑似重复登记",
    "duplicates_hint": "同一课程既有本人登记、又有官方记录，且都已登记计入。请核实后撤销多余的一条，或写明两条都有效的理由后关闭。",
    "duplicates_empty": "没有待核实的疑似重复登记。",
    "duplicates_total": "待核实 {n} 条",
    "dup_own": "本人登记的记录",
    "dup_official": "官方记录",
    "dup_other_own": "本人登记的另一条记录",
    "dup_found_at": "发现时间",
    "dup_close_reason": "核实结论（如：已撤销其中一条，或两条均有效的理由）",
    "dup_close": "核实完毕，关闭",
    "dup_closed": "已关闭该疑似重复登记。",
    "dup_close_reason_needed": "写明核实结论（1 至 1000 字）",
    "open_record": "查看记录",
})
FIELD_ZH["record_id"] = "所选记录"
# One tap fills the return reason with one of these; the reviewer can edit it before sending.
RETURN_REASONS_ZH = ("未上传结业证书或证书不清晰", "学时数与证书不一致", "完成日期与证书不一致", "课程类别选择有误",
                     "培训机构与证书不一致", "课程名称与证书不一致")
SCRIPT_KEYS += ("pick_records", "approve_selected_n", "approve_confirm", "approve_selected")


# ---- refusals said by code (issue 15, W1): a field error's `code` and `params` (ce_service/errors.py) in
# Chinese; {name} is filled from params. The page script reads these as T.codes; ce_service/say.py for the
# server (pages, import reports). MESSAGE_ZH stays as the fallback for errors that carry no code. ----
# "invalid" (no finer code given) has no entry on purpose: the page script then falls back to MESSAGE_ZH or the
# message itself (some page-only refusals are already in Chinese), as ce_service/say.py does.
CODE_ZH: dict[str, str] = {
    # what any form says
    "required": "必须填写",
    "unknown_field": "含有无法识别的项目",
    "too_long": "太长（最多 {max} 字）",
    "too_short": "太短（至少 {min} 字）",
    "too_large": "不能大于 {max}",
    "too_small": "不能小于 {min}",
    "not_above": "须大于 {min}",
    "out_of_range": "须在 {min} 至 {max} 之间",
    "bad_value": "格式不正确",
    "wrong_type": "格式不正确",
    "wrong_count": "项目数量不正确",
    "one_of": "请从列表中选择",
    "empty_list": "至少要有一项",
    "repeated": "不能重复",
    "duplicate": "已经存在，不能重复添加",
    "nul_character": "含有不允许的字符",
    "control_character": "含有控制字符或不可见字符",
    "bad_cursor": "分页标记无效，请从第一页重新查询",
    # dates and years
    "bad_date": "须为日期（年-月-日）",
    "bad_time": "须为时间（时:分:秒）",
    "bad_instant": "须为带时区的日期时间，如 2023-08-10T23:59:59+08:00",
    "in_future": "不能晚于今天",
    "year_in_future": "不能晚于今年（{year} 年）",
    "before_year": "不能早于 {min} 年",
    "after_year": "不能晚于 {max} 年",
    "years_reversed": "起始年度不能晚于截止年度",
    "too_many_years": "一次最多查询 {max} 个年度",
    "not_in_year": "须在 {year} 年内",
    "not_in_exam_year": "须在 {year} 年内，或不晚于 {until}",
    "before_first_period": "不能早于 {first_year} 年：任职记录从 {first_year} 年开始",
    "no_period": "您在登记系统中还没有任职记录，暂不能登记学时，请联系所在单位",
    "periods_order": "须晚于上一段任职的起始年度（{previous} 年），各段按起始年度从早到晚排列",
    # hours
    "not_half_hour_step": "须为 0.5 的整数倍",
    # identities, codes and places
    "bad_national_id": "身份证号码不正确，请核对 18 位号码（最后一位可能是 X）",
    "bad_credit_code": "统一社会信用代码不正确，请核对 18 位代码",
    "bad_region": "地区代码不正确（须为 6 位行政区划代码）",
    "bad_region_prefix": "地区范围不正确（须为 2、4 或 6 位行政区划代码）",
    "bad_series_code": "职称系列代码须为 2 至 40 位小写英文字母、数字或下划线，以字母开头",
    "unknown_series": "没有这个职称系列",
    "unknown_person": "登记系统中没有这个身份证号的人员",
    "unknown_agency": "没有使用这个统一社会信用代码的人事代理机构或行业主管部门，请先由管理员添加",
    "unit_required": "请填写用人单位的统一社会信用代码；没有用人单位的，填写人事代理机构或行业主管部门的代码",
    "unit_and_agency": "用人单位和代理机构（行业主管部门）只能填写一项",
    "kind_in_use": "已有人员的任职记录使用这个单位，不能改为另一类单位",
    "name_mismatch": "姓名与登记系统中该身份证号的姓名不一致",
    "out_of_scope": "该人员不在您可以办理的地区范围内",
    "not_in_unit": "该人员不在本单位",
    "inconsistent_person": "同一人员的各行姓名和职称系列须一致",
    "external_id_conflict": "这个记录编号以前提交过，且内容不同；如需更正，请使用新的记录编号",
    "refused": "未能处理，请联系管理员",
    # files
    "file_missing": "请选择文件",
    "file_empty": "文件是空的",
    "file_too_large": "文件太大，最大 {max_mb} MB",
    "file_type": "须为 JPG、PNG 照片或 PDF 文件",
    "photo_unreadable": "无法识别这张照片，请重新拍照或另存为 JPG 后上传",
    "too_many_pixels": "照片像素太多（最多 {max_megapixels} 百万像素），请缩小后上传",
    "evidence_missing": "证书文件未上传成功，请重新选择",
    # import files
    "file_unreadable": "无法读取该文件，请按模板另存为 .xlsx 或 .csv 后重新上传",
    "file_encoding": "无法识别该 CSV 文件的文字编码，请另存为 UTF-8 或 GBK 编码的 CSV",
    "file_unpacks_too_large": "文件内容太多（解压后超过 {max_mb} MB），请拆分后分别上传",
    "file_has_objects": "文件中含有图片或其他对象（超过 {max_mb} MB），请删除后另存再上传",
    "file_no_header": "文件是空的：第一行须为模板的表头",
    "missing_columns": "缺少必需的列：{columns}，请下载模板核对表头",
    "too_many_rows": "行数太多（最多 {max} 行），请拆分后分别上传",
    "row_unreadable": "第 {line} 行无法读取，请检查该行后另存再上传",
    "file_too_slow": "文件在 {seconds} 秒内未能读完，请拆分或另存为普通的 .xlsx 或 .csv",
}
# Field names of machine APIs and import files, where the page has no label of its own for them.
FIELD_ZH.update({k: v for k, v in {
    "national_id": "身份证号", "national_ids": "身份证号", "name": "姓名", "external_id": "记录编号",
    "series": "职称系列", "from_year": "起始年度", "to_year": "截止年度", "level": "职称级别", "workplace": "单位类型",
    "region": "所在地区代码", "unit": "单位统一社会信用代码", "agency": "代理机构或行业主管部门统一社会信用代码",
    "reason": "原因", "note": "说明", "status": "状态", "records": "记录", "date": "日期", "as_of": "查询时点",
    "format": "格式", "kind": "类型", "name_zh": "中文名称", "code": "代码", "steps": "审核步骤", "source": "来源",
    "affiliation": "所属类别", "document": "文书", "limit": "每页条数", "offset": "起始位置", "after": "分页标记",
    "after_seq": "起始序号", "body": "提交的内容",
}.items() if k not in FIELD_ZH})
